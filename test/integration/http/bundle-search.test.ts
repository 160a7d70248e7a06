/**
 * `GET Type?params` entries in transactions and batches (R4 http.html#transaction): searched after the writes, as the
 * pushing clinic, each answered with a searchset in its entry; a search the bridge refuses is that entry's error in a
 * batch, and refuses the whole transaction (nothing written).
 */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
});
afterAll(async () => bridge?.close());

const patient = (mrn: string, family: string) => ({
  resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], name: [{ family }] },
  request: { method: 'POST', url: 'Patient' },
});
const get = (url: string) => ({ request: { method: 'GET', url } });
const count = async (key: string, q: string): Promise<number> => (await api(bridge.url, key, 'GET', `/fhir/${q}&_total=accurate`)).body.total;

test('a transaction’s searches see its own writes (GET entries are processed last), in request order', async () => {
  const res = await api(bridge.url, keyA, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [get('Patient?identifier=urn:mrn|T-1&_total=accurate'), patient('T-1', 'Brandt'), get('Patient?family=brandt')],
  });
  expect(res.status).toBe(200);
  const [first, created, second] = res.body.entry;
  expect(created.response.status).toBe('201 Created');
  for (const e of [first, second]) {
    expect(e.response.status).toBe('200 OK');
    expect(e.resource).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(e.resource.entry.map((x: any) => x.resource.name[0].family)).toEqual(['Brandt']);
  }
  expect(first.resource.total).toBe(1);
});

test('a batch answers each search alone: a refused one is its entry’s 400, the others are served', async () => {
  const res = await api(bridge.url, keyA, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [get('Patient?nonsense=1'), patient('B-1', 'Kurz'), get('Patient?family=kurz'), get('Observation?value-quantity=lots')],
  });
  expect(res.status).toBe(200);
  const statuses = res.body.entry.map((e: any) => e.response.status);
  expect(statuses).toEqual(['400', '201 Created', '200 OK', '400']);
  expect(res.body.entry[0].response.outcome.issue[0].diagnostics).toMatch(/"nonsense" is not supported on Patient/);
  expect(res.body.entry[2].resource.entry).toHaveLength(1);
});

test('a transaction with a search the bridge refuses is refused whole: nothing written', async () => {
  const res = await api(bridge.url, keyA, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [patient('T-2', 'Nie'), get('Patient?birthdate=someday')],
  });
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(await count(keyA, 'Patient?identifier=urn:mrn|T-2')).toBe(0);
});

test('a bundle’s searches see only what the pushing clinic may see', async () => {
  const res = await api(bridge.url, keyB, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [get('Patient?family=brandt,kurz&_total=accurate')],
  });
  expect(res.status).toBe(200);
  expect(res.body.entry[0].resource.total).toBe(0);
  expect(await count(keyA, 'Patient?family=brandt,kurz')).toBe(2);
});
