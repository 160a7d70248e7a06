import { api } from '../../helpers/fixtures';
import { startSecondBridge } from '../../helpers/second-bridge';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Concurrent writes of one resource, to one bridge process and to two on one database: every write applies, each in
 * a version of its own (the current row is locked before its version is read), nothing is lost, nothing jams.
 */
let bridge: TestBridge;
let second: { url: string; close(): Promise<void> };
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  second = await startSecondBridge(bridge.database);
  key = (await bridge.clinic('Concurrent')).apiKey;
});
afterAll(async () => {
  await second?.close();
  await bridge?.close();
});

const N = 30;
const SYSTEM = 'urn:test:concurrent';
const patient = (id: string | undefined, mrn: string, family: string) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  identifier: [{ system: SYSTEM, value: mrn }],
  name: [{ family }],
});
const version = (res: { headers: Headers }) => Number(/^W\/"(\d+)"$/.exec(res.headers.get('etag') ?? '')?.[1]);
const urls = (processes: number) => (i: number) => (processes === 2 && i % 2 ? second.url : bridge.url);

async function historyOf(id: string): Promise<Map<number, string>> {
  const h = await api(bridge.url, key, 'GET', `/fhir/Patient/${id}/_history`);
  expect(h.status).toBe(200);
  return new Map(
    h.body.entry.map((e: { resource: { meta: { versionId: string }; name: { family: string }[] } }) => [
      Number(e.resource.meta.versionId),
      e.resource.name[0].family,
    ]),
  );
}

describe.each([1, 2])('on %i process(es)', (processes) => {
  const at = urls(processes);

  test(`${N} concurrent updates all apply, each in its own version`, async () => {
    const id = `conc-${processes}`;
    expect((await api(bridge.url, key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, 'Initial'))).status).toBe(201);
    const results = await Promise.all(Array.from({ length: N }, (_, i) => api(at(i), key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, `Write-${i}`))));
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    // Each answer is the version it wrote: its ETag, its body's versionId, its own content.
    const versionOf = new Map<string, number>();
    results.forEach((r, i) => {
      expect(r.body.meta.versionId).toBe(String(version(r)));
      expect(r.body.name[0].family).toBe(`Write-${i}`);
      versionOf.set(`Write-${i}`, version(r));
    });
    expect([...versionOf.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 2));

    const history = await historyOf(id);
    expect(history.size).toBe(N + 1);
    expect(history.get(1)).toBe('Initial');
    for (const [family, v] of versionOf) expect(history.get(v)).toBe(family);

    const current = await api(bridge.url, key, 'GET', `/fhir/Patient/${id}`);
    expect(current.body.meta.versionId).toBe(String(N + 1));
    expect(current.body.name[0].family).toBe(history.get(N + 1));
    const after = await api(at(1), key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, 'After'));
    expect([after.status, version(after)]).toEqual([200, N + 2]);
    expect((await api(bridge.url, key, 'DELETE', `/fhir/Patient/${id}`)).status).toBe(204);
  });

  test('concurrent updates with the same If-Match: exactly one succeeds, the others answer 412', async () => {
    const id = `match-${processes}`;
    await api(bridge.url, key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, 'Initial'));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api(at(i), key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, `Try-${i}`), { 'If-Match': 'W/"1"' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(11).fill(412)]);
    const winner = results.find((r) => r.status === 200)!;
    const current = await api(bridge.url, key, 'GET', `/fhir/Patient/${id}`);
    expect([current.body.meta.versionId, current.body.name[0].family]).toEqual(['2', winner.body.name[0].family]);
    expect((await historyOf(id)).size).toBe(2);
  });

  test('concurrent updates, conditional updates and conditional creates of one resource serialize', async () => {
    const id = `mixed-${processes}`;
    const mrn = `mrn-mixed-${processes}`;
    await api(bridge.url, key, 'PUT', `/fhir/Patient/${id}`, patient(id, mrn, 'Initial'));
    const writes = Array.from({ length: N }, (_, i) => {
      switch (i % 3) {
        case 0:
          return api(at(i), key, 'PUT', `/fhir/Patient/${id}`, patient(id, mrn, `Put-${i}`));
        case 1:
          return api(at(i), key, 'PUT', `/fhir/Patient?identifier=${SYSTEM}|${mrn}`, patient(undefined, mrn, `Cond-${i}`));
        default:
          return api(at(i), key, 'POST', '/fhir/Patient', patient(undefined, mrn, `Create-${i}`), { 'If-None-Exist': `identifier=${SYSTEM}|${mrn}` });
      }
    });
    const results = await Promise.all(writes);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    const updates = results.filter((_, i) => i % 3 !== 2);
    // Conditional creates found the one resource; updates each wrote a version of it.
    for (const r of results) expect(r.body.id).toBe(results[0].body.id);
    expect(updates.map(version).sort((a, b) => a - b)).toEqual(Array.from({ length: updates.length }, (_, i) => i + 2));
    const same = await bridge.database.db.query(`SELECT count(*)::int AS n FROM resource r WHERE r.search_keys @> ARRAY['identifier=' || $1]`, [mrn]);
    expect(same.rows[0].n).toBe(1);
    expect((await historyOf(id)).size).toBe(updates.length + 1);
    expect((await api(at(1), key, 'PUT', `/fhir/Patient/${id}`, patient(id, mrn, 'After'))).status).toBe(200);
  });
});

test('concurrent updates of a resource not yet stored: one creates it, the others update it', async () => {
  const id = 'fresh';
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => api(urls(2)(i), key, 'PUT', `/fhir/Patient/${id}`, patient(id, id, `Fresh-${i}`))));
  expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  expect(results.map(version).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
});
