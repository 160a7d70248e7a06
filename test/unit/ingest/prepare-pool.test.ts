import { bundleHash } from '../../../bridge/fhir/hash';
import { FhirError } from '../../../bridge/fhir/outcome';
import { PreparePool, startPreparePool } from '../../../bridge/ingest/prepare-pool';
import { fixtureBundle } from '../../helpers/fixtures';

let pool: PreparePool;
beforeAll(async () => {
  pool = await startPreparePool(2);
});
afterAll(async () => pool?.close());

test('worker threads hash a bundle exactly as the library does', async () => {
  const bundle = fixtureBundle('transaction-patient-encounter.json');
  const prepared = await pool.prepare(JSON.stringify(bundle), 100);
  expect(prepared.hash).toBe(bundleHash(bundle as never));
  expect(JSON.parse(prepared.canonical).entry).toHaveLength(5);
  expect(prepared.entryIssues).toEqual([]);
});

test('validation problems come back as a 400 FhirError naming each location', async () => {
  const bundle = fixtureBundle('transaction-patient-encounter.json');
  (bundle.entry![2].resource as { status: string }).status = 'done';
  const err = await pool.prepare(JSON.stringify(bundle), 100).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FhirError);
  expect((err as FhirError).status).toBe(400);
  expect((err as FhirError).issues.map((i) => i.expression)).toContain('Bundle.entry[2].resource.status');
});

test('malformed JSON and too many entries are client errors', async () => {
  expect(((await pool.prepare('{"resourceType":', 100).catch((e) => e)) as FhirError).status).toBe(400);
  const many = { resourceType: 'Bundle', type: 'collection', entry: Array.from({ length: 3 }, () => ({ resource: { resourceType: 'Basic', code: { text: 'x' } } })) };
  expect(((await pool.prepare(JSON.stringify(many), 2).catch((e) => e)) as FhirError).status).toBe(413);
});

test('batch entry problems are returned per entry, not thrown', async () => {
  const batch = { resourceType: 'Bundle', type: 'batch', entry: [
    { resource: { resourceType: 'Observation', status: 'final', code: { text: 'ok' } }, request: { method: 'POST', url: 'Observation' } },
    { resource: { resourceType: 'Observation', status: 'nope', code: { text: 'bad' } }, request: { method: 'POST', url: 'Observation' } },
  ] };
  const prepared = await pool.prepare(JSON.stringify(batch), 100);
  expect(prepared.entryIssues.map(([i]) => i)).toEqual([1]);
});

test('many concurrent bundles all come back, each with its own hash', async () => {
  const bundles = Array.from({ length: 20 }, (_, n) => ({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Basic', code: { text: `n${n}` } } }] }));
  const prepared = await Promise.all(bundles.map((b) => pool.prepare(JSON.stringify(b), 100)));
  expect(prepared.map((p) => p.hash)).toEqual(bundles.map((b) => bundleHash(b)));
});
