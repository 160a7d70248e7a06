/**
 * Type- and system-level history (R4 http.html#history) and `$meta` at type and system level: every version of what
 * the reader may search, newest first, deletions included, `_since` and paging; another clinic's records never
 * appear; a patient sees their own person's records only; each feed is audited; refusals are clear 4xx.
 */
import { api } from '../../helpers/fixtures';
import { patientToken } from '../../helpers/patient-session';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
let patientId: string;
let obsId: string;
let theirs: string;
let between: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
  const created = await api(bridge.url, keyA, 'PUT', '/fhir/Patient/h-1', {
    resourceType: 'Patient',
    id: 'h-1',
    meta: { profile: ['http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips'], tag: [{ system: 'urn:tags', code: 'a-tag' }] },
    name: [{ family: 'Historia' }],
  });
  patientId = created.body.id;
  await sleep(20);
  between = new Date().toISOString();
  await sleep(20);
  await api(bridge.url, keyA, 'PUT', '/fhir/Patient/h-1', { resourceType: 'Patient', id: 'h-1', name: [{ family: 'Historia' }], gender: 'female' });
  const obs = await api(bridge.url, keyA, 'POST', '/fhir/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'note' },
    subject: { reference: 'Patient/h-1' },
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] },
  });
  obsId = obs.body.id;
  expect((await api(bridge.url, keyA, 'DELETE', `/fhir/Observation/${obsId}`)).status).toBe(204);
  theirs = (
    await api(bridge.url, keyB, 'POST', '/fhir/Patient', {
      resourceType: 'Patient',
      meta: { tag: [{ system: 'urn:tags', code: 'b-tag' }] },
      name: [{ family: 'Historia' }],
    })
  ).body.id;
});
afterAll(async () => bridge?.close());

const get = (key: string, path: string) => api(bridge.url, key, 'GET', path);
const versionsOf = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => `${e.fullUrl.split('/').slice(-2).join('/')}@${e.response.etag}`);

test('type history: every version of the clinic’s own resources of the type, newest first, not another clinic’s', async () => {
  const res = await get(keyA, '/fhir/Patient/_history');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'history' });
  expect(versionsOf(res.body)).toEqual([`Patient/${patientId}@W/"2"`, `Patient/${patientId}@W/"1"`]);
  expect(res.body.entry.map((e: any) => e.request)).toEqual([
    { method: 'PUT', url: `Patient/${patientId}` },
    { method: 'POST', url: 'Patient' },
  ]);
  expect(res.body.entry[1].resource.meta.tag).toEqual([{ system: 'urn:tags', code: 'a-tag' }]);
  expect(JSON.stringify(res.body)).not.toContain(theirs);
  const b = await get(keyB, '/fhir/Patient/_history');
  expect(versionsOf(b.body)).toEqual([`Patient/${theirs}@W/"1"`]);
});

test('system history: every type, a deletion as its request alone, _since cutting older versions', async () => {
  const all = await get(keyA, '/fhir/_history');
  expect(all.status).toBe(200);
  expect(versionsOf(all.body)).toEqual([
    `Observation/${obsId}@W/"2"`,
    `Observation/${obsId}@W/"1"`,
    `Patient/${patientId}@W/"2"`,
    `Patient/${patientId}@W/"1"`,
  ]);
  const deletion = all.body.entry[0];
  expect(deletion.resource).toBeUndefined();
  expect(deletion.request).toEqual({ method: 'DELETE', url: `Observation/${obsId}` });
  const since = await get(keyA, `/fhir/_history?_since=${encodeURIComponent(between)}`);
  expect(versionsOf(since.body)).toEqual(versionsOf(all.body).slice(0, 3));
  const none = await get(keyA, `/fhir/Patient/_history?_since=2999-01-01T00:00:00Z`);
  expect(none.status).toBe(200);
  expect(none.body.entry).toBeUndefined();
});

test('paging: next links walk every version once, in order', async () => {
  const all = versionsOf((await get(keyA, '/fhir/_history')).body);
  const seen: string[] = [];
  let url: string | undefined = `/fhir/_history?_count=1`;
  for (let pages = 0; url && pages < 10; pages++) {
    const page = await get(keyA, url);
    expect(page.body.entry).toHaveLength(1);
    seen.push(...versionsOf(page.body));
    const next = page.body.link.find((l: any) => l.relation === 'next')?.url as string | undefined;
    url = next ? next.slice(bridge.url.length) : undefined;
  }
  expect(seen).toEqual(all);
});

test('a patient’s history is their own records’ versions; another person’s never appear', async () => {
  const token = await patientToken(bridge.database.db, patientId);
  const mine = await get(token, '/fhir/_history');
  expect(mine.status).toBe(200);
  // A deleted record leaves the person's compartment (as in search): the Observation deleted above is not listed.
  expect(versionsOf(mine.body)).toEqual([`Patient/${patientId}@W/"2"`, `Patient/${patientId}@W/"1"`]);
  const other = await patientToken(bridge.database.db, theirs);
  expect(versionsOf((await get(other, '/fhir/Patient/_history')).body)).toEqual([`Patient/${theirs}@W/"1"`]);
  expect(versionsOf((await get(other, '/fhir/Observation/_history')).body)).toEqual([]);
});

test('each history read is audited with the compartments it returned', async () => {
  await get(keyB, '/fhir/Patient/_history?_count=5');
  const rows = (
    await bridge.database.db.query(
      `SELECT patient_ids AS "patientIds", resource_types AS types, detail FROM audit_event WHERE action = 'history' AND detail LIKE 'Patient history%' ORDER BY seq DESC LIMIT 1`,
    )
  ).rows;
  expect(rows).toEqual([{ patientIds: [theirs], types: ['Patient'], detail: 'Patient history: 1 version(s)' }]);
});

test.each([
  ['/fhir/_history?_at=2020', 400, 'not-supported'],
  ['/fhir/Patient/_history?_list=x', 400, 'not-supported'],
  ['/fhir/Patient/_history?family=x', 400, 'invalid'],
  ['/fhir/_history?_since=yesterday', 400, 'invalid'],
  ['/fhir/_history?_count=-1', 400, 'invalid'],
  ['/fhir/NoSuchType/_history', 404, 'not-supported'],
])('%s is %i %s', async (path, status, code) => {
  const res = await get(keyA, path);
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe(code);
});

test('history is read-only: another method is 405 with Allow', async () => {
  for (const path of ['/fhir/_history', '/fhir/Patient/_history']) {
    const res = await api(bridge.url, keyA, 'POST', path, {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  }
});

test('$meta of a type and of the system: the profiles, tags and labels in use on the clinic’s own current versions', async () => {
  const type = await get(keyA, '/fhir/Patient/$meta');
  expect(type.status).toBe(200);
  // The tag and profile were on version 1 only: $meta is of what is current, so version 2 shows none.
  expect(type.body).toEqual({ resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: {} }] });
  await api(bridge.url, keyA, 'POST', '/fhir/Condition', {
    resourceType: 'Condition',
    subject: { reference: 'Patient/h-1' },
    code: { text: 'x' },
    meta: { profile: ['http://example.org/condition'], tag: [{ system: 'urn:tags', code: 'c-tag' }] },
  });
  const system = await get(keyA, '/fhir/$meta');
  expect(system.body.parameter[0].valueMeta).toEqual({ profile: ['http://example.org/condition'], tag: [{ system: 'urn:tags', code: 'c-tag' }] });
  const b = await get(keyB, '/fhir/$meta');
  expect(b.body.parameter[0].valueMeta).toEqual({ tag: [{ system: 'urn:tags', code: 'b-tag' }] });
  expect((await get(keyA, '/fhir/Observation/$meta')).body.parameter[0].valueMeta).toEqual({});
});
