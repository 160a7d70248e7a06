import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Interactions a FHIR client reaches for next (issue 12): POST {type}/_search (a form body, answered as the GET),
 * $validate (R4 operation-resource-validate: 200 with an OperationOutcome, valid or not) and instance $meta, through
 * the access layer like every read.
 */
let bridge: TestBridge;
let a: { id: string; apiKey: string };
let b: { id: string; apiKey: string };
let patientId: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  [a, b] = await Promise.all([bridge.clinic('Ops A'), bridge.clinic('Ops B')]);
  const created = await api(bridge.url, a.apiKey, 'POST', '/fhir/Patient', {
    resourceType: 'Patient',
    meta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] },
    identifier: [{ system: 'http://example.org/mrn', value: 'OPS-1' }],
    name: [{ family: 'Operations' }],
  });
  expect(created.status).toBe(201);
  patientId = created.body.id;
});
afterAll(async () => bridge?.close());

const form = (key: string, path: string, body: string, type = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: any }> =>
  fetch(`${bridge.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }));

describe('POST {type}/_search', () => {
  test('answers what the GET answers, from the body and the URL together', async () => {
    const get = await api(bridge.url, a.apiKey, 'GET', '/fhir/Patient?identifier=http://example.org/mrn|OPS-1');
    const post = await form(a.apiKey, '/fhir/Patient/_search', 'identifier=http%3A%2F%2Fexample.org%2Fmrn%7COPS-1');
    expect(post.status).toBe(200);
    expect(post.body.type).toBe('searchset');
    expect(post.body.entry.map((e: any) => e.resource.id)).toEqual(get.body.entry.map((e: any) => e.resource.id));
    expect(post.body.entry.map((e: any) => e.resource.id)).toEqual([patientId]);
    const both = await form(a.apiKey, `/fhir/Patient/_search?_id=${patientId}`, 'identifier=http%3A%2F%2Fexample.org%2Fmrn%7COTHER');
    expect(both.body.entry ?? []).toEqual([]); // ANDed: the id matches, the identifier does not
  });

  test('another clinic finds nothing of it, and bad input is a 4xx OperationOutcome', async () => {
    const other = await form(b.apiKey, '/fhir/Patient/_search', 'identifier=http%3A%2F%2Fexample.org%2Fmrn%7COPS-1');
    expect(other.status).toBe(200);
    expect(other.body.entry ?? []).toEqual([]);
    const unknown = await form(a.apiKey, '/fhir/Patient/_search', 'no-such-param=1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const json = await form(a.apiKey, '/fhir/Patient/_search', '{"identifier":"x"}', 'application/json');
    expect(json.status).toBe(415);
    const noKey = await form('nope', '/fhir/Patient/_search', 'identifier=x');
    expect(noKey.status).toBe(401);
    expect((await form(a.apiKey, '/fhir/NotAType/_search', 'identifier=x')).status).toBe(404);
  });
});

describe('$validate', () => {
  const good = { resourceType: 'Observation', status: 'final', code: { text: 'mood' } };

  test('a valid resource: 200, all OK, and nothing is stored', async () => {
    const before = await bridge.database.db.query('SELECT count(*)::int AS n FROM resource');
    const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/$validate', good);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
    const after = await bridge.database.db.query('SELECT count(*)::int AS n FROM resource');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  test('an invalid one: 200 with the issues a write would be refused for, located', async () => {
    const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/$validate', { resourceType: 'Observation', status: 'sometimes', colour: 'red' });
    expect(res.status).toBe(200);
    const errors = res.body.issue.filter((i: any) => i.severity === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(errors)).toContain('Observation.status');
    expect(JSON.stringify(errors)).toContain('colour');
    const write = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation', { resourceType: 'Observation', status: 'sometimes', colour: 'red' });
    expect(write.status).toBe(400);
  });

  test('a Parameters with resource and mode; instance level is an update', async () => {
    const params = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: good },
        { name: 'mode', valueCode: 'update' },
      ],
    };
    const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/$validate', params);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body.issue)).toContain('Observation.id');
    const instance = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/abc/$validate', { ...good, id: 'abc' });
    expect(instance.body.issue[0]).toMatchObject({ severity: 'information' });
  });

  test.each([
    [{ resourceType: 'Patient' }, 400, 'not a Observation'],
    [
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'resource', resource: { resourceType: 'Observation' } },
          { name: 'profile', valueUri: 'http://x' },
        ],
      },
      400,
      'profile',
    ],
    [{ resourceType: 'Parameters', parameter: [] }, 400, 'exactly one resource'],
    ['[1,2]', 400, 'resource to validate'],
    ['{not json', 400, ''],
  ])('%j cannot be validated: %i', async (body, status, text) => {
    const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/$validate', body);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toContain(text);
  });

  test('mode delete is refused as not supported; a key is needed', async () => {
    const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation/$validate?mode=delete', good);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe('not-supported');
    expect((await api(bridge.url, 'nope', 'POST', '/fhir/Observation/$validate', good)).status).toBe(401);
  });
});

describe('$meta', () => {
  test("a resource's Meta as Parameters; another clinic's is 404 like any unknown id", async () => {
    const res = await api(bridge.url, a.apiKey, 'GET', `/fhir/Patient/${patientId}/$meta`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resourceType: 'Parameters',
      parameter: [{ name: 'return', valueMeta: { versionId: '1', tag: [{ code: 'vip' }] } }],
    });
    expect((await api(bridge.url, b.apiKey, 'GET', `/fhir/Patient/${patientId}/$meta`)).status).toBe(404);
    expect((await api(bridge.url, a.apiKey, 'GET', `/fhir/Patient/00000000-0000-4000-8000-000000000000/$meta`)).status).toBe(404);
  });
});

describe('total, _total and _summary=count (R4 search.html#total)', () => {
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const res = await api(bridge.url, a.apiKey, 'POST', '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: `count ${i}` } });
      expect(res.status).toBe(201);
    }
  });

  test('_summary=count: the number of matches and no entries; only what the reader may see is counted', async () => {
    const mine = await api(bridge.url, a.apiKey, 'GET', '/fhir/Observation?_summary=count');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3 });
    expect(mine.body.entry).toBeUndefined();
    const theirs = await api(bridge.url, b.apiKey, 'GET', '/fhir/Observation?_summary=count');
    expect(theirs.body.total).toBe(0);
    const posted = await form(a.apiKey, '/fhir/Observation/_search', '_summary=count');
    expect(posted.body.total).toBe(3);
  });

  test('_total=accurate on a page that is not the last; total known from the last page without asking', async () => {
    const first = await api(bridge.url, a.apiKey, 'GET', '/fhir/Observation?_count=2&_total=accurate');
    expect(first.body.total).toBe(3);
    expect(first.body.entry).toHaveLength(2);
    const unasked = await api(bridge.url, a.apiKey, 'GET', '/fhir/Observation?_count=2');
    expect(unasked.body.total).toBeUndefined(); // not known without counting
    const last = await api(bridge.url, a.apiKey, 'GET', '/fhir/Observation?_count=2&_offset=2');
    expect(last.body.total).toBe(3);
    const none = await api(bridge.url, b.apiKey, 'GET', '/fhir/Observation');
    expect(none.body.total).toBe(0);
    expect(none.body.entry).toBeUndefined();
  });

  test.each([
    ['_total=exact', 400, 'invalid'],
    ['_summary=bogus', 400, 'invalid'],
    ['_elements=Bad-Name', 400, 'invalid'],
    ['_summary=true&_elements=status', 400, 'invalid'],
  ])('%s is %i %s', async (q, status, code) => {
    const res = await api(bridge.url, a.apiKey, 'GET', `/fhir/Observation?${q}`);
    expect(res.status).toBe(status);
    expect(res.body.issue[0].code).toBe(code);
  });
});
