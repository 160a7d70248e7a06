/**
 * JSON-RPC 2.0 over fetch() to the one URL the user typed: the page's only network traffic. Every call has a deadline,
 * so a node that accepts the connection and never answers fails with a message instead of a spinner. Redirects are
 * refused (a request must not end up elsewhere), no cookies or referrer are sent.
 */
export type RpcFailure = 'bad-url' | 'unreachable' | 'timeout' | 'http' | 'rpc-error' | 'bad-answer';

export class RpcError extends Error {
  constructor(
    readonly kind: RpcFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface Rpc {
  url: string;
  call(method: string, params: unknown[]): Promise<unknown>;
}

export function rpcClient(url: string, timeoutMs: number): Rpc {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RpcError('bad-url', `“${url}” is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RpcError('bad-url', 'the RPC URL must start with http:// or https://');
  let id = 0;
  const call = async (method: string, params: unknown[]): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(parsed.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
        mode: 'cors',
        credentials: 'omit',
        redirect: 'error',
        referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError'))
        throw new RpcError('timeout', `the RPC at ${parsed.origin} did not answer within ${timeoutMs / 1000} s`);
      // fetch() gives no detail on purpose (refused, DNS, CORS, mixed content all look alike).
      throw new RpcError('unreachable', `the RPC at ${parsed.origin} cannot be reached (down, wrong URL, or it does not allow browser requests: CORS)`);
    }
    if (!res.ok) throw new RpcError('http', `the RPC at ${parsed.origin} answered HTTP ${res.status}`);
    let body: { result?: unknown; error?: { code?: number; message?: string } };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'TimeoutError')
        throw new RpcError('timeout', `the RPC at ${parsed.origin} did not finish its answer within ${timeoutMs / 1000} s`);
      throw new RpcError('bad-answer', `the RPC at ${parsed.origin} did not answer JSON-RPC`);
    }
    if (body?.error) throw new RpcError('rpc-error', `${method}: ${String(body.error.message ?? 'error').slice(0, 200)}`);
    if (!body || !('result' in body)) throw new RpcError('bad-answer', `the RPC at ${parsed.origin} did not answer JSON-RPC`);
    return body.result;
  };
  return { url: parsed.href, call };
}
