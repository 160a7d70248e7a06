import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Ports for servers that must be told their port before they start (embedded PostgreSQL, a `hardhat node` child, a
 * URL nothing listens on). Servers started in process listen on port 0 instead and report the port they got.
 *
 * A port is handed out at most once on the machine at a time, with no race between jest workers, test runs or
 * benches: it comes from a range below the kernel's ephemeral range (so no `listen(0)` or outgoing connection is
 * given it meanwhile), is claimed by creating a lock file exclusively (`wx`), and is checked free by binding it.
 * The lock lives until this process exits; a lock left by a dead process is taken over (jest's sandboxed `process`
 * may not see the exit, so global teardown also sweeps the locks of dead processes).
 */
const LOCKS = path.join(os.tmpdir(), 'fhir-bridge-test-ports');
const held = new Set<string>();
process.once('exit', () => {
  for (const f of held) fs.rmSync(f, { force: true });
});

/** [low, high) below the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default). */
function reservedRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    /* not Linux: keep the IANA-style default */
  }
  const high = Math.min(ephemeralLow, 32768);
  return [Math.max(1024, high - 12_000), high];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Claims the lock of `port`: true when this process now holds it. */
function claim(port: number): boolean {
  const file = path.join(LOCKS, `${port}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(file, 'utf8')) || 0;
      if (owner && alive(owner)) return false;
      // Stale: its process died without removing it. Rename first so only one taker removes it.
      const stale = `${file}.${process.pid}.stale`;
      try {
        fs.renameSync(file, stale);
        fs.rmSync(stale, { force: true });
      } catch {
        return false;
      }
    }
  }
  return false;
}

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });

/** A TCP port on 127.0.0.1 reserved for this process (see above). */
export async function freePort(): Promise<number> {
  fs.mkdirSync(LOCKS, { recursive: true, mode: 0o777 });
  const [low, high] = reservedRange();
  const span = high - low;
  // Start each process (jest worker) at a different place so they rarely meet on a lock.
  const start = (process.pid * 7919 + Number(process.env.JEST_WORKER_ID ?? 0) * 1009) % span;
  for (let i = 0; i < span; i++) {
    const port = low + ((start + i) % span);
    if (!claim(port)) continue;
    if (await bindable(port)) return port;
    // Taken by something outside this scheme: keep the lock (so no one else tries it) and move on.
  }
  throw new Error(`no free port in ${low}-${high - 1}`);
}

/** Removes the locks of processes that have exited (jest workers). */
export function releaseStalePorts(): void {
  if (!fs.existsSync(LOCKS)) return;
  for (const f of fs.readdirSync(LOCKS)) {
    const file = path.join(LOCKS, f);
    try {
      const owner = Number(fs.readFileSync(file, 'utf8')) || 0;
      if (!owner || !alive(owner)) fs.rmSync(file, { force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}
