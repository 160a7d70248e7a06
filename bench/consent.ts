/**
 * Consent-request round trip over the real HTTP app: clinic C asks (POST /fhir/Task with a $match handle), home
 * clinic A finds the Task (GET /fhir/Task?status=requested) and approves ($approve: an active Consent pushed through
 * ingest), C's rest-hook endpoint (a local server) receives the notification from the outbox loop, and C pulls the first
 * $everything page by handle. Prints p50/p99 of the whole trip and of each step over N sequential rounds; asserts nothing.
 *
 *   npm run bench -- consent
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_CONSENT_ROUNDS=100,
 * BENCH_CONSENT_RESOURCES=200 (resources A holds of the traveller), INGEST_WORKERS=1, NOTIFY_POLL_MS=1000 (the
 * loop is woken by each change in this process; polling covers other processes).
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { startNotifier } from '../bridge/notify/delivery';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { issueMatchHandle } from '../bridge/store/match-handles';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { consentRequestTask } from '../test/helpers/consent-requests';
import { pct } from './stats';

const ROUNDS = Number(process.env.BENCH_CONSENT_ROUNDS ?? 100);
const RESOURCES = Number(process.env.BENCH_CONSENT_RESOURCES ?? 200);
const WORKERS = Number(process.env.INGEST_WORKERS ?? 1);
const POLL_MS = Number(process.env.NOTIFY_POLL_MS ?? 1000);
const WARMUP = 5;

function travellerBundle(): unknown {
  const entry: unknown[] = [
    {
      resource: {
        resourceType: 'Patient',
        id: 'anna',
        name: [{ family: 'Schmidt', given: ['Anna'] }],
        birthDate: '1980-04-02',
        gender: 'female',
        identifier: [{ system: 'http://hl7.org/fhir/sid/passport-DEU', value: 'C01X00T47' }],
      },
      request: { method: 'PUT', url: 'Patient/anna' },
    },
  ];
  for (let i = 1; i < RESOURCES; i++) {
    entry.push({
      resource: {
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: 'Patient/anna' },
        effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
        valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
      request: { method: 'PUT', url: `Observation/o${i}` },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  const log = createLogger('silent');
  // The rest-hook endpoint is a local server: loopback hosts must be allowed explicitly (NOTIFY_ALLOW_PRIVATE_HOSTS).
  const notifier = startNotifier(db, log, { pollMs: POLL_MS, allowPrivateHosts: true });
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    ingestWorkers: WORKERS,
    connectionsPerWorker: 2,
    log,
    adminToken: undefined,
    maxBodyBytes: 50 * 1024 * 1024,
    maxEntries: 100_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    version: 'bench',
    notified: notifier.wake,
    allowPrivateHookHosts: true,
  });
  // C's rest-hook endpoint: resolves the waiter of the Task it is told about.
  const waiting = new Map<string, () => void>();
  const hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = req.url!.split('/Task/')[1];
      res.writeHead(200).end();
      waiting.get(id)?.();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  const call = async (key: string, method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${served.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  try {
    const [A, C] = [await createClinic(db, 'A'), await createClinic(db, 'C')];
    const pushed = await call(A.apiKey, 'POST', '/fhir', travellerBundle());
    const patientId = pushed.entry[0].response.location.split('/')[1];
    await call(C.apiKey, 'POST', '/fhir/Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'bench',
      criteria: 'Task?status=accepted',
      channel: { type: 'rest-hook', endpoint: hookUrl, payload: 'application/fhir+json' },
    });
    const today = new Date().toISOString().slice(0, 10);
    const end = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const steps = {
      request: [] as number[],
      find: [] as number[],
      approve: [] as number[],
      notified: [] as number[],
      everything: [] as number[],
      total: [] as number[],
    };
    let entries = 0;
    for (let r = 0; r < ROUNDS + WARMUP; r++) {
      const { handle } = await issueMatchHandle(db, C.id, { patientIds: [patientId], grade: 'certain', score: 1 }, 3600);
      const t0 = performance.now();
      const task = await call(C.apiKey, 'POST', '/fhir/Task', consentRequestTask({ handle, requester: C.id, period: { start: today, end } }));
      const notified = new Promise<void>((resolve) => waiting.set(task.id, resolve));
      const t1 = performance.now();
      const list = await call(A.apiKey, 'GET', '/fhir/Task?status=requested&_count=10');
      const mine = list.entry.find((e: any) => e.resource.identifier[0].value === task.id).resource;
      const t2 = performance.now();
      await call(A.apiKey, 'POST', `/fhir/Task/${mine.id}/$approve`);
      const t3 = performance.now();
      await notified;
      const t4 = performance.now();
      const page = await call(C.apiKey, 'GET', `/fhir/Patient/${handle}/$everything?_count=100`);
      const t5 = performance.now();
      waiting.delete(task.id);
      entries = page.entry.length;
      if (r < WARMUP) continue;
      steps.request.push(t1 - t0);
      steps.find.push(t2 - t1);
      steps.approve.push(t3 - t2);
      steps.notified.push(t4 - t3);
      steps.everything.push(t5 - t4);
      steps.total.push(t5 - t0);
    }
    console.log(
      `${database.label}; ${ROUNDS} sequential rounds (+${WARMUP} warm-up), ingest workers ${WORKERS}, A holds ${RESOURCES} resources, first $everything page of ${entries} entries`,
    );
    for (const [name, times] of Object.entries(steps)) {
      times.sort((a, b) => a - b);
      console.log(`${name.padEnd(12)} p50 ${pct(times, 50).toFixed(1).padStart(7)} ms   p99 ${pct(times, 99).toFixed(1).padStart(7)} ms`);
    }
  } finally {
    hook.close();
    await notifier.stop();
    await served.close();
    await db.end();
    await database.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
