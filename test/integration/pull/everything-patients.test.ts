/** `$everything` always answers with the Patient records of the person the caller may read, however they were written. */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';
import { consentBundle, push, SSN } from './scenario';

let bridge: TestBridge;
let A: { id: string; apiKey: string };
let B: { id: string; apiKey: string };
beforeAll(async () => {
  bridge = await startTestBridge();
  A = await bridge.clinic('A');
  B = await bridge.clinic('B');
});
afterAll(async () => bridge?.close());

const patient = (mrn: string, ssn: string) => ({
  resourceType: 'Patient',
  identifier: [
    { system: 'http://a.example/mrn', value: mrn },
    { system: SSN, value: ssn },
  ],
  name: [{ family: 'Okoro' }],
  gender: 'male',
  birthDate: '1975-02-03',
});
const everything = (key: string, id: string) => api(bridge.url, key, 'GET', `/fhir/Patient/${id}/$everything`);
const patientIds = (bundle: any): string[] =>
  (bundle.entry ?? [])
    .filter((e: any) => e.resource.resourceType === 'Patient')
    .map((e: any) => e.resource.id)
    .sort();

test('a Patient with no other resources, created alone (POST /fhir/Patient), is in its own $everything', async () => {
  const created = await api(bridge.url, A.apiKey, 'POST', '/fhir/Patient', patient('solo-1', '111-00-0001'));
  expect(created.status).toBe(201);
  const res = await everything(A.apiKey, created.body.id);
  expect(res.status).toBe(200);
  expect(res.body.total).toBe(1);
  expect(patientIds(res.body)).toEqual([created.body.id]);
  expect(res.body.entry[0].search.mode).toBe('match');
  // Rows stored before Patients were filed in their own compartment (patient_id null) are found by their id.
  await bridge.database.db.query('UPDATE resource SET patient_id = NULL WHERE id = $1', [created.body.id]);
  expect(patientIds((await everything(A.apiKey, created.body.id)).body)).toEqual([created.body.id]);
});

test('a Patient alone in a transaction without fullUrl is in its own $everything', async () => {
  const pushed = await push(bridge.url, A.apiKey, {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: patient('solo-2', '111-00-0002'), request: { method: 'POST', url: 'Patient' } }],
  } as any);
  const id = pushed.body.entry![0].response!.location!.split('/')[1];
  expect(patientIds((await everything(A.apiKey, id)).body)).toEqual([id]);
});

test("a cross-clinic pull has the caller's own Patient record and the consented one", async () => {
  const ssn = '222-00-0003';
  const own = await api(bridge.url, A.apiKey, 'POST', '/fhir/Patient', patient('cross-a', ssn));
  const theirs = await api(bridge.url, B.apiKey, 'PUT', '/fhir/Patient/b-cross', { ...patient('cross-b', ssn), id: 'b-cross' });
  expect([own.status, theirs.status]).toEqual([201, 201]);
  await push(bridge.url, B.apiKey, consentBundle('b-cross', A.id));
  for (const asked of [theirs.body.id, own.body.id]) {
    const res = await everything(A.apiKey, asked);
    expect(res.status).toBe(200);
    expect(patientIds(res.body)).toEqual([own.body.id, theirs.body.id].sort());
  }
  // Without consent B reads only its own record of the person.
  expect(patientIds((await everything(B.apiKey, theirs.body.id)).body)).toEqual([theirs.body.id]);
});
