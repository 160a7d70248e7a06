import type { Server } from 'node:http';
import { AppOptions, createApp } from '../../bridge/http/app';
import { startIngestPool } from '../../bridge/ingest/ingest-pool';

/** The bridge's HTTP app served on a free port of 127.0.0.1, with its ingest pool (no test runner needed: benches use it too). */
export interface AppServer {
  url: string;
  server: Server;
  /** Closes connections, the server and the ingest pool; the database pool stays the caller's. */
  close(): Promise<void>;
}

export interface ServeAppOptions extends Omit<AppOptions, 'ingest' | 'version'> {
  /** The database `db` is a pool of (ingest workers open their own connections to it). */
  databaseUrl: string;
  /** Ingest worker threads; 0 (default) runs pushes inline (each worker loads ~100 MB of definitions). */
  ingestWorkers?: number;
  connectionsPerWorker?: number;
  version?: string;
}

export async function serveApp(opts: ServeAppOptions): Promise<AppServer> {
  const { databaseUrl, ingestWorkers = 0, connectionsPerWorker = 2, version = 'test', ...app } = opts;
  const ingest = await startIngestPool({ workers: ingestWorkers, db: opts.db, databaseUrl, connectionsPerWorker });
  const server: Server = await new Promise((resolve) => {
    const s = createApp({ ...app, ingest, version }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ingest.close();
    },
  };
}
