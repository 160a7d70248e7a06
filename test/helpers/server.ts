import type { Server } from 'node:http';
import { createApp } from '../../bridge/http/app';
import { startIngestPool } from '../../bridge/ingest/ingest-pool';
import { createLogger, Logger } from '../../bridge/log';
import { createClinic } from '../../bridge/store/clinics';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../bridge/config';
import { createTestDatabase, TestDatabase } from './db';

export interface TestBridge {
  url: string;
  database: TestDatabase;
  adminToken: string;
  clinic(name: string): Promise<{ id: string; apiKey: string; keyId: string }>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestBridgeOptions {
  maxBodyBytes?: number;
  maxEntries?: number;
  ingestWorkers?: number;
  log?: Logger;
  /** Serve this database (another bridge's: two processes on one database) instead of a fresh one; not dropped at close. */
  database?: TestDatabase;
  authFailLimit?: number;
  authFailWindowMs?: number;
  trustProxy?: boolean | number | string;
  breakGlassLimit?: number;
}

/** The real HTTP app on a random port over a fresh database (or a shared one). */
export async function startTestBridge(overrides: TestBridgeOptions = {}): Promise<TestBridge> {
  const database = overrides.database ?? await createTestDatabase();
  // Inline by default (each worker loads ~100 MB of definitions); the worker path is covered where it is asked for.
  const ingest = await startIngestPool({ workers: overrides.ingestWorkers ?? 0, db: database.db, databaseUrl: database.url, connectionsPerWorker: 2 });
  const app = createApp({
    db: database.db, log: overrides.log ?? createLogger('silent'), adminToken: ADMIN_TOKEN, maxBodyBytes: overrides.maxBodyBytes ?? 50 * 1024 * 1024,
    maxEntries: overrides.maxEntries ?? 10_000, ingest, personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS, version: 'test',
    authFailLimit: overrides.authFailLimit, authFailWindowMs: overrides.authFailWindowMs, trustProxy: overrides.trustProxy,
    breakGlassLimit: overrides.breakGlassLimit,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    database,
    adminToken: ADMIN_TOKEN,
    clinic: (name) => createClinic(database.db, name),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ingest.close();
      if (!overrides.database) await database.drop();
    },
  };
}
