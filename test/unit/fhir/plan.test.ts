import type { Bundle } from '@medplum/fhirtypes';
import { FhirError } from '../../../bridge/fhir/outcome';
import { MAX_DEFERRED_READS, planBundle } from '../../../bridge/fhir/plan';

const tx = (entry: unknown[], type = 'transaction'): Bundle => ({ resourceType: 'Bundle', type, entry }) as Bundle;
const issuesOf = (fn: () => unknown): { status: number; where: (string | undefined)[]; text: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FhirError) return { status: err.status, where: err.issues.map((i) => i.expression), text: err.message };
    throw err;
  }
  throw new Error('expected a FhirError');
};

describe('planBundle', () => {
  test("orders a transaction DELETE, POST, PUT, GET and keeps each entry's index", () => {
    const plan = planBundle(
      tx([
        { request: { method: 'GET', url: 'Patient/a' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient/p1' } },
        { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } },
        { request: { method: 'DELETE', url: 'Observation/x' } },
      ]),
      100,
    );
    expect(plan.entries.map((e) => [e.index, e.action.kind])).toEqual([
      [3, 'delete'],
      [2, 'create'],
      [1, 'update'],
      [0, 'read'],
    ]);
  });

  test('batch keeps the received order; collection entries are upserts keyed by resource id', () => {
    const batch = planBundle(
      tx(
        [{ request: { method: 'GET', url: 'Patient/a' } }, { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } }],
        'batch',
      ),
      100,
    );
    expect(batch.entries.map((e) => e.index)).toEqual([0, 1]);
    const collection = planBundle(tx([{ fullUrl: 'http://x/Patient/p1', resource: { resourceType: 'Patient', id: 'p1' } }], 'collection'), 100);
    expect(collection.entries[0].action).toMatchObject({ kind: 'upsert', sourceId: 'p1' });
  });

  test('conditional create, update and delete carry parsed criteria', () => {
    const plan = planBundle(
      tx([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=http://mrn|1' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient?identifier=http://mrn|2' } },
        { request: { method: 'DELETE', url: 'Patient?_id=abc' } },
      ]),
      100,
    );
    const byIndex = new Map(plan.entries.map((e) => [e.index, e.action]));
    expect(byIndex.get(0)).toMatchObject({ kind: 'create', ifNoneExist: { key: 'identifier=http://mrn|1' } });
    expect(byIndex.get(1)).toMatchObject({ kind: 'conditional-update', criteria: { conditions: [{ param: 'identifier', system: 'http://mrn', code: '2' }] } });
    expect(byIndex.get(2)).toMatchObject({ kind: 'conditional-delete', criteria: { conditions: [{ param: '_id', code: 'abc' }] } });
  });

  test('a malformed transaction is refused as a whole, naming every entry', () => {
    const r = issuesOf(() =>
      planBundle(
        tx([
          { resource: { resourceType: 'Patient' } },
          { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Observation' } },
          { resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/b' } },
          { request: { method: 'PATCH', url: 'Patient/a' } },
          { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'name=peter' } },
          { resource: { resourceType: 'Parameters' }, request: { method: 'POST', url: 'ValueSet/$lookup' } },
        ]),
        100,
      ),
    );
    expect(r.status).toBe(400);
    expect(r.where).toEqual([
      'Bundle.entry[0].request',
      'Bundle.entry[1].request.url',
      'Bundle.entry[2].resource.id',
      'Bundle.entry[3].resource',
      'Bundle.entry[4].request.ifNoneExist',
      'Bundle.entry[5].request.url',
    ]);
    expect(r.text).toMatch(/\$lookup is not supported inside a bundle/);
  });

  test('a malformed batch entry is refused alone', () => {
    const plan = planBundle(
      tx([{ resource: { resourceType: 'Patient' } }, { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } }], 'batch'),
      100,
    );
    expect([...plan.refused.keys()]).toEqual([0]);
    expect(plan.entries.map((e) => e.index)).toEqual([1]);
  });

  test('duplicate fullUrls are refused unless they are versions of one resource (bdl-7)', () => {
    expect(
      issuesOf(() =>
        planBundle(
          tx(
            [
              { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Basic' } },
              { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Basic' } },
            ],
            'collection',
          ),
          100,
        ),
      ).where,
    ).toEqual(['Bundle.entry[1].fullUrl']);
    expect(
      planBundle(
        tx(
          [
            { fullUrl: 'http://x/Patient/1', resource: { resourceType: 'Patient', id: '1', meta: { versionId: '1' } } },
            { fullUrl: 'http://x/Patient/1', resource: { resourceType: 'Patient', id: '1', meta: { versionId: '2' } } },
          ],
          'collection',
        ),
        100,
      ).entries,
    ).toHaveLength(2);
  });

  test('unpushable types, documents without a Composition and too many entries are refused', () => {
    expect(issuesOf(() => planBundle(tx([], 'searchset'), 100)).status).toBe(400);
    expect(issuesOf(() => planBundle(tx([{ resource: { resourceType: 'Patient' } }], 'document'), 100)).where).toEqual(['Bundle.entry[0]']);
    expect(issuesOf(() => planBundle(tx([{ resource: { resourceType: 'Basic' } }, { resource: { resourceType: 'Basic' } }], 'collection'), 1)).status).toBe(
      413,
    );
  });
});

test('a bundle asking for more searches and operations than one response answers is refused whole, before anything runs', () => {
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ request: { method: 'GET', url: i % 2 ? `Patient?family=x${i}` : `Patient/p${i}/$everything` } }));
  for (const type of ['batch', 'transaction']) {
    expect(planBundle({ resourceType: 'Bundle', type, entry: entries(MAX_DEFERRED_READS) } as Bundle, 1000).entries).toHaveLength(MAX_DEFERRED_READS);
    const r = issuesOf(() => planBundle({ resourceType: 'Bundle', type, entry: entries(MAX_DEFERRED_READS + 1) } as Bundle, 1000));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/at most 50 are answered in one bundle/);
  }
});
