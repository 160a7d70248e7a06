import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createEdrChain } from '../../../bridge/anchor/chain-embedded';

/**
 * A real in-process EVM (EDR) served as a full JSON-RPC node (writes allowed, unlike the bridge's read-only
 * embedded chain): an "external" chain for connectChain, without spawning `hardhat node`.
 */
export async function startDevNode(): Promise<{ url: string; port: number; limitLogRange(blocks: number | undefined): void; close(): Promise<void> }> {
  const edr = await createEdrChain();
  // Like Infura or Alchemy: eth_getLogs over more than `maxLogRange` blocks is refused.
  let maxLogRange: number | undefined;
  const blockOf = async (tag: unknown): Promise<number> =>
    typeof tag === 'string' && tag.startsWith('0x') ? Number(tag) : Number(await edr.request({ method: 'eth_blockNumber', params: [] }));
  const answer = async (req: { id?: unknown; method: string; params?: unknown[] }): Promise<object> => {
    try {
      if (req.method === 'eth_getLogs' && maxLogRange !== undefined) {
        const filter = (req.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
        const span = (await blockOf(filter.toBlock ?? 'latest')) - (await blockOf(filter.fromBlock ?? 'latest')) + 1;
        if (span > maxLogRange) return { jsonrpc: '2.0', id: req.id ?? null, error: { code: -32005, message: `query exceeds max block range ${maxLogRange}` } };
      }
      return { jsonrpc: '2.0', id: req.id ?? null, result: await edr.request({ method: req.method, params: req.params ?? [] }) };
    } catch (e) {
      const err = e as { code?: number; message: string; data?: unknown };
      return { jsonrpc: '2.0', id: req.id ?? null, error: { code: err.code ?? -32603, message: err.message, data: err.data } };
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        const out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body as never);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    limitLogRange: (blocks) => {
      maxLogRange = blocks;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP proxy in front of a node: down() refuses connections (a network fault), up() serves again on the same port. */
export async function startProxy(targetPort: number): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = async (): Promise<void> => {
    const s = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, down, up, close: down };
}
