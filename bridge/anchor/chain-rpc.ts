/**
 * JSON-RPC transport with a deadline on every call. A node that accepts connections and never answers (paused,
 * overloaded, a proxy that swallows requests) must fail like one that refuses them, or anchoring stalls unseen:
 * ethers' default transport only has a socket idle timeout of 5 minutes and leaves the socket open when it fires.
 */
import { FetchRequest, JsonRpcProvider, Network, type FetchGetUrlFunc } from 'ethers';
import { ChainError } from './chain-errors';

/** Default deadline of one JSON-RPC request (CHAIN_RPC_TIMEOUT_MS). */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

const noAnswer = (rpcUrl: string, ms: number): ChainError => new ChainError('unreachable', `RPC at ${rpcUrl} did not answer within ${ms} ms`);

/** fetch() with an overall deadline (connect, send and the whole body); aborting it closes the connection. */
function deadlineFetch(timeoutMs: number): FetchGetUrlFunc {
  return async (req, cancel) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    cancel?.addListener(() => ctl.abort());
    try {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ? Buffer.from(req.body) : undefined, signal: ctl.signal });
      const body = new Uint8Array(await res.arrayBuffer());
      return { statusCode: res.status, statusMessage: res.statusText, headers: Object.fromEntries(res.headers.entries()), body };
    } catch (e) {
      if (ctl.signal.aborted) throw noAnswer(req.url, timeoutMs);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Probes an RPC URL with eth_chainId, so an unreachable or hung node fails fast instead of ethers retrying forever. */
export async function probeChainId(rpcUrl: string, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<bigint> {
  let res: Response;
  let body: { result?: string };
  try {
    res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json().catch(() => ({}))) as { result?: string };
  } catch (e) {
    if ((e as Error)?.name === 'TimeoutError') throw noAnswer(rpcUrl, timeoutMs);
    throw new ChainError('unreachable', `RPC unreachable at ${rpcUrl}`);
  }
  if (!res.ok || typeof body.result !== 'string') throw new ChainError('rpc', `RPC at ${rpcUrl} did not answer eth_chainId`);
  return BigInt(body.result);
}

/**
 * JSON-RPC provider pinned to a known chain id, every request bounded by `timeoutMs`; cacheTimeout -1 avoids
 * "nonce has already been used" between txs.
 */
export function jsonRpcProvider(rpcUrl: string, chainId: bigint, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): JsonRpcProvider {
  const req = new FetchRequest(rpcUrl);
  req.timeout = timeoutMs;
  req.getUrlFunc = deadlineFetch(timeoutMs);
  // batchMaxCount 1: send at once instead of waiting ethers' 10 ms batch window on every call.
  return new JsonRpcProvider(req, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
}
