import type { Server } from 'node:http';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../bridge/config';
import { createApp } from '../../bridge/http/app';
import { startIngestPool } from '../../bridge/ingest/ingest-pool';
import { createLogger } from '../../bridge/log';
import { createPool } from '../../bridge/store/db';
import type { TestDatabase } from './db';
import { ADMIN_TOKEN } from './server';

/**
 * A second bridge app (its own connection pool, ingest pool and port) on the database of a running test bridge:
 * two bridge processes behind a load balancer, as far as PostgreSQL can tell.
 */
export async function startSecondBridge(database: TestDatabase): Promise<{ url: string; close(): Promise<void> }> {
  const db = createPool(database.url, 10);
  const ingest = await startIngestPool({ workers: 0, db, databaseUrl: database.url, connectionsPerWorker: 2 });
  const app = createApp({
    db, log: createLogger('silent'), adminToken: ADMIN_TOKEN, maxBodyBytes: 50 * 1024 * 1024, maxEntries: 10_000, ingest,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS, version: 'test',
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ingest.close();
      await db.end();
    },
  };
}
