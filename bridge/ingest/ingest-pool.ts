import { Worker } from 'node:worker_threads';
import { noteCommittedAudits } from '../access/audit-context';
import { FhirError, fromWire, outcomes, WireOutcome } from '../fhir/outcome';
import { loadFhirDefinitions } from '../fhir/validate';
import type { Db } from '../store/db';
import { pushBundle, PushOptions, PushResult } from './push';

/**
 * Where pushes run: on worker threads, each with its own PostgreSQL connections, so that parsing, validation,
 * normalization and the SQL of a push use every core and the HTTP thread only receives and answers; or inline
 * (0 workers), on the calling thread.
 */
export interface IngestPool {
  push(opts: PushOptions, text: string): Promise<PushResult>;
  close(): Promise<void>;
}

export interface IngestPoolOptions {
  /** Worker threads; 0 runs pushes inline on `db`. */
  workers: number;
  db: Db;
  /** The database the workers connect to (the same one as `db`). */
  databaseUrl: string;
  /** PostgreSQL connections per worker, which is also how many pushes a worker has in flight. */
  connectionsPerWorker: number;
  /** Pushes that may wait for a worker beyond those in flight; more are refused with 503 and Retry-After. */
  maxQueued?: number;
}

/** Default of maxQueued: a burst of clients waits; a flood is told to come back instead of filling memory with bodies. */
export const DEFAULT_MAX_QUEUED = 64;

/** What a worker answers for job `id`: a fault carries only the error's kind, never its message (it may hold data). */
export type IngestReply = { id: number } & ({ ok: PushResult } | { error: WireOutcome } | { fault: { name?: string; code?: string; stack?: string } });

/** From source (ts-jest, ts-node) a worker needs ts-node to load .ts; from dist it loads the .js directly. */
function workerSource(): string {
  const entry = require.resolve('./ingest-worker');
  const register = entry.endsWith('.ts') ? "require('ts-node').register({ transpileOnly: true });" : '';
  return `${register} require(${JSON.stringify(entry)});`;
}

function spawnWorker(databaseUrl: string, connections: number): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const w = new Worker(workerSource(), { eval: true, workerData: { databaseUrl, connections } });
    w.once('error', reject);
    w.once('message', (m: { ready?: boolean; code?: string }) =>
      m.ready ? resolve(w) : reject(Object.assign(new Error(`ingest worker could not connect to PostgreSQL (${m.code ?? 'unknown error'})`), { code: m.code })),
    );
  });
}

type Job = { id: number; opts: PushOptions; text: string; resolve(r: PushResult): void; reject(e: Error): void };

/** A push refused while no worker is alive: nothing stored, retry once one has started. */
const noWorkerError = (): FhirError => outcomes.unavailable('no ingest worker is running; nothing was stored, retry later', { retryAfterSeconds: 5 });

function faultError(fault: { name?: string; code?: string; stack?: string }): Error {
  const err = new Error('push failed in an ingest worker');
  err.name = fault.name ?? 'Error';
  if (fault.stack) err.stack = fault.stack;
  return Object.assign(err, { code: fault.code });
}

class WorkerPool implements IngestPool {
  private readonly queue: Job[] = [];
  /** Jobs in flight on each worker, so a worker that dies fails its jobs instead of leaving them hanging. */
  private readonly inFlight = new Map<Worker, Map<number, Job>>();
  private nextId = 1;
  private closing = false;

  constructor(
    workers: Worker[],
    private readonly databaseUrl: string,
    private readonly perWorker: number,
    private readonly maxQueued: number,
  ) {
    for (const w of workers) this.adopt(w);
  }

  private adopt(w: Worker): void {
    w.unref();
    w.removeAllListeners('error');
    w.on('message', (reply: IngestReply) => this.settle(w, reply));
    w.on('error', () => undefined); // the exit handler below does the work
    w.on('exit', () => this.lost(w));
    this.inFlight.set(w, new Map());
    this.dispatch();
  }

  push(opts: PushOptions, text: string): Promise<PushResult> {
    if (this.closing) return Promise.reject(new Error('ingest pool is closed'));
    if (this.inFlight.size === 0) return Promise.reject(noWorkerError());
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        outcomes.unavailable(`the bridge is busy (${this.queue.length} pushes waiting); nothing was stored, retry later`, { retryAfterSeconds: 1 }),
      );
    }
    return new Promise<PushResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, opts, text, resolve, reject });
      this.dispatch();
    }).then(noted); // in the caller's async context: its request's collector
  }

  /** Each job goes to the least busy worker with a free connection; the rest wait here as text. */
  private dispatch(): void {
    while (this.queue.length) {
      let target: Worker | undefined;
      for (const [w, jobs] of this.inFlight) if (jobs.size < this.perWorker && (!target || jobs.size < (this.inFlight.get(target)?.size ?? 0))) target = w;
      if (!target) return;
      const job = this.queue.shift() as Job;
      this.inFlight.get(target)?.set(job.id, job);
      target.postMessage({ id: job.id, opts: job.opts, text: job.text });
    }
  }

  private settle(worker: Worker, reply: IngestReply): void {
    const jobs = this.inFlight.get(worker);
    const job = jobs?.get(reply.id);
    jobs?.delete(reply.id);
    if (job) {
      if ('ok' in reply) job.resolve(reply.ok);
      else if ('error' in reply) job.reject(fromWire(reply.error));
      else job.reject(faultError(reply.fault));
    }
    this.dispatch();
  }

  /** A worker exited (crash, out of memory): its transactions rolled back with its connections; fail its jobs, start a replacement. */
  private lost(worker: Worker): void {
    const jobs = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    for (const job of jobs?.values() ?? []) job.reject(new Error('ingest worker exited; the push was not applied'));
    if (this.closing) return;
    if (this.inFlight.size === 0) this.refuseQueued();
    this.respawn(1000);
  }

  /** Starts a replacement worker, retrying with backoff (up to 30 s) while it cannot start (e.g. the database is down). */
  private respawn(delayMs: number): void {
    spawnWorker(this.databaseUrl, this.perWorker).then(
      (w) => (this.closing ? void w.terminate() : this.adopt(w)),
      () => {
        if (this.closing) return;
        if (this.inFlight.size === 0) this.refuseQueued();
        setTimeout(() => this.respawn(Math.min(delayMs * 2, 30_000)), delayMs).unref();
      },
    );
  }

  /** With no worker alive, waiting pushes are told to come back rather than hang. */
  private refuseQueued(): void {
    for (const job of this.queue.splice(0)) job.reject(noWorkerError());
  }

  /** Workers close their connections and exit; pushes still in flight finish first (the HTTP server stops taking new ones before). */
  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('ingest pool is closed'));
    await Promise.all(
      [...this.inFlight.keys()].map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage({ close: true });
            setTimeout(() => void w.terminate(), 10_000).unref();
          }),
      ),
    );
  }
}

/** The push's committed audit records join the calling request's (promised in its response), on either kind of pool. */
function noted(result: PushResult): PushResult {
  noteCommittedAudits(result.audits);
  return result;
}

/** Starts the workers and waits until each has loaded the FHIR definitions and connected. */
export async function startIngestPool(options: IngestPoolOptions): Promise<IngestPool> {
  if (options.workers <= 0) {
    loadFhirDefinitions();
    return { push: (opts, text) => pushBundle(options.db, opts, text).then(noted), close: async () => undefined };
  }
  const perWorker = Math.max(1, options.connectionsPerWorker);
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < options.workers; i++) workers.push(await spawnWorker(options.databaseUrl, perWorker));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  return new WorkerPool(workers, options.databaseUrl, perWorker, options.maxQueued ?? DEFAULT_MAX_QUEUED);
}
