import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP server that accepts connections and never answers: a node that is up but hung. */
export async function startBlackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined)
      .on('error', () => undefined)
      .on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy in front of a node that can hang like a SIGSTOPped process: in `hang()` it still accepts connections
 * and reads requests but forwards nothing; `forward()` delivers what it held, in order (even requests whose client
 * gave up meanwhile, as a resumed process reads its socket buffers), then forwards again.
 */
export async function startHangProxy(targetPort: number): Promise<{ url: string; hang(): void; forward(): void; close(): Promise<void> }> {
  let hung = false;
  const flushes = new Set<() => void>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const held: Buffer[] = [];
    let clientGone = false;
    const flush = (): void => {
      for (const d of held.splice(0)) upstream.write(d);
    };
    flushes.add(flush);
    client.on('data', (d: Buffer) => (hung ? held.push(d) : upstream.write(d)));
    upstream.on('data', (d: Buffer) => (clientGone ? upstream.destroy() : client.write(d)));
    const forget = (s: net.Socket): void => void sockets.delete(s);
    client
      .on('error', () => undefined)
      .on('close', () => {
        clientGone = true;
        forget(client);
        if (!held.length) upstream.destroy();
      });
    upstream
      .on('error', () => client.destroy())
      .on('close', () => {
        forget(upstream);
        flushes.delete(flush);
        client.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: () => void (hung = true),
    forward: () => {
      hung = false;
      for (const f of flushes) f();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
