/**
 * Reads what a chain holds for a log's checkpoints with plain JSON-RPC `eth_call`s over fetch: no key, no writes, no
 * Node-only module, so the CLI (verify, monitor) and the browser verifier share it. Every request is bounded by a
 * deadline: a node that accepts the connection and never answers fails like one that refuses it.
 */
import { Interface, ZeroHash } from 'ethers';
import { ChainError } from './chain-errors';

/** The two registry views a checkpoint verifier needs (contracts/AnchorRegistry.sol). */
export const CHECKPOINT_VIEWS = new Interface([
  'function checkpointRoot(bytes32 logId, uint64 treeSize) view returns (bytes32)',
  'function latestCheckpoint(bytes32 logId) view returns (uint64 treeSize, bytes32 rootHash, uint64 anchoredAt)',
]);

/** Default deadline of one request, as CHAIN_RPC_TIMEOUT_MS. */
export const CHECKPOINT_RPC_TIMEOUT_MS = 10_000;

export interface CheckpointViewOptions {
  timeoutMs?: number;
  /** When set, a node serving another chain is refused ('wrong-chain'). */
  chainId?: number;
}

/** The newest checkpoint a registry anchors for a log. */
export interface AnchoredCheckpoint {
  treeSize: number;
  /** 0x hex, lower case. */
  root: string;
  /** Block time of the anchoring, seconds. */
  anchoredAt: number;
}

async function rpc(rpcUrl: string, method: string, params: unknown[], timeoutMs: number): Promise<string> {
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json()) as typeof body;
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ChainError('unreachable', `RPC at ${rpcUrl} did not answer within ${timeoutMs} ms`);
    throw new ChainError('unreachable', `RPC unreachable at ${rpcUrl}`);
  }
  if (body.error || typeof body.result !== 'string') throw new ChainError('rpc', `${method} at ${rpcUrl}: ${body.error?.message ?? 'no result'}`);
  return body.result;
}

type View = 'checkpointRoot' | 'latestCheckpoint';

async function callView(rpcUrl: string, contract: string, fn: View, args: unknown[], o: CheckpointViewOptions): Promise<readonly unknown[]> {
  const timeoutMs = o.timeoutMs ?? CHECKPOINT_RPC_TIMEOUT_MS;
  const data = CHECKPOINT_VIEWS.encodeFunctionData(fn, args);
  const out = await rpc(rpcUrl, 'eth_call', [{ to: contract, data }, 'latest'], timeoutMs).catch((e: unknown) => {
    // A registry deployed before checkpoints existed has no such function: the call reverts.
    if (e instanceof ChainError && e.kind === 'rpc' && /revert/i.test(e.message))
      throw new ChainError('no-contract', `${contract} has no ${fn}: not an AnchorRegistry with checkpoints`);
    throw e;
  });
  if (out === '0x') throw new ChainError('no-contract', `no AnchorRegistry with checkpoints at ${contract} on ${rpcUrl}`);
  try {
    return CHECKPOINT_VIEWS.decodeFunctionResult(fn, out);
  } catch {
    throw new ChainError('no-contract', `${contract} on ${rpcUrl} does not answer ${fn} like an AnchorRegistry`);
  }
}

async function checkChainId(rpcUrl: string, o: CheckpointViewOptions): Promise<void> {
  if (o.chainId === undefined) return;
  const served = BigInt(await rpc(rpcUrl, 'eth_chainId', [], o.timeoutMs ?? CHECKPOINT_RPC_TIMEOUT_MS));
  if (served !== BigInt(o.chainId)) throw new ChainError('wrong-chain', `${rpcUrl} serves chain ${served}, expected ${o.chainId}`);
}

/**
 * `latestCheckpoint(logId)` of the registry at `contract`: the newest anchored checkpoint of log `logId` (keccak256
 * of the UTF-8 origin line), or null when none is. Rejects like checkpointOnChain.
 */
export async function latestCheckpointOnChain(
  rpcUrl: string,
  contract: string,
  logId: string,
  opts: CheckpointViewOptions = {},
): Promise<AnchoredCheckpoint | null> {
  await checkChainId(rpcUrl, opts);
  const [size, root, at] = (await callView(rpcUrl, contract, 'latestCheckpoint', [logId], opts)) as unknown as [bigint, string, bigint];
  return size === 0n && root === ZeroHash ? null : { treeSize: Number(size), root: root.toLowerCase(), anchoredAt: Number(at) };
}

/**
 * What the chain at `rpcUrl` holds for checkpoint `treeSize` of log `logId`: the anchored root (null when that size
 * is not anchored) and the log's newest anchored size (0 when none; larger than `treeSize` once the log grew).
 * With `chainId`, a node serving another chain is refused ('wrong-chain').
 * Rejects with ChainError: 'unreachable' (refused or no answer within timeoutMs), 'no-contract' (no registry with
 * checkpoints at `contract`), 'rpc'.
 */
export async function checkpointOnChain(
  rpcUrl: string,
  contract: string,
  logId: string,
  treeSize: number,
  opts: CheckpointViewOptions = {},
): Promise<{ root: string | null; latestSize: number }> {
  await checkChainId(rpcUrl, opts);
  const [[root], [latestSize]] = await Promise.all([
    callView(rpcUrl, contract, 'checkpointRoot', [logId, BigInt(treeSize)], opts),
    callView(rpcUrl, contract, 'latestCheckpoint', [logId], opts),
  ]);
  return { root: root === ZeroHash ? null : String(root).toLowerCase(), latestSize: Number(latestSize) };
}
