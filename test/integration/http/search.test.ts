import { startTestBridge, TestBridge } from '../../helpers/server';
import { api, fixtureBundle } from '../../helpers/fixtures';

let bridge: TestBridge;
let key: string;
let patientId: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Clinic A')).apiKey;
  const res = await api(bridge.url, key, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
  patientId = res.body.entry[0].response.location.split('/')[1];
  const observations = Array.from({ length: 7 }, (_, i) => ({
    resource: {
      resourceType: 'Observation',
      status: 'final',
      subject: { reference: `Patient/${patientId}` },
      code: { coding: [{ system: 'http://loinc.org', code: i % 2 ? '8867-4' : '8310-5' }] },
      effectiveDateTime: `2023-0${i + 1}-15T10:00:00Z`,
      valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    },
    request: { method: 'POST', url: 'Observation' },
  }));
  await api(bridge.url, key, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: observations });
});
afterAll(async () => bridge?.close());

const ids = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => e.resource.id);

test('search by identifier, with and without system', async () => {
  const withSystem = await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=http://clinic-a.example/mrn|A-1001');
  expect(withSystem.body.type).toBe('searchset');
  expect(ids(withSystem.body)).toEqual([patientId]);
  expect(ids((await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=A-1001')).body)).toEqual([patientId]);
  expect(ids((await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=http://other|A-1001')).body)).toEqual([]);
});

test('search by _id, patient and subject', async () => {
  expect(ids((await api(bridge.url, key, 'GET', `/fhir/Patient?_id=${patientId}`)).body)).toEqual([patientId]);
  expect((await api(bridge.url, key, 'GET', `/fhir/Observation?patient=Patient/${patientId}&_count=100`)).body.entry).toHaveLength(8);
  expect((await api(bridge.url, key, 'GET', `/fhir/Observation?subject=${patientId}&_count=100`)).body.entry).toHaveLength(8);
});

test('search by code matches canonical systems (an OID-coded observation is found under http://loinc.org)', async () => {
  const weight = await api(bridge.url, key, 'GET', '/fhir/Observation?code=http://loinc.org|29463-7');
  expect(weight.body.entry).toHaveLength(1);
  expect(weight.body.entry[0].resource.code.coding[0].system).toBe('urn:oid:2.16.840.1.113883.6.1');
  expect((await api(bridge.url, key, 'GET', '/fhir/Observation?code=8867-4,8310-5&_count=100')).body.entry).toHaveLength(7);
});

test('search by date with prefixes', async () => {
  const count = async (q: string): Promise<number> => (await api(bridge.url, key, 'GET', `/fhir/Observation?${q}&_count=100`)).body.entry.length;
  expect(await count('date=2023-03')).toBe(1);
  expect(await count('date=ge2023-05-01')).toBe(4); // May, June, July and the fixture's 2024 weight
  expect(await count('date=lt2023-03-01')).toBe(2);
  expect(await count('date=ge2023-02-01&date=le2023-04-30')).toBe(3);
  expect((await api(bridge.url, key, 'GET', '/fhir/Observation?date=someday')).status).toBe(400);
});

test('search by _lastUpdated', async () => {
  const all = await api(bridge.url, key, 'GET', '/fhir/Observation?_lastUpdated=gt2020-01-01&_count=100');
  expect(all.body.entry).toHaveLength(8);
  expect((await api(bridge.url, key, 'GET', '/fhir/Observation?_lastUpdated=lt2020-01-01')).body).toMatchObject({ total: 0 });
  expect((await api(bridge.url, key, 'GET', '/fhir/Observation?_lastUpdated=lt2020-01-01')).body.entry).toBeUndefined();
});

test('_count pages with next and previous links that walk every match once', async () => {
  const seen: string[] = [];
  let url: string | undefined = `/fhir/Observation?patient=${patientId}&_count=3`;
  let pages = 0;
  while (url) {
    const page = await api(bridge.url, key, 'GET', url);
    expect(page.status).toBe(200);
    seen.push(...ids(page.body));
    const next = page.body.link.find((l: any) => l.relation === 'next');
    if (pages > 0) expect(page.body.link.find((l: any) => l.relation === 'previous')).toBeDefined();
    url = next ? next.url.replace(bridge.url, '') : undefined;
    pages++;
  }
  expect(pages).toBe(3);
  expect(seen).toHaveLength(8);
  expect(new Set(seen).size).toBe(8);
});
