/**
 * CPU time by party over an interval, read from /proc (Linux; elsewhere it reports nothing): this process's main
 * thread, its other threads (ingest workers, GC helpers), and every PostgreSQL process on the machine.
 */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

function ticksOf(statPath: string): number {
  try {
    // comm may contain spaces: fields start after the last ')'.
    const stat = fs.readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function commOf(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export interface CpuSnapshot {
  main: number;
  otherThreads: number;
  postgres: number;
  /** The benchmark's client process, when there is one. */
  client: number;
  at: number;
}

/** Ticks of a process with all its threads. */
function processTicks(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + ticksOf(`/proc/${pid}/task/${tid}/stat`), 0);
  } catch {
    return 0;
  }
}

export function cpuSnapshot(clientPid?: number): CpuSnapshot | undefined {
  if (!fs.existsSync('/proc/self/task')) return undefined;
  const pid = String(process.pid);
  let main = 0;
  let otherThreads = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const t = ticksOf(`/proc/self/task/${tid}/stat`);
    if (tid === pid) main = t;
    else otherThreads += t;
  }
  let postgres = 0;
  for (const p of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(p) && commOf(p).startsWith('postgres')) postgres += ticksOf(`/proc/${p}/stat`);
  }
  return { main, otherThreads, postgres, client: clientPid ? processTicks(clientPid) : 0, at: performance.now() };
}

/** Cores busy on average between two snapshots, per party. */
export function coresBusy(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): string {
  if (!a || !b) return 'CPU by party: not available on this platform';
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number): string => (ticks / TICKS_PER_SECOND / seconds).toFixed(2);
  const total = b.main - a.main + b.otherThreads - a.otherThreads + b.postgres - a.postgres + b.client - a.client;
  const client = b.client - a.client ? `, bench clients ${cores(b.client - a.client)}` : '';
  return `cores busy: bridge main thread ${cores(b.main - a.main)}, bridge other threads (ingest workers, GC) ${cores(b.otherThreads - a.otherThreads)}, PostgreSQL ${cores(b.postgres - a.postgres)}${client}; total ${cores(total)}`;
}
