// Jest-only (beforeAll/afterAll): kept out of db.ts, which bench/database.ts also imports and the build compiles.
import { createPool, type Db } from '../../bridge/store/db';
import { createEmptyDatabase } from './db';

/**
 * A pool of `size` connections on a fresh, empty database for the tests of one file (made before them, dropped
 * after them): what an upgrade test builds an old schema in. Call at the top of the file; read `.db` inside a test.
 */
export function emptyDatabaseForFile(size: number): { readonly db: Db } {
  let empty: { url: string; drop(): Promise<void> } | undefined;
  let pool: Db | undefined;
  beforeAll(async () => {
    empty = await createEmptyDatabase();
    pool = createPool(empty.url, size);
  });
  afterAll(async () => {
    await pool?.end();
    await empty?.drop();
  });
  return {
    get db(): Db {
      if (!pool) throw new Error('emptyDatabaseForFile: read .db inside a test, after beforeAll');
      return pool;
    },
  };
}
