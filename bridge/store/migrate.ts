import path from 'node:path';
import { Pool } from 'pg';
import { migrate } from 'postgres-migrations';

/** migrations/ at the project root, from source (bridge/store) and from the build (dist/bridge/store). */
export const MIGRATIONS_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../migrations' : '../../migrations');

/**
 * Applies the numbered SQL files in migrations/ that have not run yet, in order, each in its own transaction,
 * recorded in the `migrations` table. postgres-migrations holds an advisory lock, so two bridges starting at once
 * apply each file exactly once, and it refuses to run if an applied file was edited.
 */
export async function runMigrations(pool: Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    const applied = await migrate({ client }, MIGRATIONS_DIR, { logger: () => undefined });
    return applied.map((m) => m.fileName);
  } finally {
    client.release();
  }
}
