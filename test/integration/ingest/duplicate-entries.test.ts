import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

/**
 * Bundles naming the same resource twice. FHIR R4 bdl-7 allows one fullUrl on several entries when their
 * meta.versionId differ (versions of one resource); the HL7 example `bundle-references` does this, and also carries
 * two resources with the same `Type/id` from two servers. None of it may end in a 5xx.
 */
let bridge: TestBridge;
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Clinic A')).apiKey;
});
afterAll(async () => bridge?.close());

const patient = (id: string, version: string, family: string) => ({ resourceType: 'Patient', id, meta: { versionId: version }, name: [{ family }] });
const obs = (id: string, subject: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: `obs ${id}` },
  subject: { reference: subject },
});

test('a collection with two versions of one resource (same fullUrl, bdl-7) and the same Type/id from two servers is accepted', async () => {
  const res = await api(bridge.url, key, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: 'http://a.example/fhir/Observation/14', resource: obs('14', 'http://b.example/fhir/Patient/1') },
      { fullUrl: 'http://b.example/fhir/Observation/14', resource: obs('14', 'Patient/45') },
      { fullUrl: 'http://a.example/fhir/Patient/45', resource: patient('45', '1', 'One') },
      { fullUrl: 'http://a.example/fhir/Patient/45', resource: patient('45', '2', 'Two') },
      { fullUrl: 'http://a.example/fhir/Observation/47', resource: obs('47', 'Patient/45/_history/2') },
    ],
  });
  expect(res.status).toBe(200);
  // Two versions under one fullUrl are one resource: the last version is stored, the earlier entry points at it.
  expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '200 OK', '201 Created', '201 Created']);
  const ids = res.body.entry.map((e: any) => e.response.location.split('/_history')[0]);
  expect(new Set(ids).size).toBe(4);
  expect(ids[2]).toBe(ids[3]);
  expect((await api(bridge.url, key, 'GET', `/fhir/${ids[3]}`)).body.name[0].family).toBe('Two');
  // A version-specific reference to an entry of the bundle points at that entry's bridge id.
  const o47 = await api(bridge.url, key, 'GET', `/fhir/${ids[4]}`);
  expect(o47.body.subject.reference).toBe(ids[3]);
  // External references stay as sent.
  const o14 = await api(bridge.url, key, 'GET', `/fhir/${ids[0]}`);
  expect(o14.body.subject.reference).toBe('http://b.example/fhir/Patient/1');
});

test('the same fullUrl twice without distinct versions is still refused with 400', async () => {
  const res = await api(bridge.url, key, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: 'http://a.example/fhir/Patient/9', resource: patient('9', '1', 'One') },
      { fullUrl: 'http://a.example/fhir/Patient/9', resource: patient('9', '1', 'Two') },
    ],
  });
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue.map((i: any) => i.diagnostics).join(' ')).toMatch(/bdl-7|fullUrl/);
});

test('a transaction that PUTs the same new Type/id twice is refused with 400, not a 500', async () => {
  const res = await api(bridge.url, key, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:7d1b7c60-0000-4000-8000-000000000001',
        resource: { resourceType: 'Patient', id: 'twice', name: [{ family: 'A' }] },
        request: { method: 'PUT', url: 'Patient/twice' },
      },
      {
        fullUrl: 'urn:uuid:7d1b7c60-0000-4000-8000-000000000002',
        resource: { resourceType: 'Patient', id: 'twice', name: [{ family: 'B' }] },
        request: { method: 'PUT', url: 'Patient/twice' },
      },
    ],
  });
  expect(res.status).toBe(400);
  expect(res.body.issue[0].code).toBe('duplicate');
  expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1]']);
});
