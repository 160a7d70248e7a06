import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../bridge/store/embedded';
import { withDatabase } from '../test/helpers/db';
import { freePort } from '../test/helpers/net';

/**
 * A fresh database for one benchmark run: on DATABASE_URL's server, else on an embedded PostgreSQL in a temp dir.
 * `close` drops it and stops what was started.
 */
export async function freshDatabase(): Promise<{ url: string; label: string; close(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bridge-bench-'));
    fs.chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres(dir, await freePort());
    adminUrl = pg.url;
    stop = pg.stop;
  }
  const name = `fab_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(adminUrl, name),
    label: `${stop ? 'embedded' : 'DATABASE_URL'} PostgreSQL ${version}`,
    close: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await stop?.();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
