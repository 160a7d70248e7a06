import { Interface } from 'ethers';

/** Why a chain operation failed, for callers that branch on it (CLI exit codes, retry policy). */
export type ChainErrorKind = 'unreachable' | 'reverted' | 'no-contract' | 'wrong-chain' | 'rpc';

/** A chain failure with a message fit for an operator: no stack traces of ethers internals. */
export class ChainError extends Error {
  constructor(
    readonly kind: ChainErrorKind,
    message: string,
    readonly revertName?: string,
  ) {
    super(message);
    this.name = 'ChainError';
  }
}

interface EthersLikeError {
  code?: string;
  shortMessage?: string;
  message?: string;
  data?: unknown;
  revert?: { name?: string; args?: unknown[] };
  info?: { error?: { data?: unknown; message?: string } };
  error?: { data?: unknown; message?: string };
  cause?: unknown;
}

function revertData(e: EthersLikeError): string | undefined {
  for (const d of [e.data, e.info?.error?.data, e.error?.data]) if (typeof d === 'string' && d.startsWith('0x') && d.length >= 10) return d;
  return undefined;
}

function isUnreachable(e: unknown): boolean {
  const text = String((e as EthersLikeError)?.message ?? e) + String((e as { cause?: { code?: string } })?.cause?.code ?? '');
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|fetch failed|socket hang up|timeout/i.test(text);
}

/**
 * Maps an ethers / JSON-RPC error to a ChainError, decoding custom errors (e.g. `BatchAlreadyAnchored(0x…)`)
 * with the registry ABI so the operator sees the contract's reason, not `missing revert data`.
 */
export function toChainError(e: unknown, iface: Interface, what: string, rpcUrl: string): ChainError {
  if (e instanceof ChainError) return e;
  const err = (e ?? {}) as EthersLikeError;
  if (isUnreachable(e)) return new ChainError('unreachable', `${what}: RPC unreachable at ${rpcUrl}`);
  let name = err.revert?.name;
  let args = err.revert?.args;
  const data = revertData(err);
  if (!name && data) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) [name, args] = [parsed.name, [...parsed.args]];
    } catch {
      /* not one of ours: fall through to the generic message */
    }
  }
  if (name) {
    const shown = (args ?? []).map((a) => String(a)).join(', ');
    return new ChainError('reverted', `${what}: reverted with ${name}(${shown})`, name);
  }
  if (err.code === 'CALL_EXCEPTION') return new ChainError('reverted', `${what}: reverted (${err.shortMessage ?? 'no reason'})`);
  return new ChainError('rpc', `${what}: ${err.shortMessage ?? err.message ?? String(e)}`);
}
