/**
 * Operation entries in transactions and batches (R4 http.html#transaction): `$validate`, `$meta` at every level,
 * `Patient/{id}/$everything`, `$summary` and `Patient/$match`, answered after the writes as the pushing clinic, through
 * the same access checks, scopes and audit as their routes; operations that start jobs or write are refused, a
 * refused one refusing a transaction whole (nothing written).
 */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
let patientId: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
  patientId = (
    await api(bridge.url, keyA, 'PUT', '/fhir/Patient/op-1', {
      resourceType: 'Patient',
      id: 'op-1',
      meta: { tag: [{ system: 'urn:tags', code: 'op' }] },
      identifier: [{ system: 'urn:mrn', value: 'OP-1' }],
      name: [{ family: 'Operaria', given: ['Olga'] }],
      gender: 'female',
      birthDate: '1971-07-07',
    })
  ).body.id;
  await api(bridge.url, keyA, 'POST', '/fhir/AllergyIntolerance', {
    resourceType: 'AllergyIntolerance',
    patient: { reference: 'Patient/op-1' },
    code: { text: 'penicillin' },
  });
});
afterAll(async () => bridge?.close());

const push = (key: string, type: 'batch' | 'transaction', entry: unknown[]) => api(bridge.url, key, 'POST', '/fhir', { resourceType: 'Bundle', type, entry });
const op = (method: string, url: string, resource?: unknown) => ({ request: { method, url }, ...(resource ? { resource } : {}) });

test('a batch answers each read-only operation with what its own route answers', async () => {
  const res = await push(keyA, 'batch', [
    op('POST', 'Patient/$validate', { resourceType: 'Patient', gender: 'robot' }),
    op('GET', `Patient/${patientId}/$meta`),
    op('GET', 'Patient/$meta'),
    op('GET', '$meta'),
    op('GET', `Patient/${patientId}/$everything?_count=10`),
    op('GET', `Patient/${patientId}/$summary`),
    op('POST', 'Patient/$match', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { resourceType: 'Patient', name: [{ family: 'Operaria', given: ['Olga'] }], gender: 'female', birthDate: '1971-07-07' } },
      ],
    }),
  ]);
  expect(res.status).toBe(200);
  const [validate, meta, typeMeta, systemMeta, everything, summary, match] = res.body.entry;
  for (const e of res.body.entry) expect(e.response.status).toBe('200 OK');
  // $validate reports on an invalid resource: its OperationOutcome is the answer, not the entry's refusal.
  expect(validate.resource.resourceType).toBe('OperationOutcome');
  expect(JSON.stringify(validate.resource.issue)).toMatch(/robot|gender/);
  expect(meta.resource.parameter[0].valueMeta).toMatchObject({ versionId: '1', tag: [{ code: 'op' }] });
  expect(typeMeta.resource.parameter[0].valueMeta.tag).toEqual([{ system: 'urn:tags', code: 'op' }]);
  expect(systemMeta.resource.parameter[0].valueMeta.tag).toEqual([{ system: 'urn:tags', code: 'op' }]);
  expect(everything.resource.type).toBe('searchset');
  expect(everything.resource.entry.map((e: any) => e.resource.resourceType).sort()).toEqual(['AllergyIntolerance', 'Patient']);
  expect(summary.resource).toMatchObject({ resourceType: 'Bundle', type: 'document' });
  expect(JSON.stringify(summary.resource)).toContain('penicillin');
  expect(match.resource.type).toBe('searchset');
  // A match names a handle, not the record (identifying never grants anything), as Patient/$match over HTTP does.
  expect(match.resource.entry).toHaveLength(1);
  expect(match.resource.entry[0].search.mode).toBe('match');
});

test('operation entries are audited as their routes are', async () => {
  const before = (await bridge.database.db.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'everything'`)).rows[0].n;
  await push(keyA, 'batch', [op('GET', `Patient/${patientId}/$everything`)]);
  const after = (await bridge.database.db.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'everything'`)).rows[0].n;
  expect(after).toBe(before + 1);
});

test('another clinic’s operation entries reach nothing it may not read', async () => {
  const res = await push(keyB, 'batch', [
    op('GET', `Patient/${patientId}/$everything`),
    op('GET', `Patient/${patientId}/$meta`),
    op('GET', '$meta'),
    op('GET', `Patient/${patientId}/$summary`),
  ]);
  expect(res.status).toBe(200);
  const [everything, meta, systemMeta, summary] = res.body.entry;
  expect(Number(everything.response.status)).toBeGreaterThanOrEqual(400);
  expect(Number(summary.response.status)).toBeGreaterThanOrEqual(400);
  expect(meta.response.status).toBe('404');
  expect(systemMeta.resource.parameter[0].valueMeta).toEqual({});
  expect(JSON.stringify(res.body)).not.toContain('penicillin');
  expect(JSON.stringify(res.body)).not.toContain('Operaria');
});

test.each([
  [
    'an operation not served in bundles',
    op('POST', 'ValueSet/$lookup', { resourceType: 'Parameters' }),
    'not-supported',
    /\$lookup is not supported inside a bundle/,
  ],
  ['$export, which starts a job', op('GET', '$export'), 'not-supported', /\$export is not supported inside a bundle/],
  ['a consent decision, which writes', op('POST', 'Task/abc/$approve'), 'not-supported', /\$approve/],
  ['the wrong method', op('GET', 'Patient/$validate'), 'invalid', /invoked with POST/],
  ['the wrong level', op('GET', 'Patient/$everything'), 'invalid', /not an operation on Patient/],
  ['the wrong type', op('GET', 'Observation/x/$everything'), 'invalid', /not an operation on Observation/],
])('%s is refused: its entry’s 400 in a batch, the whole transaction otherwise', async (_label, entry, code, message) => {
  const batch = await push(keyA, 'batch', [entry, op('GET', 'Patient?family=operaria')]);
  expect(batch.status).toBe(200);
  expect(batch.body.entry[0].response.status).toBe('400');
  expect(batch.body.entry[0].response.outcome.issue[0].code).toBe(code);
  expect(batch.body.entry[0].response.outcome.issue[0].diagnostics).toMatch(message);
  expect(batch.body.entry[1].resource.total).toBe(1);
  const family = `Never${Math.random().toString(36).slice(2, 8)}`;
  const tx = await push(keyA, 'transaction', [
    { resource: { resourceType: 'Patient', name: [{ family }] }, request: { method: 'POST', url: 'Patient' } },
    entry,
  ]);
  expect(tx.status).toBe(400);
  expect(tx.body.resourceType).toBe('OperationOutcome');
  expect((await api(bridge.url, keyA, 'GET', `/fhir/Patient?family=${family}&_total=accurate`)).body.total).toBe(0);
});

test('a transaction’s operations see its own writes', async () => {
  const res = await push(keyA, 'transaction', [
    op('GET', `Patient/${patientId}/$everything`),
    { resource: { resourceType: 'Condition', subject: { reference: 'Patient/op-1' }, code: { text: 'fever' } }, request: { method: 'POST', url: 'Condition' } },
  ]);
  expect(res.status).toBe(200);
  expect(res.body.entry[0].resource.entry.map((e: any) => e.resource.resourceType)).toContain('Condition');
});
