import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { createPool } from '../../bridge/store/db';
import { serveApp } from './app-server';
import type { TestDatabase } from './db';
import { ADMIN_TOKEN } from './server';

/**
 * A second bridge app (its own connection pool, ingest pool and port) on the database of a running test bridge:
 * two bridge processes behind a load balancer, as far as PostgreSQL can tell.
 */
export async function startSecondBridge(database: TestDatabase): Promise<{ url: string; close(): Promise<void> }> {
  const db = createPool(database.url, 10);
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    log: createLogger('silent'),
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: 50 * 1024 * 1024,
    maxEntries: 10_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
  });
  return {
    url: served.url,
    close: async () => {
      await served.close();
      await db.end();
    },
  };
}
