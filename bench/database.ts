import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../bridge/config';
import { startEmbeddedPostgres } from '../bridge/store/embedded';
import { withDatabase } from '../test/helpers/db';
import { freePort } from '../test/helpers/net';

/**
 * A fresh database for one benchmark run: on DATABASE_URL's server, else on an embedded PostgreSQL in a temp dir (its
 * shared_buffers as the bridge's: EMBEDDED_PG_SHARED_BUFFERS_MB, else a quarter of memory).
 * `close` drops it and stops what was started. With `keep` (a name) on DATABASE_URL's server, the database of that
 * name is reused if it exists (`reused`) and kept at close, so a slow seeding is paid once across runs.
 */
export async function freshDatabase(keep?: string): Promise<{ url: string; label: string; reused: boolean; close(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bridge-bench-'));
    fs.chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres(dir, await freePort(), { sharedBuffersMb: loadConfig().embeddedPgSharedBuffersMb });
    adminUrl = pg.url;
    stop = pg.stop;
  }
  const kept = stop ? undefined : keep;
  const name = kept ?? `fab_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  const reused = !!kept && (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [kept])).rowCount === 1;
  if (!reused) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    label: `${stop ? 'embedded' : 'DATABASE_URL'} PostgreSQL ${version}${kept ? ` (database ${kept}${reused ? ', reused' : ''})` : ''}`,
    reused,
    close: async () => {
      if (kept) return;
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await stop?.();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
