import { MedplumClient } from '@medplum/core';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { RunningBridge, startBridge } from '../../bridge/main';
import { createTestDatabase, TestDatabase } from '../helpers/db';
import { fixtureBundle } from '../helpers/fixtures';

let database: TestDatabase;
let bridge: RunningBridge;
let client: MedplumClient;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', CHAIN_PORT: '0', BRIDGE_ADMIN_TOKEN: 'e2e-admin-token-0123456789', LOG_LEVEL: 'silent' });
  bridge = await startBridge(config, createLogger('silent'));
  const created = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer e2e-admin-token-0123456789' },
    body: JSON.stringify({ name: 'E2E Clinic' }),
  });
  const { apiKey } = (await created.json()) as { apiKey: string };
  // A real FHIR client over HTTP; no retries, so a transaction is never sent twice.
  client = new MedplumClient({ baseUrl: bridge.url, fhirUrlPath: 'fhir', fetch, accessToken: apiKey, maxRetries: 0 } as never);
});
afterAll(async () => {
  await bridge?.close();
  await database?.drop();
});

test('MedplumClient pushes a transaction, reads, searches and pages', async () => {
  const response = (await client.executeBatch(fixtureBundle('transaction-patient-encounter.json'))) as Bundle;
  expect(response.type).toBe('transaction-response');
  const patientId = response.entry![0].response!.location!.split('/')[1];
  const patient = await client.readResource('Patient', patientId);
  expect(patient.name?.[0].family).toBe('Rivera');
  const found = await client.searchResources('Patient', 'identifier=http://clinic-a.example/mrn|A-1001');
  expect(found.map((p: Patient) => p.id)).toEqual([patientId]);
  const observations = await client.searchResources('Observation', { patient: `Patient/${patientId}` });
  expect(observations).toHaveLength(1);
  expect((observations[0] as Observation).subject?.reference).toBe(`Patient/${patientId}`);
  const history = await client.readHistory('Patient', patientId);
  expect(history.entry).toHaveLength(1);
});

test('MedplumClient sees errors as OperationOutcomes', async () => {
  await expect(client.readResource('Patient', '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/not known|Not found/i);
  const bad = fixtureBundle('transaction-patient-encounter.json');
  (bad.entry![0].resource as Patient).gender = 'robot' as never;
  await expect(client.executeBatch(bad)).rejects.toThrow(/gender/);
});

test('metadata tells what is supported', async () => {
  const cs = await client.get(`${bridge.url}/fhir/metadata`);
  expect(cs.resourceType).toBe('CapabilityStatement');
  expect(cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation').searchParam.map((p: { name: string }) => p.name)).toEqual(
    expect.arrayContaining(['identifier', 'code', 'patient', 'date', '_lastUpdated']),
  );
  expect(cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').operation.map((o: { name: string }) => o.name)).toEqual([
    'validate',
    'meta',
    'everything',
    'summary',
    'export',
    'match',
  ]);
  expect(cs.rest[0].operation.map((o: { name: string }) => o.name)).toEqual(['export', 'meta']);
});

test('MedplumClient creates, conditionally creates, updates and deletes single resources; each write is a hashed push', async () => {
  const sent: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: 'http://clinic-a.example/mrn', value: 'SW-1' }],
    name: [{ family: 'Single', given: ['Wren'] }],
    gender: 'female',
  };
  const created = await client.createResource(sent);
  expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(created.meta?.versionId).toBe('1');
  expect((await client.readResource('Patient', created.id!)).name?.[0].family).toBe('Single');

  // If-None-Exist finds the one just made instead of making another.
  const again = await client.createResourceIfNoneExist({ ...sent, name: [{ family: 'Other' }] }, 'identifier=http://clinic-a.example/mrn|SW-1');
  expect(again.id).toBe(created.id);
  expect(await client.searchResources('Patient', 'identifier=http://clinic-a.example/mrn|SW-1')).toHaveLength(1);

  const updated = await client.updateResource({ ...created, name: [{ family: 'Single-Renamed' }] });
  expect(updated.meta?.versionId).toBe('2');
  expect((await client.readHistory('Patient', created.id!)).entry?.map((e) => (e.resource as Patient).name?.[0].family)).toEqual(['Single-Renamed', 'Single']);

  await client.deleteResource('Patient', created.id!);
  await expect(client.readResource('Patient', created.id!)).rejects.toThrow(/deleted/);
});

test('single writes answer like a FHIR server, with the hash of the one-entry transaction a verifier can rebuild', async () => {
  const key = (client as unknown as { getAccessToken(): string }).getAccessToken();
  const post = (path: string, body: unknown, method = 'POST') =>
    fetch(`${bridge.url}/fhir/${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
  const resource = { resourceType: 'Observation', status: 'final', code: { text: 'mood' } };
  const res = await post('Observation', resource);
  expect(res.status).toBe(201);
  expect(res.headers.get('location')).toMatch(new RegExp(`^${bridge.url}/fhir/Observation/[0-9a-f-]{36}/_history/1$`));
  expect(res.headers.get('etag')).toBe('W/"1"');
  const { bundleHash } = await import('../../bridge/fhir/hash');
  const rebuilt = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource, request: { method: 'POST', url: 'Observation' } }] };
  expect(res.headers.get('x-bundle-hash')).toBe(bundleHash(rebuilt));

  const invalid = await post('Observation', { ...resource, status: 'maybe', issued: 'soon' });
  expect(invalid.status).toBe(400);
  const issues = ((await invalid.json()) as { issue: { expression?: string[] }[] }).issue.flatMap((i) => i.expression ?? []);
  expect(issues).toEqual(expect.arrayContaining(['Observation.status', 'Observation.issued']));
  expect((await post('Observation', { resourceType: 'Patient' })).status).toBe(400);
  expect((await post('Observation/some-id', { ...resource, id: 'other-id' }, 'PUT')).status).toBe(400);
  expect((await post('NotAType', resource)).status).toBe(404);
});

test('MedplumClient: demographic search, _include, value-quantity, patchResource, validateResource', async () => {
  const response = (await client.executeBatch({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:6b1f3f0e-0000-4000-8000-0000000000aa',
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: 'urn:e2e', value: 'MC-1' }],
          name: [{ family: 'Schäfer', given: ['Lena'] }],
          birthDate: '1990-07-01',
          gender: 'female',
          address: [{ country: 'DE' }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
          subject: { reference: 'urn:uuid:6b1f3f0e-0000-4000-8000-0000000000aa' },
          valueQuantity: { value: 110, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  })) as Bundle;
  const patientId = response.entry![0].response!.location!.split('/')[1];
  const found = await client.searchResources('Patient', { family: 'schafer', birthdate: 'ge1990', 'address-country': 'DE', gender: 'female' });
  expect(found.map((p: Patient) => p.id)).toEqual([patientId]);
  // 110 mg/dL is 1.1 g/L: found with a threshold in another unit of the same dimension.
  const bundle = await client.search('Observation', {
    'value-quantity': 'gt1|http://unitsofmeasure.org|g/L',
    _include: 'Observation:subject',
    patient: patientId,
  });
  expect(bundle.entry?.map((e) => `${e.search?.mode} ${e.resource?.resourceType}`)).toEqual(['match Observation', 'include Patient']);
  const patched = await client.patchResource('Patient', patientId, [{ op: 'add', path: '/name/0/given/-', value: 'Marie' }]);
  expect(patched.name?.[0].given).toEqual(['Lena', 'Marie']);
  expect(patched.meta?.versionId).toBe('2');
  const outcome = await client.validateResource({ resourceType: 'Patient', gender: 'robot' } as never);
  expect(outcome.issue?.some((i) => i.severity === 'error')).toBe(true);
});
