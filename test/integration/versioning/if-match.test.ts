import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/** Versioned updates (FHIR http.html#concurrency): If-Match on PUT and DELETE, request.ifMatch in bundles. */
let bridge: TestBridge;
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Versioned')).apiKey;
});
afterAll(async () => bridge?.close());

const patient = (id: string | undefined, family: string) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  identifier: [{ system: 'urn:test:mrn', value: `mrn-${id ?? family}` }],
  name: [{ family }],
});
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => api(bridge.url, key, method, path, body, headers);
const issueCodes = (body: { issue?: { code: string }[] }) => (body.issue ?? []).map((i) => i.code);
const count = async (sql: string, params: unknown[] = []) => (await bridge.database.db.query(sql, params)).rows[0].n as number;

test('PUT with the current version applies; a stale one answers 412 and changes nothing', async () => {
  expect((await call('PUT', '/fhir/Patient/v-1', patient('v-1', 'One'))).status).toBe(201);
  const ok = await call('PUT', '/fhir/Patient/v-1', patient('v-1', 'Two'), { 'If-Match': 'W/"1"' });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('etag')).toBe('W/"2"');
  const stale = await call('PUT', '/fhir/Patient/v-1', patient('v-1', 'Lost'), { 'If-Match': 'W/"1"' });
  expect(stale.status).toBe(412);
  expect(stale.body.resourceType).toBe('OperationOutcome');
  expect(issueCodes(stale.body)).toEqual(['conflict']);
  expect(stale.body.issue[0].diagnostics).toMatch(/version 1 .*current version is 2/);
  const now = await call('GET', '/fhir/Patient/v-1');
  expect([now.body.meta.versionId, now.body.name[0].family]).toEqual(['2', 'Two']);
  // The strong form of the same ETag names the same version.
  expect((await call('PUT', '/fhir/Patient/v-1', patient('v-1', 'Three'), { 'If-Match': '"2"' })).status).toBe(200);
});

test('a malformed If-Match answers 400 and stores nothing', async () => {
  await call('PUT', '/fhir/Patient/v-2', patient('v-2', 'One'));
  const bundles = await count('SELECT count(*)::int AS n FROM bundle');
  for (const bad of ['W/1', '"abc"', '*', 'W/"1", W/"2"', '', 'W/"0"', 'W/"99999999999"']) {
    const res = await call('PUT', '/fhir/Patient/v-2', patient('v-2', `Bad ${bad}`), { 'If-Match': bad });
    expect([bad, res.status]).toEqual([bad, 400]);
    expect(res.body.issue[0].diagnostics).toMatch(/If-Match/);
  }
  expect(await count('SELECT count(*)::int AS n FROM bundle')).toBe(bundles);
  expect((await call('GET', '/fhir/Patient/v-2')).body.meta.versionId).toBe('1');
});

test('If-Match on a resource that does not exist answers 412 and creates nothing', async () => {
  const res = await call('PUT', '/fhir/Patient/v-none', patient('v-none', 'Ghost'), { 'If-Match': 'W/"1"' });
  expect(res.status).toBe(412);
  expect((await call('GET', '/fhir/Patient/v-none')).status).toBe(404);
  expect((await call('DELETE', '/fhir/Patient/v-none', undefined, { 'If-Match': 'W/"1"' })).status).toBe(412);
});

test('DELETE honours If-Match', async () => {
  await call('PUT', '/fhir/Patient/v-3', patient('v-3', 'One'));
  await call('PUT', '/fhir/Patient/v-3', patient('v-3', 'Two'));
  expect((await call('DELETE', '/fhir/Patient/v-3', undefined, { 'If-Match': 'W/"1"' })).status).toBe(412);
  expect((await call('GET', '/fhir/Patient/v-3')).status).toBe(200);
  expect((await call('DELETE', '/fhir/Patient/v-3', undefined, { 'If-Match': 'W/"2"' })).status).toBe(204);
  expect((await call('GET', '/fhir/Patient/v-3')).status).toBe(410);
});

test('conditional update and delete honour If-Match on the resource they match', async () => {
  await call('PUT', '/fhir/Patient/v-4', patient('v-4', 'One'));
  const stale = await call('PUT', '/fhir/Patient?identifier=urn:test:mrn|mrn-v-4', patient(undefined, 'Lost'), { 'If-Match': 'W/"7"' });
  expect(stale.status).toBe(412);
  const ok = await call(
    'PUT',
    '/fhir/Patient?identifier=urn:test:mrn|mrn-v-4',
    { ...patient(undefined, 'Two'), identifier: [{ system: 'urn:test:mrn', value: 'mrn-v-4' }] },
    { 'If-Match': 'W/"1"' },
  );
  expect(ok.status).toBe(200);
  expect(ok.headers.get('etag')).toBe('W/"2"');
  expect((await call('DELETE', '/fhir/Patient?identifier=urn:test:mrn|mrn-v-4', undefined, { 'If-Match': 'W/"1"' })).status).toBe(412);
  expect((await call('DELETE', '/fhir/Patient?identifier=urn:test:mrn|mrn-v-4', undefined, { 'If-Match': 'W/"2"' })).status).toBe(204);
});

test('a stale request.ifMatch fails the whole transaction', async () => {
  await call('PUT', '/fhir/Patient/v-5', patient('v-5', 'One'));
  await call('PUT', '/fhir/Patient/v-5', patient('v-5', 'Two'));
  const observations = await count(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Observation'`);
  const res = await call('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: patient('v-5', 'Lost'), request: { method: 'PUT', url: 'Patient/v-5', ifMatch: 'W/"1"' } },
    ],
  });
  expect(res.status).toBe(412);
  expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1].request.ifMatch']);
  expect(await count(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Observation'`)).toBe(observations);
  expect((await call('GET', '/fhir/Patient/v-5')).body.name[0].family).toBe('Two');

  const current = await call('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: patient('v-5', 'Three'), request: { method: 'PUT', url: 'Patient/v-5', ifMatch: 'W/"2"' } }],
  });
  expect(current.status).toBe(200);
  expect(current.body.entry[0].response.etag).toBe('W/"3"');
});

test('a stale request.ifMatch fails only its own batch entry', async () => {
  await call('PUT', '/fhir/Patient/v-6', patient('v-6', 'One'));
  await call('PUT', '/fhir/Patient/v-7', patient('v-7', 'One'));
  const res = await call('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: patient('v-6', 'Lost'), request: { method: 'PUT', url: 'Patient/v-6', ifMatch: 'W/"3"' } },
      { resource: patient('v-7', 'Two'), request: { method: 'PUT', url: 'Patient/v-7', ifMatch: 'W/"1"' } },
      { resource: patient('v-8', 'Bad'), request: { method: 'PUT', url: 'Patient/v-8', ifMatch: 'three' } },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['412', '200 OK', '400']);
  expect(issueCodes(res.body.entry[0].response.outcome)).toEqual(['conflict']);
  expect((await call('GET', '/fhir/Patient/v-6')).body.name[0].family).toBe('One');
  expect((await call('GET', '/fhir/Patient/v-7')).body.name[0].family).toBe('Two');
  expect((await call('GET', '/fhir/Patient/v-8')).status).toBe(404);
});

test('request.ifMatch on a create or a read is refused', async () => {
  const res = await call('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: patient(undefined, 'New'), request: { method: 'POST', url: 'Patient', ifMatch: 'W/"1"' } }],
  });
  expect(res.status).toBe(400);
  expect(res.body.issue[0].expression).toEqual(['Bundle.entry[0].request.ifMatch']);
  expect((await call('POST', '/fhir/Patient', patient(undefined, 'New'), { 'If-Match': 'W/"1"' })).status).toBe(400);
});

test('the CapabilityStatement says updates are versioned', async () => {
  const cs = (await call('GET', '/fhir/metadata')).body;
  const p = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
  expect(p.versioning).toBe('versioned-update');
  expect(p.updateCreate).toBe(true);
});
