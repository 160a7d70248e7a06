import { findReceiptData } from '../../../bridge/store/batches';
import { api } from '../../helpers/fixtures';
import { startSecondBridge } from '../../helpers/second-bridge';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * The same bytes pushed again by a clinic are replayed (not applied twice) only while everything the earlier push
 * wrote is still current; a write in between makes them a new write, applied again. Replay never hides a write.
 */
let bridge: TestBridge;
let second: { url: string; close(): Promise<void> };
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  second = await startSecondBridge(bridge.database);
  key = (await bridge.clinic('Replay')).apiKey;
});
afterAll(async () => {
  await second?.close();
  await bridge?.close();
});

const patient = (id: string | undefined, family: string) => ({ resourceType: 'Patient', ...(id ? { id } : {}), name: [{ family }] });
const replayed = (res: { headers: Headers }) => res.headers.get('x-bundle-replayed') === 'true';
const rows = async (sql: string, params: unknown[] = []) => (await bridge.database.db.query(sql, params)).rows;

test('PUT A, B, A ends at A; the same A once more is a replay', async () => {
  const put = (family: string) => api(bridge.url, key, 'PUT', '/fhir/Patient/aba', patient('aba', family));
  const a1 = await put('A');
  const b = await put('B');
  const a2 = await put('A');
  expect([a1.status, b.status, a2.status]).toEqual([201, 200, 200]);
  expect([a1, b, a2].map(replayed)).toEqual([false, false, false]);
  expect(a2.headers.get('etag')).toBe('W/"3"');
  expect(a2.headers.get('x-bundle-hash')).toBe(a1.headers.get('x-bundle-hash'));
  const now = await api(bridge.url, key, 'GET', '/fhir/Patient/aba');
  expect([now.body.meta.versionId, now.body.name[0].family]).toEqual(['3', 'A']);

  // Nothing changed since the last A: the retry is answered from it, nothing is written.
  const a3 = await put('A');
  expect([a3.status, replayed(a3), a3.headers.get('etag'), a3.body.name[0].family]).toEqual([200, true, 'W/"3"', 'A']);
  expect((await api(bridge.url, key, 'GET', '/fhir/Patient/aba/_history')).body.total).toBe(3);

  // Each application is a bundle of its own (own salt, own leaf); the receipt by hash names the first.
  const hash = a1.headers.get('x-bundle-hash') as string;
  const stored = await rows(`SELECT encode(salt, 'hex') AS salt FROM bundle WHERE hash = decode($1, 'hex') ORDER BY received_at`, [hash.slice(2)]);
  expect(stored).toHaveLength(2);
  expect(stored[0].salt).not.toBe(stored[1].salt);
  expect((await findReceiptData(bridge.database.db, hash))?.salt).toBe(`0x${stored[0].salt}`);
});

test('transaction bundles A, B, A end at A', async () => {
  const tx = (family: string) =>
    api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: patient('tx-aba', family), request: { method: 'PUT', url: 'Patient/tx-aba' } }],
    });
  const results = [await tx('A'), await tx('B'), await tx('A'), await tx('A')];
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  expect(results.map(replayed)).toEqual([false, false, false, true]);
  expect(results.map((r) => r.body.entry[0].response.etag)).toEqual(['W/"1"', 'W/"2"', 'W/"3"', 'W/"3"']);
  const now = await api(bridge.url, key, 'GET', '/fhir/Patient/tx-aba');
  expect(now.body.name[0].family).toBe('A');
});

test('PUT, DELETE, PUT, DELETE with the same bytes ends deleted', async () => {
  const put = () => api(bridge.url, key, 'PUT', '/fhir/Patient/pd', patient('pd', 'Same'));
  const del = () => api(bridge.url, key, 'DELETE', '/fhir/Patient/pd');
  expect([(await put()).status, (await del()).status, (await put()).status, (await del()).status]).toEqual([201, 204, 200, 204]);
  expect((await api(bridge.url, key, 'GET', '/fhir/Patient/pd')).status).toBe(410);
  expect((await api(bridge.url, key, 'GET', '/fhir/Patient/pd/_history')).body.total).toBe(4);
});

test('an exact retry of a create is answered from the first: no second resource', async () => {
  const body = patient(undefined, 'Retried');
  const first = await api(bridge.url, key, 'POST', '/fhir/Patient', body);
  const retry = await api(bridge.url, key, 'POST', '/fhir/Patient', body);
  expect([first.status, retry.status, replayed(retry)]).toEqual([201, 201, true]);
  expect(retry.body.id).toBe(first.body.id);
  expect(await rows(`SELECT id FROM resource WHERE content->'name'->0->>'family' = 'Retried'`)).toHaveLength(1);
});

test('identical creates sent at once, to two processes, make one resource', async () => {
  const body = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: patient(undefined, 'AtOnce'), request: { method: 'POST', url: 'Patient' } }],
  };
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => api(i % 2 ? second.url : bridge.url, key, 'POST', '/fhir', body)));
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  expect(results.filter((r) => !replayed(r))).toHaveLength(1);
  expect(new Set(results.map((r) => r.body.entry[0].response.location)).size).toBe(1);
  expect(await rows(`SELECT id FROM resource WHERE content->'name'->0->>'family' = 'AtOnce'`)).toHaveLength(1);
});

test('a create sent again after its resource changed is a new create', async () => {
  const body = patient(undefined, 'Again');
  const first = await api(bridge.url, key, 'POST', '/fhir/Patient', body);
  await api(bridge.url, key, 'PUT', `/fhir/Patient/${first.body.id}`, { ...body, id: first.body.id, gender: 'other' });
  const again = await api(bridge.url, key, 'POST', '/fhir/Patient', body);
  expect([again.status, replayed(again)]).toEqual([201, false]);
  expect(again.body.id).not.toBe(first.body.id);
});
