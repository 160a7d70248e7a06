/**
 * Pushes on worker threads, over a real database: the same outcomes as inline pushes, errors as FhirErrors,
 * nothing half-written, and a pool that survives a worker dying.
 */
import type { Worker } from 'node:worker_threads';
import { bundleHash } from '../../../bridge/fhir/hash';
import { FhirError } from '../../../bridge/fhir/outcome';
import { IngestPool, startIngestPool } from '../../../bridge/ingest/ingest-pool';
import { createClinic } from '../../../bridge/store/clinics';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../../bridge/config';
import { createTestDatabase, TestDatabase } from '../../helpers/db';
import { fixtureBundle } from '../../helpers/fixtures';
import { waitFor } from '../../helpers/wait';

let database: TestDatabase;
let pool: IngestPool;
let clinicId: string;
const opts = (maxEntries = 100) => ({ clinicId, maxEntries, personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS });
const count = async (table: string): Promise<number> => Number((await database.db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

beforeAll(async () => {
  database = await createTestDatabase();
  clinicId = (await createClinic(database.db, 'Worker clinic')).id;
  pool = await startIngestPool({ workers: 2, db: database.db, databaseUrl: database.url, connectionsPerWorker: 2 });
});
afterAll(async () => {
  await pool?.close();
  await database?.drop();
});

test('a worker stores a transaction and answers with the hash the reference library computes', async () => {
  const bundle = fixtureBundle('transaction-patient-encounter.json');
  const result = await pool.push(opts(), JSON.stringify(bundle));
  expect(result.hash).toBe(bundleHash(bundle as never));
  expect(result.replayed).toBe(false);
  expect(result.response.type).toBe('transaction-response');
  expect(result.response.entry?.map((e) => e.response?.status)).toEqual(bundle.entry!.map(() => '201 Created'));
  const stored = await database.db.query('SELECT entry_count FROM bundle WHERE hash = $1', [Buffer.from(result.hash.slice(2), 'hex')]);
  expect(stored.rows).toEqual([{ entry_count: bundle.entry!.length }]);
  const again = await pool.push(opts(), JSON.stringify(bundle));
  expect(again.replayed).toBe(true);
  expect(again.response).toEqual(result.response);
});

test('validation problems come back as a 400 FhirError naming each location, and nothing is stored', async () => {
  const before = await count('resource');
  const bundle = fixtureBundle('transaction-patient-encounter.json');
  bundle.identifier = { system: 'urn:test', value: 'invalid-one' };
  (bundle.entry![2].resource as { status: string }).status = 'done';
  const err = await pool.push(opts(), JSON.stringify(bundle)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FhirError);
  expect((err as FhirError).status).toBe(400);
  expect((err as FhirError).issues.map((i) => i.expression)).toContain('Bundle.entry[2].resource.status');
  expect(await count('resource')).toBe(before);
});

test('malformed JSON and too many entries are client errors', async () => {
  expect(((await pool.push(opts(), '{"resourceType":').catch((e: unknown) => e)) as FhirError).status).toBe(400);
  const many = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: Array.from({ length: 3 }, () => ({ resource: { resourceType: 'Basic', code: { text: 'x' } } })),
  };
  expect(((await pool.push(opts(2), JSON.stringify(many)).catch((e: unknown) => e)) as FhirError).status).toBe(413);
});

test('in a batch, an invalid entry is refused alone', async () => {
  const batch = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'ok' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', status: 'nope', code: { text: 'bad' } }, request: { method: 'POST', url: 'Observation' } },
    ],
  };
  const result = await pool.push(opts(), JSON.stringify(batch));
  expect(result.response.entry?.map((e) => e.response?.status.split(' ')[0])).toEqual(['201', '400']);
});

test('many concurrent pushes all come back, each with its own hash, more than the workers have connections', async () => {
  const bundles = Array.from({ length: 20 }, (_, n) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [{ resource: { resourceType: 'Basic', id: `b${n}`, code: { text: `n${n}` } } }],
  }));
  const results = await Promise.all(bundles.map((b) => pool.push(opts(), JSON.stringify(b))));
  expect(results.map((r) => r.hash)).toEqual(bundles.map((b) => bundleHash(b)));
  expect(Number((await database.db.query("SELECT count(*) AS n FROM resource WHERE resource_type = 'Basic' AND source_id LIKE 'b%'")).rows[0].n)).toBe(20);
});

test('a worker that dies fails its pushes (not applied) and is replaced', async () => {
  const workers = (pool as unknown as { inFlight: Map<Worker, unknown> }).inFlight;
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Basic', id: 'doomed', code: { text: 'doomed' } } }] };
  const pending = [pool.push(opts(), JSON.stringify(bundle)), pool.push(opts(), JSON.stringify({ ...bundle, identifier: { system: 'urn:x', value: 'y' } }))];
  await Promise.all([...workers.keys()].map((w) => w.terminate()));
  const outcomes = await Promise.allSettled(pending);
  // Each push either committed before its worker died, or failed and left nothing.
  const applied = outcomes.filter((o) => o.status === 'fulfilled').length;
  const stored = Number((await database.db.query("SELECT count(*) AS n FROM bundle WHERE entry_count = 1 AND canonical LIKE '%doomed%'")).rows[0].n);
  expect(stored).toBe(applied);
  for (const o of outcomes) if (o.status === 'rejected') expect(String(o.reason)).toMatch(/worker exited/);
  // Until a replacement has loaded the definitions (seconds), a push is told to come back instead of hanging.
  expect(workers.size).toBe(0);
  await expect(pool.push(opts(), JSON.stringify(bundle))).rejects.toMatchObject({ status: 503, retryAfterSeconds: 5 });
  // Replacements come up (each loads the FHIR definitions: seconds, more on a loaded machine) and serve.
  await waitFor(() => workers.size >= 2, { timeoutMs: 60_000, what: 'two replacement workers' });
  expect(workers.size).toBe(2);
  const after = await pool.push(opts(), JSON.stringify({ ...bundle, identifier: { system: 'urn:x', value: 'after' } }));
  expect(after.replayed).toBe(false);
}, 120_000);

test('a flood beyond the queue is refused with 503 and Retry-After, stores nothing for those, and the rest are applied', async () => {
  const small = await startIngestPool({ workers: 1, db: database.db, databaseUrl: database.url, connectionsPerWorker: 1, maxQueued: 2 });
  try {
    const bundles = Array.from({ length: 8 }, (_, n) => ({
      resourceType: 'Bundle',
      type: 'collection',
      identifier: { system: 'urn:flood', value: `f${n}` },
      entry: [{ resource: { resourceType: 'Basic', id: `flood${n}`, code: { text: `flood ${n}` } } }],
    }));
    const outcomes = await Promise.allSettled(bundles.map((b) => small.push(opts(), JSON.stringify(b))));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    // One in flight and two waiting are taken; the other five arrive while the queue is full.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.reason).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    const stored = Number((await database.db.query("SELECT count(*) AS n FROM resource WHERE resource_type = 'Basic' AND source_id LIKE 'flood%'")).rows[0].n);
    expect(stored).toBe(3);
  } finally {
    await small.close();
  }
});
