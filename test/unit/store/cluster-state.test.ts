import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterState } from '../../../bridge/store/embedded-cluster';
import { waitFor } from '../../helpers/wait';

/**
 * After a SIGKILL of the bridge's process group, the killed postmaster can linger as a zombie until init reaps it.
 * PostgreSQL's own lock-file check counts a zombie as running, so a restart must drop a lock file naming one.
 */
const procState = (pid: number): string | undefined => {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
};

const place = (): { dir: string; pgData: string; relocated: boolean } => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-state-'));
  fs.mkdirSync(path.join(dir, 'pg'));
  return { dir, pgData: path.join(dir, 'pg'), relocated: false };
};

const lockFile = (pgData: string, pid: number): void =>
  fs.writeFileSync(path.join(pgData, 'postmaster.pid'), `${pid}\n${pgData}\n1700000000\n5432\n/tmp\n127.0.0.1\n  1 2\nready\n`);

const itOnLinux = fs.existsSync('/proc/self/stat') ? it : it.skip;

itOnLinux('a lock file naming an unreaped zombie is dropped, so PostgreSQL can start', async () => {
  // `sleep 0` exits and stays a zombie: its parent became `sleep 5` (exec), which never reaps it.
  const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    let out = '';
    sh.stdout!.on('data', (d) => (out += d));
    const zombie = await waitFor(async () => (/^\d+/.test(out) ? Number(out) : undefined), { timeoutMs: 5000 });
    await waitFor(async () => procState(zombie) === 'Z' || undefined, { timeoutMs: 5000 });
    const p = place();
    lockFile(p.pgData, zombie);
    expect(clusterState(p)).toEqual({ kind: 'stopped' });
    expect(fs.existsSync(path.join(p.pgData, 'postmaster.pid'))).toBe(false);
    fs.rmSync(p.dir, { recursive: true, force: true });
  } finally {
    sh.kill('SIGKILL');
  }
});

it('a lock file naming a pid that is gone is dropped too', () => {
  const p = place();
  lockFile(p.pgData, 2 ** 22 + 12345); // above pid_max's default: no such process
  expect(clusterState(p)).toEqual({ kind: 'stopped' });
  expect(fs.existsSync(path.join(p.pgData, 'postmaster.pid'))).toBe(false);
  fs.rmSync(p.dir, { recursive: true, force: true });
});
