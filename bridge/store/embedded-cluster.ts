import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canEnter, runtimeHome, type PgUser } from './embedded-host';

/**
 * Where a DATA_DIR's cluster lives, and what runs on it. The cluster stays in `<DATA_DIR>/postgres/pg` when the
 * PostgreSQL user can reach that folder; else (DATA_DIR below a private folder) it lives in
 * `<home>/clusters/<sha256 of DATA_DIR's real path>/pg`, and the file `<DATA_DIR>/postgres/cluster` names it, so a
 * moved DATA_DIR keeps its cluster. The password and the owner record always stay in `<DATA_DIR>/postgres`.
 */
export interface ClusterPlace {
  /** `<DATA_DIR>/postgres`: password, owner record, pointer. */
  dir: string;
  /** The PostgreSQL data directory. */
  pgData: string;
  relocated: boolean;
}

const POINTER = 'cluster';

export function clusterPlace(dir: string, user: PgUser, home?: string): ClusterPlace {
  fs.mkdirSync(dir, { recursive: true });
  const pointer = path.join(dir, POINTER);
  if (fs.existsSync(pointer)) return { dir, pgData: fs.readFileSync(pointer, 'utf8').trim(), relocated: true };
  const inPlace = path.join(dir, 'pg');
  if (user.uid === undefined || fs.existsSync(path.join(inPlace, 'PG_VERSION')) || canEnter(user, dir)) return { dir, pgData: inPlace, relocated: false };
  const key = createHash('sha256').update(fs.realpathSync(dir)).digest('hex').slice(0, 16);
  const clusterHome = path.join(runtimeHome(home), 'clusters', key);
  fs.mkdirSync(clusterHome, { recursive: true, mode: 0o755 });
  fs.chmodSync(clusterHome, 0o755);
  // For whoever looks in the shared folder: which DATA_DIR this cluster belongs to.
  fs.writeFileSync(path.join(clusterHome, 'data-dir'), fs.realpathSync(dir) + '\n');
  const pgData = path.join(clusterHome, 'pg');
  fs.writeFileSync(pointer, pgData + '\n'); // before initdb: a crash never leaves a cluster nobody points to
  return { dir, pgData, relocated: true };
}

/** `postmaster.pid`, as PostgreSQL writes it (src/include/utils/pidfile.h): pid, data dir, start, port, …, status. */
export interface PostmasterPid {
  pid: number;
  port: number;
  status: string;
}

export function readPostmasterPid(pgData: string): PostmasterPid | undefined {
  try {
    const lines = fs.readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    return pid > 0 ? { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() } : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (an orphan's zombie lingers where no init reaps it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = procStat(pid);
  return stat ? stat.state !== 'Z' : true;
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { state: f[0], ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

export const parentOf = (pid: number): number | undefined => procStat(pid)?.ppid;

/** Is `pid` a postmaster on `pgData`? The postmaster works in its data directory; a recycled pid does not. */
export function isPostmasterOf(pid: number, pgData: string): boolean {
  if (!alive(pid)) return false;
  try {
    return fs.realpathSync(`/proc/${pid}/cwd`) === fs.realpathSync(pgData);
  } catch {
    return !fs.existsSync('/proc/self'); // no /proc (macOS): trust the pid file
  }
}

/** Which process started the postmaster, for `fhir-bridge start` or for a CLI command (role). */
export interface Owner {
  pid: number;
  role: 'bridge' | 'cli' | 'test';
}

const ownerFile = (place: ClusterPlace): string => path.join(place.dir, 'owner.json');

export function writeOwner(place: ClusterPlace, owner: Owner): void {
  fs.writeFileSync(ownerFile(place), JSON.stringify(owner) + '\n', { mode: 0o600 });
}

export function readOwner(place: ClusterPlace): Owner | undefined {
  try {
    return JSON.parse(fs.readFileSync(ownerFile(place), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

export type ClusterState =
  | { kind: 'stopped' }
  /** Running, its starter alive and still its parent. */
  | { kind: 'owned'; pid: number; port: number; owner: Owner }
  /** Running, its starter gone (killed with SIGKILL): nobody will stop it. */
  | { kind: 'orphaned'; pid: number; port: number };

export function clusterState(place: ClusterPlace): ClusterState {
  const pm = readPostmasterPid(place.pgData);
  if (!pm || !isPostmasterOf(pm.pid, place.pgData)) {
    // A stale lock file names a pid that is gone, recycled by another process, or a killed postmaster's zombie not yet
    // reaped (PostgreSQL's kill(pid, 0) check counts a zombie as running and would refuse to start): drop it.
    if (pm) fs.rmSync(path.join(place.pgData, 'postmaster.pid'), { force: true });
    return { kind: 'stopped' };
  }
  const owner = readOwner(place);
  if (owner && alive(owner.pid) && parentOf(pm.pid) === owner.pid) return { kind: 'owned', pid: pm.pid, port: pm.port, owner };
  return { kind: 'orphaned', pid: pm.pid, port: pm.port };
}
