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
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer e2e-admin-token-0123456789' }, body: JSON.stringify({ name: 'E2E Clinic' }),
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
  expect(cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').operation.map((o: { name: string }) => o.name)).toEqual(['everything', 'summary', 'export']);
  expect(cs.rest[0].operation.map((o: { name: string }) => o.name)).toEqual(['export']);
});
