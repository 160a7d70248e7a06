import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AppOptions, createApp } from '../../bridge/http/app';
import { startIngestPool } from '../../bridge/ingest/ingest-pool';
import { createLogService, type LogService } from '../../bridge/log/service';

/** The bridge's HTTP app served on a free port of 127.0.0.1, with its ingest pool (no test runner needed: benches use it too). */
export interface AppServer {
  url: string;
  server: Server;
  /** The verifiable log the app serves (given, or created with a fresh key and a 100 ms checkpoint interval). */
  verifiableLog: LogService;
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
  /** Key file of the log created when `verifiableLog` is not given (default: a fresh key in a temporary folder). */
  logKeyFile?: string;
  /** Sequencer interval of the log this helper creates (default 100 ms); a long one keeps entries pending until `integrate()`. */
  logIntervalMs?: number;
}

export async function serveApp(opts: ServeAppOptions): Promise<AppServer> {
  const { databaseUrl, ingestWorkers = 0, connectionsPerWorker = 2, version = 'test', logKeyFile, logIntervalMs = 100, ...app } = opts;
  const ingest = await startIngestPool({ workers: ingestWorkers, db: opts.db, databaseUrl, connectionsPerWorker });
  const ownLog = !app.verifiableLog;
  const verifiableLog =
    app.verifiableLog ??
    createLogService({
      db: opts.db,
      log: app.log,
      keyFile: logKeyFile ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fab-log-')), 'log-key.pem'),
      intervalMs: logIntervalMs,
    });
  if (ownLog) verifiableLog.start();
  const server: Server = await new Promise((resolve) => {
    const s = createApp({ ...app, verifiableLog, ingest, version }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    verifiableLog,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownLog) await verifiableLog.close();
      await ingest.close();
    },
  };
}
