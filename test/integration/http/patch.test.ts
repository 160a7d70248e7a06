/**
 * PATCH (R4 http.html#patch) with JSON Patch (RFC 6902): applied to the current version, validated and stored as an
 * update (history, search index, log), guarded by If-Match; every failure a clear OperationOutcome, nothing written.
 */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
let id: string;
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
  const created = await api(bridge.url, keyA, 'PUT', '/fhir/Patient/pt-1', {
    resourceType: 'Patient',
    id: 'pt-1',
    name: [{ family: 'Weber', given: ['Anna'] }],
    gender: 'female',
    birthDate: '1985-03-14',
  });
  expect(created.status).toBe(201);
  id = created.body.id;
});
afterAll(async () => bridge?.close());

const patch = (key: string, path: string, ops: unknown, headers: Record<string, string> = {}) =>
  api(bridge.url, key, 'PATCH', path, JSON.stringify(ops), { ...JSON_PATCH, ...headers });
const versions = async (): Promise<number> => (await api(bridge.url, keyA, 'GET', `/fhir/Patient/${id}/_history`)).body.total;

test('a JSON Patch is stored as a new version, found by search, by bridge id and by the clinic’s own id', async () => {
  const res = await patch(keyA, '/fhir/Patient/pt-1', [
    { op: 'replace', path: '/name/0/family', value: 'Weber-Schulz' },
    { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '+49 30 555' }] },
  ]);
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe('W/"2"');
  expect(res.body).toMatchObject({ id, meta: { versionId: '2' }, name: [{ family: 'Weber-Schulz' }], telecom: [{ value: '+49 30 555' }] });
  const found = await api(bridge.url, keyA, 'GET', '/fhir/Patient?family=weber-s&phone=%2B49 30 555');
  expect(found.body.entry.map((e: any) => e.resource.id)).toEqual([id]);
  expect((await api(bridge.url, keyA, 'GET', '/fhir/Patient?family:exact=Weber')).body.entry).toBeUndefined();
  const byBridgeId = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'remove', path: '/telecom' }], { Prefer: 'return=minimal' });
  expect(byBridgeId.status).toBe(200);
  expect(byBridgeId.body).toBe('');
  expect(await versions()).toBe(3);
});

test('If-Match: the current version applies, a stale one is 412 and writes nothing', async () => {
  const before = await versions();
  const stale = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'other' }], { 'If-Match': 'W/"1"' });
  expect(stale.status).toBe(412);
  expect(stale.body.resourceType).toBe('OperationOutcome');
  expect(await versions()).toBe(before);
  const fresh = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'other' }], { 'If-Match': `W/"${before}"` });
  expect(fresh.status).toBe(200);
  expect(fresh.body.gender).toBe('other');
});

test('concurrent patches of one version: each lands on its own version, none is lost', async () => {
  const before = await versions();
  const results = await Promise.all(
    ['A', 'B', 'C', 'D'].map((given) => patch(keyA, `/fhir/Patient/${id}`, [{ op: 'add', path: '/name/0/given/-', value: given }])),
  );
  const ok = results.filter((r) => r.status === 200);
  // Each either applied on the version it read, or was told to patch again (409): never silently overwritten.
  for (const r of results) expect([200, 409]).toContain(r.status);
  const current = (await api(bridge.url, keyA, 'GET', `/fhir/Patient/${id}`)).body;
  expect(current.meta.versionId).toBe(String(before + ok.length));
  const added = current.name[0].given.filter((g: string) => ['A', 'B', 'C', 'D'].includes(g));
  expect(added.sort()).toEqual(ok.map((r) => r.body.name[0].given.at(-1)).sort());
});

test.each([
  ['not an array', { op: 'replace' }, 400, 'invalid', /array of operations/],
  ['an unknown op', [{ op: 'frobnicate', path: '/gender' }], 400, 'invalid', /operation 1/],
  [
    'a failed test',
    [
      { op: 'test', path: '/gender', value: 'male' },
      { op: 'remove', path: '/name' },
    ],
    422,
    'business-rule',
    /test failed/,
  ],
  ['an unresolvable path', [{ op: 'replace', path: '/contact/3/name', value: {} }], 422, 'business-rule', /cannot be applied/],
  ['a changed id', [{ op: 'replace', path: '/id', value: 'other' }], 422, 'business-rule', /resourceType or id/],
  ['an invalid result', [{ op: 'replace', path: '/gender', value: 'robot' }], 400, 'code-invalid', /gender|robot/i],
  ['prototype pollution', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], 422, 'business-rule', /cannot be applied/],
])('%s is %i %s, nothing written', async (_label, ops, status, code, message) => {
  const before = await versions();
  const res = await patch(keyA, `/fhir/Patient/${id}`, ops);
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe(code);
  expect(JSON.stringify(res.body.issue)).toMatch(message);
  expect(await versions()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('another clinic cannot patch the record (unknown to it), nor patch without JSON Patch', async () => {
  const before = await versions();
  const theirs = await patch(keyB, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'male' }]);
  expect(theirs.status).toBe(404);
  const fhirpath = await api(bridge.url, keyA, 'PATCH', `/fhir/Patient/${id}`, { resourceType: 'Parameters', parameter: [] });
  expect(fhirpath.status).toBe(400);
  expect(fhirpath.body.issue[0].diagnostics).toMatch(/FHIRPath Patch is not supported/);
  const text = await api(bridge.url, keyA, 'PATCH', `/fhir/Patient/${id}`, '[]', { 'content-type': 'text/plain' });
  expect(text.status).toBe(415);
  expect((await patch(keyA, '/fhir/Patient/nobody', [])).status).toBe(404);
  expect(await versions()).toBe(before);
});
