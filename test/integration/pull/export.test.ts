import { resumeStalledExports } from '../../../bridge/pull/export-job';
import { waitFor } from '../../helpers/anchor/bundles';
import { randomUUID } from 'node:crypto';
import { MedplumClient } from '@medplum/core';
import { createExportJob } from '../../../bridge/store/export';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';
import { auditRows, clinicBundle, consentBundle, push } from './scenario';

let bridge: TestBridge;
const audits = (): Promise<any[]> => auditRows(bridge.database.db);
let A: { id: string; apiKey: string };
let B: { id: string; apiKey: string };
let C: { id: string; apiKey: string };
const patient: Record<string, string> = {};

const clientFor = (key: string): MedplumClient =>
  new MedplumClient({ baseUrl: bridge.url, fhirUrlPath: 'fhir', fetch, accessToken: key, maxRetries: 0 } as never);

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

async function download(key: string, manifest: Manifest): Promise<any[]> {
  const out: any[] = [];
  for (const o of manifest.output) {
    const res = await fetch(o.url, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/fhir\+ndjson/);
    const lines = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(o.count);
    for (const r of lines) expect(r.resourceType).toBe(o.type);
    out.push(...lines);
  }
  return out;
}

beforeAll(async () => {
  bridge = await startTestBridge();
  A = await bridge.clinic('A');
  B = await bridge.clinic('B');
  C = await bridge.clinic('C');
  for (const [name, clinic, year] of [
    ['A', A, 2020],
    ['B', B, 2021],
    ['C', C, 2022],
  ] as const) {
    const pushed = await push(bridge.url, clinic.apiKey, clinicBundle(name, year, '999-33-4444', 100));
    patient[name] = pushed.body.entry![0].response!.location!.split('/')[1];
  }
  await push(bridge.url, B.apiKey, consentBundle('B-p1', A.id)); // B lets A read; C does not
});
afterAll(async () => {
  await bridge?.close();
});

test('MedplumClient bulkExport: kick-off, poll, manifest, NDJSON with the clinic key; only permitted data', async () => {
  const manifest = (await clientFor(A.apiKey).bulkExport('', undefined, undefined, {
    pollStatusOnAccepted: true,
    pollStatusPeriod: 50,
  } as never)) as unknown as Manifest;
  expect(manifest).toMatchObject({ requiresAccessToken: true, error: [], request: `${bridge.url}/fhir/$export` });
  expect(new Date(manifest.transactionTime).getTime()).toBeLessThanOrEqual(Date.now());
  const resources = await download(A.apiKey, manifest);
  const patients = resources
    .filter((r) => r.resourceType === 'Patient')
    .map((r) => r.id)
    .sort();
  expect(patients).toEqual([patient.A, patient.B].sort());
  // A's own everything, B's compartment (8 + its Consent), the shared entities both reference (A's and B's Organization, Practitioner, Location)
  expect(resources.filter((r) => r.resourceType === 'Observation')).toHaveLength(2);
  expect(
    resources
      .filter((r) => r.resourceType === 'Organization')
      .map((r) => r.name)
      .sort(),
  ).toEqual(['Clinic A', 'Clinic B']);
  expect(JSON.stringify(resources)).not.toContain(patient.C);
  expect(new Set(resources.map((r) => r.id)).size).toBe(resources.length);
  const files = await fetch(manifest.output[0].url);
  expect(files.status).toBe(401);
  expect((await fetch(manifest.output[0].url, { headers: { authorization: `Bearer ${C.apiKey}` } })).status).toBe(404);
  expect((await audits()).find((r) => r.action === 'export' && r.clinicId === A.id)).toMatchObject({
    outcome: 'success',
    patientIds: expect.arrayContaining([patient.A, patient.B]),
  });
});

test('Patient-level export with _type and _since', async () => {
  const client = clientFor(A.apiKey);
  const manifest = (await client.bulkExport('Patient', 'Observation,Condition', undefined, {
    pollStatusOnAccepted: true,
    pollStatusPeriod: 50,
  } as never)) as unknown as Manifest;
  expect([...new Set(manifest.output.map((o) => o.type))].sort()).toEqual(['Condition', 'Observation']);
  const resources = await download(A.apiKey, manifest);
  expect(resources).toHaveLength(4);
  const later = (await client.bulkExport('Patient', undefined, new Date(Date.now() + 60_000).toISOString(), {
    pollStatusOnAccepted: true,
    pollStatusPeriod: 50,
  } as never)) as unknown as Manifest;
  expect(later.output).toEqual([]);
});

test('C, without consent from anyone, exports its own records only', async () => {
  const manifest = (await clientFor(C.apiKey).bulkExport('Patient', undefined, undefined, {
    pollStatusOnAccepted: true,
    pollStatusPeriod: 50,
  } as never)) as unknown as Manifest;
  const resources = await download(C.apiKey, manifest);
  expect(resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id)).toEqual([patient.C]);
  expect(JSON.stringify(resources)).not.toContain(patient.A);
});

test('status: 202 with X-Progress while running; DELETE cancels (202), then 404', async () => {
  const job = await createExportJob(bridge.database.db, {
    id: randomUUID(),
    clinicId: A.id,
    level: 'system',
    requestUrl: `${bridge.url}/fhir/$export`,
    types: null,
    since: null,
  });
  const status = `/fhir/$export-status/${job.id}`;
  const polled = await api(bridge.url, A.apiKey, 'GET', status);
  expect(polled.status).toBe(202);
  expect(polled.headers.get('x-progress')).toBeTruthy();
  expect((await api(bridge.url, B.apiKey, 'GET', status)).status).toBe(404); // another clinic's job
  expect((await api(bridge.url, A.apiKey, 'DELETE', status)).status).toBe(202);
  expect((await api(bridge.url, A.apiKey, 'GET', status)).status).toBe(404);
  expect((await api(bridge.url, A.apiKey, 'DELETE', status)).status).toBe(404);
});

test('kick-off over plain HTTP: Prefer required, Content-Location, cancel right away', async () => {
  const refused = await api(bridge.url, A.apiKey, 'GET', '/fhir/$export');
  expect(refused.status).toBe(400);
  const bad = await api(bridge.url, A.apiKey, 'GET', '/fhir/$export?_outputFormat=text/csv', undefined, { prefer: 'respond-async' });
  expect(bad.status).toBe(400);
  const started = await api(bridge.url, A.apiKey, 'GET', '/fhir/Patient/$export?_type=Patient', undefined, { prefer: 'respond-async' });
  expect(started.status).toBe(202);
  const location = started.headers.get('content-location')!;
  expect(location).toMatch(/\/fhir\/\$export-status\/[0-9a-f-]{36}$/);
  const cancel = await fetch(location, { method: 'DELETE', headers: { authorization: `Bearer ${A.apiKey}` } });
  expect(cancel.status).toBe(202);
  // The job is deleted before the 202 is sent: gone at once for every process.
  expect((await fetch(location, { headers: { authorization: `Bearer ${A.apiKey}` } })).status).toBe(404);
});

test('a job orphaned by a process that died is resumed by another and completes once', async () => {
  const res = await fetch(`${bridge.url}/fhir/Patient/$export?_type=Patient`, { headers: { authorization: `Bearer ${A.apiKey}`, prefer: 'respond-async' } });
  expect(res.status).toBe(202);
  const status = res.headers.get('content-location') as string;
  const jobId = status.split('/').pop() as string;
  const poll = async (): Promise<number> => (await fetch(status, { headers: { authorization: `Bearer ${A.apiKey}` } })).status;
  await waitFor(async () => (await poll()) === 200, 20_000, 'the first run');
  // Simulate the runner dying mid-way: the job back in progress, silent for 3 minutes, with a stray partial file.
  await bridge.database.db.query(`UPDATE export_job SET status = 'in-progress', heartbeat_at = now() - interval '3 minutes' WHERE id = $1`, [jobId]);
  await bridge.database.db.query(`INSERT INTO export_file (job_id, seq, resource_type, resource_count, content) VALUES ($1, 99, 'Patient', 1, '{}')`, [jobId]);
  expect(await poll()).toBe(202);
  expect(await resumeStalledExports(bridge.database.db, 60_000)).toBe(1);
  expect(await resumeStalledExports(bridge.database.db, 60_000)).toBe(0); // a running or finished job is not taken again
  expect(await poll()).toBe(200);
  const files = (await bridge.database.db.query('SELECT seq, resource_type FROM export_file WHERE job_id = $1 ORDER BY seq', [jobId])).rows;
  expect(files.map((f: { seq: number }) => f.seq)).toEqual([1]);
  expect(files[0].resource_type).toBe('Patient');
});

test('finished exports are dropped with their files after 24 hours', async () => {
  const res = await fetch(`${bridge.url}/fhir/$export?_type=Patient`, { headers: { authorization: `Bearer ${C.apiKey}`, prefer: 'respond-async' } });
  const status = res.headers.get('content-location') as string;
  const jobId = status.split('/').pop() as string;
  await waitFor(async () => (await fetch(status, { headers: { authorization: `Bearer ${C.apiKey}` } })).status === 200, 20_000, 'the export');
  await resumeStalledExports(bridge.database.db);
  expect((await fetch(status, { headers: { authorization: `Bearer ${C.apiKey}` } })).status).toBe(200); // fresh: kept
  await bridge.database.db.query(`UPDATE export_job SET completed_at = now() - interval '25 hours' WHERE id = $1`, [jobId]);
  await resumeStalledExports(bridge.database.db);
  expect((await fetch(status, { headers: { authorization: `Bearer ${C.apiKey}` } })).status).toBe(404);
  expect((await bridge.database.db.query('SELECT count(*)::int AS n FROM export_file WHERE job_id = $1', [jobId])).rows[0].n).toBe(0);
});
