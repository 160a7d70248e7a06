import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Who runs the embedded PostgreSQL and where it may live. PostgreSQL refuses to run as root, so under root it runs as
 * a `postgres` system user, which may be unable to reach the project or DATA_DIR (below a mode-700 home folder):
 * what that user can reach is probed by running a process as it, never guessed from mode bits (ACLs, groups).
 */
export interface PgUser {
  /** Absent: PostgreSQL runs as the current (non-root) user. */
  uid?: number;
  gid?: number;
}

export const PG_OS_USER = 'postgres';

export const isRoot = (): boolean => process.getuid?.() === 0;

function idOf(flag: '-u' | '-g'): number | undefined {
  try {
    return Number(execFileSync('id', [flag, PG_OS_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/** The `postgres` system user under root (created as a system account without login when missing), else nobody. */
export function pgUser(): PgUser {
  if (!isRoot()) return {};
  if (idOf('-u') === undefined) {
    try {
      if (idOf('-g') === undefined) execFileSync('groupadd', ['--system', PG_OS_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '--gid', PG_OS_USER, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PG_OS_USER], {
        stdio: 'ignore',
      });
    } catch {
      throw new Error(
        `PostgreSQL cannot run as root and the system user "${PG_OS_USER}" could not be created (groupadd/useradd): create it, or set DATABASE_URL`,
      );
    }
  }
  const uid = idOf('-u');
  const gid = idOf('-g');
  if (uid === undefined || gid === undefined) throw new Error(`the system user "${PG_OS_USER}" has no uid/gid`);
  return { uid, gid };
}

/** Runs `file args` as the PostgreSQL user; true when it exits 0 (false on EACCES, missing libraries, …). */
export function runsAs(user: PgUser, file: string, args: string[]): boolean {
  const r = spawnSync(file, args, { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
}

/** True when the PostgreSQL user can enter `dir` (every parent traversable). */
export function canEnter(user: PgUser, dir: string): boolean {
  return runsAs(user, '/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir]);
}

/**
 * A root-owned folder the PostgreSQL user can traverse, for binaries and clusters it cannot reach where they are:
 * EMBEDDED_PG_HOME, else /var/lib/fhir-anchor-bridge, else one under the temp dir. Refused when anyone but root could
 * write to it (the binaries in it run as the PostgreSQL user).
 */
export function runtimeHome(configured: string | undefined): string {
  const candidates = configured ? [configured] : ['/var/lib/fhir-anchor-bridge', path.join(os.tmpdir(), `fhir-anchor-bridge-${process.getuid?.() ?? 0}`)];
  let lastError = '';
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const st = fs.statSync(dir);
      if (st.uid !== (process.getuid?.() ?? st.uid) || (st.mode & 0o022) !== 0) {
        lastError = `${dir} must be owned by the current user and writable by nobody else`;
        continue;
      }
      if ((st.mode & 0o005) !== 0o005) fs.chmodSync(dir, 0o755);
      return dir;
    } catch (err) {
      lastError = `${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
  }
  throw new Error(
    `no folder for the embedded PostgreSQL's binaries and clusters (${lastError}); set EMBEDDED_PG_HOME to a root-owned folder every user can traverse`,
  );
}
