import { MedplumClient, OperationOutcomeError } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { api } from '../helpers/fixtures';
import { startTestBridge, TestBridge } from '../helpers/server';

/**
 * A real FHIR client with ids it chose: PUT Patient/{its id} creates (updateCreate), the answer carries the bridge id,
 * and the clinic reads, searches, updates and deletes the resource by either id. A stale If-Match answers 412.
 */
let bridge: TestBridge;
let client: MedplumClient;
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Client ids')).apiKey;
  client = new MedplumClient({ baseUrl: bridge.url, fhirUrlPath: 'fhir', fetch, accessToken: key, maxRetries: 0, cacheTime: 0 } as never);
});
afterAll(async () => bridge?.close());

const BRIDGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('createResource / updateResource / readResource round trip with a client-chosen id', async () => {
  const created = await client.updateResource<Patient>({ resourceType: 'Patient', id: 'B-123', name: [{ family: 'Chosen' }], gender: 'female' });
  expect(created.id).toMatch(BRIDGE_ID);
  expect(created.meta?.versionId).toBe('1');
  // Read back by the id in the answer (what MedplumClient hands on) and by the id the clinic chose.
  expect((await client.readResource('Patient', created.id!)).name?.[0].family).toBe('Chosen');
  expect((await client.readResource('Patient', 'B-123')).id).toBe(created.id);
  expect((await client.searchResources('Patient', { _id: 'B-123' })).map((p) => p.id)).toEqual([created.id]);
  expect((await client.searchResources('Patient', { _id: created.id! })).map((p) => p.id)).toEqual([created.id]);

  // Updating by the client's id reaches the same resource.
  const byChosen = await client.updateResource<Patient>({ resourceType: 'Patient', id: 'B-123', name: [{ family: 'Chosen-2' }], gender: 'female' });
  expect([byChosen.id, byChosen.meta?.versionId]).toEqual([created.id, '2']);
  // Updating what the client got back (the bridge id) too.
  const byBridge = await client.updateResource<Patient>({ ...byChosen, name: [{ family: 'Chosen-3' }] });
  expect([byBridge.id, byBridge.meta?.versionId]).toEqual([created.id, '3']);

  const history = await client.readHistory('Patient', 'B-123');
  expect(history.entry?.map((e) => (e.resource as Patient).name?.[0].family)).toEqual(['Chosen-3', 'Chosen-2', 'Chosen']);
  expect((await client.readVersion('Patient', 'B-123', '1')).name?.[0].family).toBe('Chosen');
  const created2 = await client.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Created' }] });
  expect((await client.readResource('Patient', created2.id!)).name?.[0].family).toBe('Created');
});

test('an update from a stale version answers 412 through MedplumClient', async () => {
  const v1 = await client.updateResource<Patient>({ resourceType: 'Patient', id: 'B-200', name: [{ family: 'First' }] });
  const ifMatch = (p: Patient) => ({ headers: { 'If-Match': `W/"${p.meta?.versionId}"` } });
  const v2 = await client.updateResource<Patient>({ ...v1, name: [{ family: 'Second' }] }, ifMatch(v1));
  expect(v2.meta?.versionId).toBe('2');
  const stale = client.updateResource<Patient>({ ...v1, name: [{ family: 'Stale' }] }, ifMatch(v1));
  await expect(stale).rejects.toThrow(OperationOutcomeError);
  await expect(client.updateResource<Patient>({ ...v1, name: [{ family: 'Stale' }] }, ifMatch(v1))).rejects.toThrow(/current version is 2/);
  const raw = await api(bridge.url, key, 'PUT', '/fhir/Patient/B-200', { ...v1, id: 'B-200', name: [{ family: 'Stale' }] }, { 'If-Match': 'W/"1"' });
  expect(raw.status).toBe(412);
  expect((await client.readResource('Patient', 'B-200')).name?.[0].family).toBe('Second');
  await client.deleteResource('Patient', 'B-200');
  expect((await api(bridge.url, key, 'GET', `/fhir/Patient/${v1.id}`)).status).toBe(410);
});

test("a clinic's own ids are its own: another clinic cannot read by them", async () => {
  const theirs = await client.updateResource<Patient>({ resourceType: 'Patient', id: 'C-1', name: [{ family: 'Mine' }] });
  const other = (await bridge.clinic('Other')).apiKey;
  expect((await api(bridge.url, other, 'GET', '/fhir/Patient/C-1')).status).toBe(404);
  expect((await api(bridge.url, other, 'GET', '/fhir/Patient?_id=C-1')).body.entry ?? []).toEqual([]);
  // Its own C-1 is a different record.
  const mine = await api(bridge.url, other, 'PUT', '/fhir/Patient/C-1', { resourceType: 'Patient', id: 'C-1', name: [{ family: 'Theirs' }] });
  expect(mine.status).toBe(201);
  expect(mine.body.id).not.toBe(theirs.id);
  expect((await api(bridge.url, other, 'GET', '/fhir/Patient/C-1')).body.name[0].family).toBe('Theirs');
  expect((await client.readResource('Patient', 'C-1')).name?.[0].family).toBe('Mine');
});

test('searches by patient accept the id the clinic chose for the Patient', async () => {
  const p = await client.updateResource<Patient>({ resourceType: 'Patient', id: 'D-1', name: [{ family: 'Subject' }] });
  await client.createResource({ resourceType: 'Observation', status: 'final', code: { text: 'mood' }, subject: { reference: 'Patient/D-1' } });
  const found = await client.searchResources('Observation', { patient: 'D-1' });
  expect(found.map((o) => (o as { subject?: { reference?: string } }).subject?.reference)).toEqual([`Patient/${p.id}`]);
});
