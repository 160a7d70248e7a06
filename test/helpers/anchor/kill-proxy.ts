import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transaction } from 'ethers';

export type SendHook = 'after-forward' | 'before-forward';

/**
 * A JSON-RPC proxy in front of a node that can act at one exact moment: when a raw transaction matching `match`
 * arrives, it calls `onSend` (a test kills the bridge there) either after handing it to the node ('after-forward':
 * the transaction is on chain, its sender never hears back) or instead of handing it on ('before-forward': it never
 * reaches the chain). The client gets no answer to that request. Disarmed, it forwards everything.
 */
export async function startKillingProxy(targetUrl: string): Promise<{
  url: string;
  arm(match: (tx: Transaction) => boolean, when: SendHook, onSend: (tx: Transaction) => void): void;
  disarm(): void;
  close(): Promise<void>;
}> {
  let armed: { match: (tx: Transaction) => boolean; when: SendHook; onSend: (tx: Transaction) => void } | undefined;
  const forward = async (body: string): Promise<string> =>
    (await fetch(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const call = JSON.parse(body) as { method?: string; params?: unknown[] };
        const hook = armed;
        const tx = hook && call.method === 'eth_sendRawTransaction' ? Transaction.from(String(call.params?.[0])) : undefined;
        if (hook && tx && hook.match(tx)) {
          armed = undefined; // once
          if (hook.when === 'after-forward') await forward(body);
          hook.onSend(tx);
          req.socket.destroy();
          return;
        }
        const out = await forward(body).catch(() => undefined);
        if (out === undefined) return void req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(out);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm: (match, when, onSend) => void (armed = { match, when, onSend }),
    disarm: () => void (armed = undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
