import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrate } from 'postgres-migrations';
import { createPool, Db } from '../../bridge/store/db';
import { MIGRATIONS_DIR, runMigrations } from '../../bridge/store/migrate';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, empty database on the run's PostgreSQL (embedded, or DATABASE_URL in CI): its URL, and how to drop it. */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_PG_URL;
  if (!adminUrl) throw new Error('TEST_PG_URL is not set: run through jest (test/helpers/global-setup.ts)');
  const name = `fab_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh, migrated database, dropped afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const empty = await createEmptyDatabase();
  const db = createPool(empty.url, 10);
  await runMigrations(db);
  return {
    url: empty.url,
    db,
    drop: async () => {
      await db.end();
      await empty.drop();
    },
  };
}

/** Applies the migrations numbered below `before` (e.g. '028'): the schema as it was, to test an upgrade from it. */
export async function migrateBefore(db: Db, before: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-mig-'));
  for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < before)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  const client = await db.connect();
  try {
    await migrate({ client }, dir, { logger: () => undefined });
  } finally {
    client.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
