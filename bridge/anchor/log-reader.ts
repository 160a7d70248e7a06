/**
 * Read-only chain side of the verifiable log for verifiers and monitors: AnchorRegistry's
 * `checkpointRoot(bytes32 logId, uint64 treeSize)` and `latestCheckpoint(bytes32 logId)`, by eth_call over JSON-RPC.
 * Trusts only the RPC URL it is given; no key, no writes.
 */
import { Interface, ZeroHash } from 'ethers';
import { ChainError } from './chain-errors';
import { DEFAULT_RPC_TIMEOUT_MS, probeChainId } from './chain-rpc';

export const LOG_REGISTRY_ABI = new Interface([
  'function checkpointRoot(bytes32 logId, uint64 treeSize) view returns (bytes32)',
  'function latestCheckpoint(bytes32 logId) view returns (uint64 treeSize, bytes32 rootHash, uint64 anchoredAt)',
]);

export interface ChainCheckpoint {
  treeSize: number;
  /** 0x hex; ZeroHash when the log has no anchored checkpoint. */
  root: string;
  anchoredAt: number;
}

export interface LogRegistryView {
  chainId: bigint;
  /** The anchored root of `logId` at `treeSize`, or null when that size was never anchored. */
  checkpointRoot(logId: string, treeSize: number): Promise<string | null>;
  /** The newest anchored checkpoint of `logId`, or null when none is. */
  latestCheckpoint(logId: string): Promise<ChainCheckpoint | null>;
}

async function ethCall(rpcUrl: string, to: string, data: string, timeoutMs: number): Promise<string> {
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to, data }, 'latest'] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json()) as typeof body;
  } catch (e) {
    throw new ChainError('unreachable', `RPC at ${rpcUrl} did not answer eth_call: ${(e as Error).message}`);
  }
  if (typeof body.result !== 'string') throw new ChainError('rpc', `eth_call failed at ${rpcUrl}: ${body.error?.message ?? 'no result'}`);
  if (body.result === '0x') throw new ChainError('rpc', `${to} has no checkpointRoot/latestCheckpoint (not a log-aware AnchorRegistry)`);
  return body.result;
}

export async function openLogRegistryView(rpcUrl: string, contract: string, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<LogRegistryView> {
  const chainId = await probeChainId(rpcUrl, timeoutMs);
  return {
    chainId,
    async checkpointRoot(logId, treeSize) {
      const out = await ethCall(rpcUrl, contract, LOG_REGISTRY_ABI.encodeFunctionData('checkpointRoot', [logId, treeSize]), timeoutMs);
      const root = (LOG_REGISTRY_ABI.decodeFunctionResult('checkpointRoot', out)[0] as string).toLowerCase();
      return root === ZeroHash ? null : root;
    },
    async latestCheckpoint(logId) {
      const out = await ethCall(rpcUrl, contract, LOG_REGISTRY_ABI.encodeFunctionData('latestCheckpoint', [logId]), timeoutMs);
      const [size, root, at] = LOG_REGISTRY_ABI.decodeFunctionResult('latestCheckpoint', out) as unknown as [bigint, string, bigint];
      return root === ZeroHash && size === 0n ? null : { treeSize: Number(size), root: root.toLowerCase(), anchoredAt: Number(at) };
    },
  };
}
