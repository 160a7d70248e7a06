/**
 * Ingest benchmark: the real HTTP app over a fresh database, realistic transaction bundles, several concurrent
 * clients; prints figures, asserts nothing. A round is timed until the verifiable log holds all it wrote in a signed
 * checkpoint (the `log ms` column: the sequencer's drain after the last answer), its CPU likewise.
 *
 *   npx ts-node --transpile-only bench/ingest.ts
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_SOURCE=synthea|generated (default:
 * synthea when the samples exist: FHIR_SAMPLES_DIR, default ../shared/fhir-samples), BENCH_CONCURRENCY=1,4,8, BENCH_ROUNDS=3 (timed rounds per level, median
 * reported), BENCH_BUNDLES (cap per round), BENCH_GENERATED=60 (generated bundles), BENCH_PROFILE=dir (main-thread CPU
 * profiles of each round).
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { Client, Pool } from 'pg';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS, defaultIngestWorkers } from '../bridge/config';
import { canonicalBundleJson, sha256Hex } from '../bridge/fhir/hash';
import { planBundle } from '../bridge/fhir/plan';
import { rewriteReferences } from '../bridge/fhir/references';
import { indexedResourceTypes } from '../bridge/fhir/search-definitions';
import { searchIndex } from '../bridge/fhir/search-index';
import { loadFhirDefinitions, validateBundle } from '../bridge/fhir/validate';
import { createApp } from '../bridge/http/app';
import { IngestPool, startIngestPool } from '../bridge/ingest/ingest-pool';
import { createLogService, type LogService } from '../bridge/log/service';
import { createLogger } from '../bridge/log';
import { canonicalSystem } from '../bridge/normalize/codes';
import { normalizeResource } from '../bridge/normalize';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { coresBusy, cpuSnapshot } from './cpu';
import { freshDatabase } from './database';
import type { RoundRequest } from './ingest-client';
import { bodies, loadWorkload, RoundResult } from './ingest-workload';
import { pct } from './stats';

/** Timed rounds per concurrency level; the median is reported (the machine's speed varies from round to round). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS) || 3);
const PEER = '117-131 resources/s sequential, 157-187 resources/s with 4 clients (Medplum 5.0.10 on peer-workload/, README of the samples)';

const entries = (b: Bundle): number => b.entry?.length ?? 0;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The clients' process (bench/ingest-client.ts), which builds the bodies and pushes them; one round at a time. */
async function startClients(): Promise<{ child: ChildProcess; round(req: RoundRequest): Promise<RoundResult> }> {
  const child = fork(path.join(__dirname, 'ingest-client.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench client exited with ${code}`)));
  });
  return {
    child,
    round: (req) =>
      new Promise((resolve, reject) => {
        child.once('message', (m: { result?: RoundResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
        child.send(req);
      }),
  };
}

/** Counts and times every query on this thread's pg clients while `on` is true (concurrency 1, INGEST_WORKERS=0). */
const sqlClock = { on: false, ms: 0, queries: 0, byStatement: new Map<string, { n: number; ms: number }>() };
/** `INSERT INTO resource_history`, `SELECT … FROM shared_entity` …: enough of a statement to tell which one it is. */
function statementKind(sql: unknown): string {
  const text = typeof sql === 'string' ? sql : ((sql as { text?: string })?.text ?? '?');
  const flat = text.replace(/\s+/g, ' ').trim();
  const verb = flat.split(' ')[0].toUpperCase();
  const table = /\b(?:INTO|FROM|UPDATE|JOIN)\s+([a-z_]+)/i.exec(flat)?.[1] ?? '';
  return `${verb} ${table}`.trim();
}
function instrumentPg(): void {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (sqlClock.on && result && typeof (result as Promise<unknown>).then === 'function') {
      const t = performance.now();
      sqlClock.queries++;
      const kind = statementKind(args[0]);
      const done = (): void => {
        const ms = performance.now() - t;
        sqlClock.ms += ms;
        const k = sqlClock.byStatement.get(kind) ?? { n: 0, ms: 0 };
        k.n++;
        k.ms += ms;
        sqlClock.byStatement.set(kind, k);
      };
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  };
}

function printSqlClock(wallMs: number, bundles: number): void {
  console.log(
    `           concurrency 1: ${fmt(sqlClock.queries)} SQL statements (${fmt(sqlClock.queries / bundles, 1)} a bundle), ${fmt(sqlClock.ms / 1000, 1)} s waiting on PostgreSQL = ${fmt((100 * sqlClock.ms) / wallMs)}% of wall time (COPY streams not counted):`,
  );
  const top = [...sqlClock.byStatement].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
  console.log(`             ${top.map(([k, v]) => `${k} ${fmt(v.ms / 1000, 2)} s (${fmt(v.n)})`).join('; ')}`);
}

/** With BENCH_PROFILE=dir, a CPU profile of the main thread per timed round (open it in Chrome DevTools). */
async function startProfile(name: string): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return undefined;
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `ingest-${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** COPY FROM STDIN through pg's submittable interface (pg-copy-streams is not a dependency). */
function copyIn(client: Client, sql: string, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: unknown;
    const submittable = {
      submit: (connection: { query(text: string): void }) => connection.query(sql),
      handleCopyInResponse: (connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) => {
        for (const c of chunks) connection.sendCopyFromChunk(c);
        connection.endCopyFrom();
      },
      handleCommandComplete: () => undefined,
      handleReadyForQuery: () => (error ? reject(error) : resolve()),
      handleError: (err: unknown) => {
        error = err;
      },
      handleEmptyQuery: () => undefined,
      handleRowDescription: () => undefined,
      handleDataRow: () => undefined,
      handleCopyData: () => undefined,
      handlePortalSuspended: () => undefined,
    };
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}

const copyText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** Rows/s of a text COPY of `resources` (the same JSON) into a scratch table shaped like `resource` (its indexes, no FKs). */
async function copyBaseline(url: string, resources: Resource[], clinicId: string): Promise<{ rows: number; ms: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE resource INCLUDING ALL)');
  const now = new Date().toISOString();
  const lines = resources.map((r) =>
    [randomUUID(), r.resourceType, clinicId, '\\N', '1', '\\N', '\\N', now, '\\N', '\\N', 'f', copyText(JSON.stringify(r))].join('\t'),
  );
  const chunks: Buffer[] = [];
  for (let i = 0; i < lines.length; i += 500) chunks.push(Buffer.from(lines.slice(i, i + 500).join('\n') + '\n'));
  const t = performance.now();
  await copyIn(
    client,
    'COPY bench_copy (id, resource_type, clinic_id, source_id, version, patient_id, bundle_id, last_updated, date_start, date_end, deleted, content) FROM STDIN',
    chunks,
  );
  const ms = performance.now() - t;
  await client.query('DROP TABLE bench_copy');
  await client.end();
  return { rows: resources.length, ms };
}

/** Where CPU goes on one core, stage by stage, over the same bundles (no I/O). */
function cpuBreakdown(payloads: string[]): { stage: string; ms: number }[] {
  const out: { stage: string; ms: number }[] = [];
  // Definitions are read once per process (a second or so): read before timing, as the server does at start.
  loadFhirDefinitions();
  indexedResourceTypes();
  const time = <T>(stage: string, f: () => T): T => {
    const t = performance.now();
    const r = f();
    out.push({ stage, ms: performance.now() - t });
    return r;
  };
  const parsed = time('JSON.parse of the request bodies', () => payloads.map((p) => JSON.parse(p) as Bundle));
  time('validateBundle (precheck, else Medplum; code checks)', () => parsed.forEach((b) => validateBundle(b)));
  const plans = time('planBundle', () => parsed.map((b) => planBundle(b, 100_000)));
  time('canonical JSON (RFC 8785) + SHA-256', () => parsed.forEach((b) => sha256Hex(canonicalBundleJson(b as unknown as Record<string, unknown>))));
  const ids = new Map<string, string>();
  for (const b of parsed) for (const e of b.entry ?? []) if (e.fullUrl) ids.set(e.fullUrl, `${e.resource?.resourceType}/${randomUUID()}`);
  const served = time('rewrite references', () =>
    plans.flatMap((p) => p.entries.map((e) => rewriteReferences((e.action as { resource: Resource }).resource, (r) => ids.get(r)))),
  );
  time('search index (R4 search parameters, compartment)', () => served.forEach((r) => searchIndex(r, (s) => canonicalSystem(s) ?? s)));
  time('normalize (universal-schema rows, UCUM)', () => served.forEach((r) => normalizeResource(r)));
  time('JSON.stringify of the rows sent to PostgreSQL', () => served.forEach((r) => JSON.stringify({ content: r })));
  return out;
}

async function main(): Promise<void> {
  const workload = loadWorkload();
  const perRound = sum(workload.bundles.map(entries));
  const levels = (process.env.BENCH_CONCURRENCY ?? '1,4,8')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const database = await freshDatabase();
  const db: Pool = createPool(database.url, Math.max(10, ...levels) + 2);
  let server: Server | undefined;
  let ingest: IngestPool | undefined;
  let verifiableLog: LogService | undefined;
  let clients: Awaited<ReturnType<typeof startClients>> | undefined;
  try {
    await runMigrations(db);
    loadFhirDefinitions();
    instrumentPg();
    const workers = process.env.INGEST_WORKERS !== undefined ? Number(process.env.INGEST_WORKERS) : defaultIngestWorkers();
    const connections = Number(process.env.INGEST_CONNECTIONS) || 4;
    ingest = await startIngestPool({ workers, db, databaseUrl: database.url, connectionsPerWorker: connections });
    // The verifiable log runs as in production: every resource version is a leaf, integrated every CHECKPOINT_INTERVAL_MS.
    verifiableLog = createLogService({
      db,
      log: createLogger('silent'),
      keyFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fab-bench-log-')), 'log-key.pem'),
      intervalMs: Number(process.env.CHECKPOINT_INTERVAL_MS) || 5000,
    });
    verifiableLog.start();
    const app = createApp({
      db,
      verifiableLog,
      log: createLogger('silent'),
      adminToken: undefined,
      maxBodyBytes: 100 * 1024 * 1024,
      maxEntries: 100_000,
      ingest,
      personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
      version: 'bench',
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const clinic = await createClinic(db, 'Bench clinic');

    console.log(
      `fhir-anchor-bridge ingest benchmark — ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, Node ${process.version}, ${database.label}, ingest workers: ${workers}${workers ? ` × ${connections} connections` : ' (pushes on the HTTP thread)'}`,
    );
    console.log(
      `workload: ${workload.source}: ${workload.bundles.length} transaction bundles, ${fmt(perRound)} resources a round (validation on, one clinic, clients in a separate process; a full untimed round first)`,
    );

    // Warm-up (not timed): shared entities, JIT, pool connections.
    clients = await startClients();
    const warm = await clients.round({ url, key: clinic.apiKey, which: 'setup', concurrency: 1 });
    const warm2 = await clients.round({ url, key: clinic.apiKey, which: 'bundles', concurrency: 4 });
    if (warm.failed.length || warm2.failed.length) throw new Error(`warm-up failed: ${[...warm.failed, ...warm2.failed][0]}`);
    await verifiableLog.integrate(); // the warm-up's entries are not the first round's work

    console.log('\nend to end (POST /fhir, one transaction per bundle):');
    console.log('  clients  resources/s  bundles/s   p50 ms   p99 ms   wall s  log ms  failed');
    const results: { c: number; rps: number }[] = [];
    for (const c of levels) {
      const rounds: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const clockSql = c === 1 && round === 1;
        if (clockSql) Object.assign(sqlClock, { on: true, ms: 0, queries: 0, byStatement: new Map() });
        const profile = await startProfile(`${c}-clients-round-${round}`);
        const before = cpuSnapshot(clients.child.pid);
        const elu = performance.eventLoopUtilization();
        const pushed = await clients.round({ url, key: clinic.apiKey, which: 'bundles', concurrency: c });
        // A round ends when its last entry is in a signed checkpoint: rounds (~4 s) are shorter than the sequencer's
        // interval (5 s), so without this part of the log's work would fall between rounds, untimed and uncounted.
        const drainStarted = performance.now();
        await verifiableLog.integrate();
        const drainMs = performance.now() - drainStarted;
        const r = { ...pushed, ms: pushed.ms + drainMs };
        const cpu = `${coresBusy(before, cpuSnapshot(clients.child.pid))}; main event loop busy ${fmt(100 * performance.eventLoopUtilization(elu).utilization)}%`;
        await profile?.stop();
        sqlClock.on = false;
        const sorted = [...r.latencies].sort((a, b) => a - b);
        const rps = perRound / (r.ms / 1000);
        rounds.push(rps);
        console.log(
          `  ${String(c).padStart(7)}  ${fmt(rps).padStart(11)}  ${fmt(workload.bundles.length / (r.ms / 1000), 1).padStart(9)}  ${fmt(pct(sorted, 50)).padStart(7)}  ${fmt(pct(sorted, 99)).padStart(7)}  ${fmt(r.ms / 1000, 1).padStart(7)}  ${fmt(drainMs).padStart(6)}  ${r.failed.length}${r.failed.length ? ` (${r.failed[0]})` : ''}`,
        );
        console.log(`           ${cpu}`);
        if (clockSql && sqlClock.queries) printSqlClock(r.ms, workload.bundles.length);
      }
      const median = [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
      results.push({ c, rps: median });
      if (ROUNDS > 1) console.log(`           ${c} client(s), median of ${ROUNDS} rounds: ${fmt(median)} resources/s`);
    }

    const rows = (
      await db.query(
        'SELECT (SELECT count(*) FROM resource) AS resource, (SELECT count(*) FROM resource_history) AS history, (SELECT count(*) FROM search_string) + (SELECT count(*) FROM search_date) + (SELECT count(*) FROM search_quantity) AS search, (SELECT count(*) FROM observation) AS observation, (SELECT count(*) FROM encounter) AS encounter',
      )
    ).rows[0];
    const logStarted = performance.now();
    const logSize = await verifiableLog.integrate();
    const waiting = (await db.query('SELECT count(*)::int AS n FROM log_queue')).rows[0].n as number;
    console.log(
      `\nverifiable log: ${fmt(logSize ?? 0)} leaves (a leaf per bundle, resource version and audit record), ${waiting} still queued; the last integration took ${fmt(performance.now() - logStarted)} ms`,
    );
    const copyResources = workload.bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource as Resource));
    const copy = await copyBaseline(database.url, copyResources, clinic.id);
    const copyRps = copy.rows / (copy.ms / 1000);
    const best = results.reduce((a, b) => (b.rps > a.rps ? b : a), results[0]);
    console.log(
      `\nphysical limit: text COPY of the same ${fmt(copy.rows)} resource JSON rows into a table shaped like resource (same indexes): ${fmt(copyRps)} rows/s`,
    );
    for (const r of results) console.log(`  ${r.c} client(s): ${fmt(r.rps)} resources/s = ${fmt((100 * r.rps) / copyRps, 1)}% of COPY`);
    console.log(
      `  rows written per resource by the bridge (resource, history, search values, clinical, … in the database now): resource ${rows.resource}, resource_history ${rows.history}, search rows ${rows.search}, observation ${rows.observation}, encounter ${rows.encounter}`,
    );

    console.log('\nCPU on one core, stage by stage, over the same bundles (no HTTP, no SQL):');
    const stages = cpuBreakdown(bodies(workload.bundles));
    const cpuTotal = sum(stages.map((s) => s.ms));
    for (const s of stages)
      console.log(
        `  ${s.stage.padEnd(52)} ${fmt(s.ms).padStart(6)} ms  ${fmt(perRound / (s.ms / 1000)).padStart(9)} resources/s  ${fmt((100 * s.ms) / cpuTotal).padStart(3)}%`,
      );
    console.log(`  ${'all pure stages'.padEnd(52)} ${fmt(cpuTotal).padStart(6)} ms  ${fmt(perRound / (cpuTotal / 1000)).padStart(9)} resources/s`);
    const validation = stages.find((s) => s.stage.startsWith('validateBundle'))?.ms ?? 0;
    console.log(
      `\nvalidation alone: ${fmt(perRound / (validation / 1000))} resources/s on one core; target 3,000 resources/s end to end; best here ${fmt(best.rps)} resources/s (${best.c} clients)`,
    );
    if (workload.source.startsWith('Synthea')) console.log(`peer server on this kind of machine: ${PEER}`);
  } finally {
    clients?.child.kill();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server?.close(() => r()));
    }
    await verifiableLog?.close();
    await ingest?.close();
    await db.end();
    await database.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
