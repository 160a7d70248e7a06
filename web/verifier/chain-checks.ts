/** The chain steps every kind of evidence shares: reach the RPC, compare its chain id, find the registry's code. */
import type { Checks } from './checks';
import { Registry } from './registry';
import { RpcError, rpcClient } from './rpc';

export interface ChainTarget {
  rpcUrl: string;
  timeoutMs: number;
  /** The registry address (EIP-55) to ask: the one the user typed, else the one the evidence names. */
  contract: string | null;
  /** The address the evidence names, when it names one (shown when the user's address differs). */
  named?: string | null;
  /** The chain the evidence names, when it names one. */
  chainId: number | null;
}

/** Lines for the RPC and the contract; the registry when both are fine, else null (later chain lines are skipped). */
export async function openRegistry(checks: Checks, t: ChainTarget, skipIds: [string, string][]): Promise<Registry | null> {
  const skipRest = (why: string): null => {
    for (const [id, label] of skipIds) checks.skip(id, label, why);
    return null;
  };
  if (!t.rpcUrl.trim()) {
    checks.skip('chain', 'Chain', 'no RPC URL given: the anchoring on chain is not checked');
    return skipRest('no RPC URL given');
  }
  if (!t.contract) {
    checks.skip('chain', 'Chain', 'the evidence names no contract (not anchored yet?) and none was given: the anchoring is not checked');
    return skipRest('no contract address');
  }
  let registry: Registry;
  try {
    registry = new Registry(rpcClient(t.rpcUrl.trim(), t.timeoutMs), t.contract);
    const id = await registry.chainId();
    if (t.chainId !== null && id !== BigInt(t.chainId)) {
      checks.fail('chain', 'Chain', 'wrong-chain', `the evidence is for chain ${t.chainId}, the RPC serves chain ${id}`);
      return skipRest('the RPC serves another chain');
    }
    checks.ok('chain', 'Chain', `the RPC answers for chain ${id}${t.chainId !== null ? ', as the evidence says' : ''}`);
  } catch (e) {
    const badUrl = e instanceof RpcError && e.kind === 'bad-url';
    checks.fail('chain', 'Chain', badUrl ? 'malformed' : 'unreachable', e instanceof Error ? e.message : String(e));
    return skipRest(badUrl ? 'no usable RPC URL' : 'the RPC did not answer');
  }
  try {
    if (!(await registry.hasCode())) {
      checks.fail('contract', 'Contract', 'wrong-contract', `no contract at ${t.contract} on this chain`);
      return skipRest('no contract at that address');
    }
    const yours = t.named && t.named !== t.contract ? ` (the address you gave; the evidence names ${t.named})` : '';
    checks.ok('contract', 'Contract', `code found at ${t.contract}${yours}`);
  } catch (e) {
    checks.fail('contract', 'Contract', 'unreachable', e instanceof Error ? e.message : String(e));
    return skipRest('the RPC did not answer');
  }
  return registry;
}

/** A chain read's failure as a line: the RPC went away, or the contract does not answer as an AnchorRegistry does. */
export function chainFailure(checks: Checks, id: string, label: string, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  const unreachable = e instanceof RpcError && (e.kind === 'timeout' || e.kind === 'unreachable' || e.kind === 'http');
  checks.fail(
    id,
    label,
    unreachable ? 'unreachable' : 'wrong-contract',
    unreachable ? message : `the contract does not answer as an AnchorRegistry: ${message}`,
  );
}
