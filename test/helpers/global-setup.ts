import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../bridge/store/embedded';
import { freePort, releaseStalePorts } from './net';

/**
 * One PostgreSQL for the whole run: the machine's when DATABASE_URL is set, else an embedded one in a temp dir
 * (deleted at teardown). Each test file makes its own database. Wherever the project or the temp dir sits (below a
 * private folder, as root), the embedded server finds binaries and a cluster folder its `postgres` user can reach.
 */
export default async function globalSetup(): Promise<void> {
  releaseStalePorts(); // port locks of earlier runs' workers, which exit after global teardown
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bridge-test-'));
  fs.chmodSync(dir, 0o755); // reachable by the postgres user unless the temp dir itself is private
  try {
    const pg = await startEmbeddedPostgres(dir, await freePort(), { role: 'test', ephemeral: true, home: process.env.EMBEDDED_PG_HOME });
    process.env.TEST_PG_URL = pg.url;
    (globalThis as { __TEST_PG__?: unknown }).__TEST_PG__ = { stop: pg.stop, dir };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    // One readable line instead of a stack from inside jest's global setup.
    throw new Error(`the tests' embedded PostgreSQL did not start: ${(err as Error).message} (or set DATABASE_URL to a PostgreSQL server)`);
  }
}
