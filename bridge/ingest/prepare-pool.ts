import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { FhirError, Issue } from '../fhir/outcome';
import { PreparedBundle, prepareBundle } from '../fhir/prepare';
import { loadFhirDefinitions } from '../fhir/validate';

type Reply = { ok: PreparedBundle } | { error: { status: number; issues: Issue[] } } | { fault: string };

/** Runs prepareBundle: inline (size 0) or on worker threads, so validation uses every core and never stalls HTTP. */
export interface PreparePool {
  prepare(text: string, maxEntries: number): Promise<PreparedBundle>;
  close(): Promise<void>;
}

export function defaultPoolSize(): number {
  return os.availableParallelism();
}

/** From source (ts-jest, ts-node) a worker needs ts-node to load .ts; from dist it loads the .js directly. */
function workerSource(): string {
  const entry = require.resolve('./prepare-worker');
  const register = entry.endsWith('.ts') ? "require('ts-node').register({ transpileOnly: true });" : '';
  return `${register} require(${JSON.stringify(entry)});`;
}

function spawnWorker(): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const w = new Worker(workerSource(), { eval: true });
    w.once('error', reject);
    w.once('message', (m: { ready?: boolean }) => (m.ready ? resolve(w) : reject(new Error('prepare worker did not start'))));
  });
}

type Job = { text: string; maxEntries: number; resolve(p: PreparedBundle): void; reject(e: Error): void };

class WorkerPool implements PreparePool {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  /** The job each busy worker is on, so a worker that dies fails its job instead of leaving it hanging. */
  private readonly busy = new Map<Worker, Job>();
  private closing = false;

  constructor(private readonly workers: Worker[]) {
    for (const w of workers) this.adopt(w);
  }

  private adopt(w: Worker): void {
    w.unref();
    w.removeAllListeners('error');
    w.on('message', (reply: Reply) => this.settle(w, reply));
    w.on('error', () => undefined); // the exit handler below does the work
    w.on('exit', () => this.lost(w));
    this.idle.push(w);
    this.dispatch();
  }

  prepare(text: string, maxEntries: number): Promise<PreparedBundle> {
    return new Promise((resolve, reject) => {
      this.queue.push({ text, maxEntries, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      worker.postMessage({ text: job.text, maxEntries: job.maxEntries });
    }
  }

  private settle(worker: Worker, reply: Reply): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    this.idle.push(worker);
    if (job) {
      if ('ok' in reply) job.resolve(reply.ok);
      else if ('error' in reply) job.reject(new FhirError(reply.error.status, reply.error.issues));
      else job.reject(new Error(`bundle preparation failed: ${reply.fault}`));
    }
    this.dispatch();
  }

  /** A worker exited (crash, out of memory): fail its job and start a replacement. */
  private lost(worker: Worker): void {
    if (this.closing) return;
    this.busy.get(worker)?.reject(new Error('bundle preparation worker exited'));
    this.busy.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    this.workers.splice(this.workers.indexOf(worker), 1);
    spawnWorker().then((w) => {
      this.workers.push(w);
      this.adopt(w);
    }, () => undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Starts `size` workers and waits until each has loaded the FHIR definitions; size 0 prepares on the calling thread. */
export async function startPreparePool(size: number): Promise<PreparePool> {
  if (size <= 0) {
    loadFhirDefinitions();
    return { prepare: async (text, maxEntries) => prepareBundle(text, maxEntries), close: async () => undefined };
  }
  const workers = await Promise.all(Array.from({ length: size }, spawnWorker));
  return new WorkerPool(workers);
}
