import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let a: string;
let b: string;
beforeAll(async () => {
  bridge = await startTestBridge({ maxBodyBytes: 200_000, maxEntries: 50 });
  a = (await bridge.clinic('Clinic A')).apiKey;
  b = (await bridge.clinic('Clinic B')).apiKey;
});
afterAll(async () => bridge?.close());

const q = async (sql: string, params: unknown[] = []): Promise<any[]> => (await bridge.database.db.query(sql, params)).rows;

test('batch entries are independent: one bad entry fails alone', async () => {
  const res = await api(bridge.url, a, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'batch-ok-1' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'batch-bad' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'batch-ok-2' } }, request: { method: 'POST', url: 'Observation' } },
      { request: { method: 'GET', url: 'Observation/00000000-0000-4000-8000-000000000000' } },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.type).toBe('batch-response');
  expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '400', '201 Created', '404']);
  expect(res.body.entry[1].response.outcome.issue[0].expression).toEqual(['Bundle.entry[1].resource.status']);
  expect(await q(`SELECT content->'code'->>'text' AS t FROM resource WHERE resource_type = 'Observation' ORDER BY 1`)).toEqual([
    { t: 'batch-ok-1' },
    { t: 'batch-ok-2' },
  ]);
});

describe('collection and document bundles', () => {
  const collection = (status: string) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        fullUrl: 'http://clinic-b.example/fhir/Patient/p1',
        resource: {
          resourceType: 'Patient',
          id: 'p1',
          identifier: [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-2222' }],
          name: [{ family: 'Rivera', given: ['Ana'] }],
          birthDate: '1980-04-12',
          gender: 'female',
        },
      },
      {
        fullUrl: 'http://clinic-b.example/fhir/Condition/c1',
        resource: {
          resourceType: 'Condition',
          id: 'c1',
          code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
          subject: { reference: 'Patient/p1' },
          verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: status }] },
        },
      },
    ],
  });

  test('are stored as received and their resources upserted by source id', async () => {
    const first = await api(bridge.url, b, 'POST', '/fhir', collection('provisional'));
    expect(first.status).toBe(200);
    expect(first.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const second = await api(bridge.url, b, 'POST', '/fhir', collection('confirmed'));
    expect(second.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '200 OK']);
    expect(second.body.entry[1].response.location).toBe(first.body.entry[1].response.location.replace('/_history/1', '/_history/2'));
    const condId = first.body.entry[1].response.location.split('/')[1];
    expect(await q('SELECT verification_status FROM condition WHERE resource_id = $1', [condId])).toEqual([{ verification_status: 'confirmed' }]);
    const cond = await api(bridge.url, b, 'GET', `/fhir/Condition/${condId}`);
    expect(cond.body.subject.reference).toBe(first.body.entry[0].response.location.split('/_history')[0]);
    const stored = await q(
      `SELECT bundle_type, entry_count, canonical FROM bundle JOIN clinic c ON c.id = bundle.clinic_id WHERE c.name = 'Clinic B' AND bundle_type = 'collection' ORDER BY received_at`,
    );
    expect(stored).toHaveLength(2);
    expect(JSON.parse(stored[0].canonical).entry[1].resource.subject.reference).toBe('Patient/p1');
  });

  /** B's record p1, as the first test above pushes it (a replay when it did). Tests needing it stand alone. */
  const bHoldsP1 = async (): Promise<void> => expect((await api(bridge.url, b, 'POST', '/fhir', collection('provisional'))).status).toBe(200);

  test('the same source id from two clinics is two records', async () => {
    await bHoldsP1();
    const res = await api(bridge.url, a, 'POST', '/fhir', collection('provisional'));
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
    expect(await q(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient' AND source_id = 'p1'`)).toEqual([{ n: 2 }]);
  });

  test('patients from two clinics sharing a national identifier are one person', async () => {
    await bHoldsP1();
    await api(bridge.url, a, 'POST', '/fhir', collection('provisional'));
    expect(await q(`SELECT count(*)::int AS n FROM patient WHERE family = 'Rivera'`)).toEqual([{ n: 2 }]);
    const persons = await q(`SELECT count(DISTINCT person_id)::int AS n FROM patient WHERE family = 'Rivera'`);
    expect(persons).toEqual([{ n: 1 }]);
  });

  test('a document must start with a Composition', async () => {
    const res = await api(bridge.url, b, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'document',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:5c1a1e62-2d7c-4e6c-9a1e-3b1b0f5c0001' },
      timestamp: '2024-01-01T00:00:00Z',
      entry: [{ resource: { resourceType: 'Patient' } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/Composition/);
  });
});

describe('client mistakes get a clear OperationOutcome, never a 5xx', () => {
  test.each([
    ['no key', undefined, 401],
    ['a wrong key', 'fab_not-a-key', 401],
  ])('%s → %s', async (_name, key, status) => {
    const res = await fetch(`${bridge.url}/fhir/Patient`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  test('malformed JSON → 400', async () => {
    const res = await api(bridge.url, a, 'POST', '/fhir', '{"resourceType": "Bundle", ');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not valid JSON/);
  });

  test('wrong content type → 415', async () => {
    const res = await api(bridge.url, a, 'POST', '/fhir', undefined, { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
  });

  test('a non-Bundle → 400', async () => {
    const res = await api(bridge.url, a, 'POST', '/fhir', { resourceType: 'Patient' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/expected a Bundle/);
  });

  test('JSON that is not an object → 400', async () => {
    expect((await api(bridge.url, a, 'POST', '/fhir', '[1,2]')).status).toBe(400);
    expect((await api(bridge.url, a, 'POST', '/fhir', 'null')).status).toBe(400);
  });

  test('unknown Bundle.type and unpushable types → 400', async () => {
    expect((await api(bridge.url, a, 'POST', '/fhir', { resourceType: 'Bundle', type: 'shopping' })).status).toBe(400);
    const res = await api(bridge.url, a, 'POST', '/fhir', { resourceType: 'Bundle', type: 'searchset' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/cannot be pushed/);
  });

  test('oversized body → 413, too many entries → 413', async () => {
    const big = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Basic', code: { text: 'x'.repeat(300_000) } } }] };
    expect((await api(bridge.url, a, 'POST', '/fhir', big)).status).toBe(413);
    const many = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: Array.from({ length: 51 }, () => ({ resource: { resourceType: 'Basic', code: { text: 'x' } } })),
    };
    expect((await api(bridge.url, a, 'POST', '/fhir', many)).status).toBe(413);
  });

  test('transaction entry without request, bad method, mismatched type, bad gender → 400 naming each', async () => {
    const res = await api(bridge.url, a, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(400);
    const where = res.body.issue.flatMap((i: any) => i.expression ?? []);
    expect(where).toEqual(expect.arrayContaining(['Bundle.entry[0].request', 'Bundle.entry[1].request.url', 'Bundle.entry[2].resource.gender']));
  });

  test('unknown resource type and unknown id → 404; unknown search parameter → 400', async () => {
    expect((await api(bridge.url, a, 'GET', '/fhir/Spaceship/1')).status).toBe(404);
    expect((await api(bridge.url, a, 'GET', '/fhir/Patient/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const res = await api(bridge.url, a, 'GET', '/fhir/Patient?eye-color=blue');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not supported/);
  });

  test("a clinic cannot read another clinic's patient records without consent (404 as for an unknown id, see test/integration/access)", async () => {
    expect(
      (
        await api(bridge.url, b, 'POST', '/fhir', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ resource: { resourceType: 'Patient', id: 'b-own', gender: 'male' }, request: { method: 'PUT', url: 'Patient/b-own' } }],
        })
      ).status,
    ).toBe(200);
    const [row] = await q(`SELECT r.id FROM resource r JOIN clinic c ON c.id = r.clinic_id WHERE c.name = 'Clinic B' AND resource_type = 'Patient'`);
    expect((await api(bridge.url, b, 'GET', `/fhir/Patient/${row.id}`)).status).toBe(200);
    const refused = await api(bridge.url, a, 'GET', `/fhir/Patient/${row.id}`);
    expect(refused.status).toBe(404);
    expect(refused.body.issue[0].diagnostics).toBe(`Patient/${row.id} is not known`);
  });
});

describe('admin', () => {
  test('creates clinics with the admin token only; the key is stored as a hash', async () => {
    expect(
      (
        await fetch(`${bridge.url}/admin/clinics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
          body: '{"name":"X"}',
        })
      ).status,
    ).toBe(401);
    const bad = await fetch(`${bridge.url}/admin/clinics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.adminToken}` },
      body: '{}',
    });
    expect(bad.status).toBe(400);
    const res = await fetch(`${bridge.url}/admin/clinics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.adminToken}` },
      body: '{"name":"Clinic C"}',
    });
    expect(res.status).toBe(201);
    const clinic = (await res.json()) as { id: string; name: string; apiKey: string; keyId: string };
    expect(clinic).toEqual({ id: expect.any(String), name: 'Clinic C', apiKey: expect.stringMatching(/^fab_/), keyId: expect.any(String) });
    const stored = await q('SELECT key_hash FROM clinic_key WHERE clinic_id = $1', [clinic.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0].key_hash.toString('hex')).not.toContain(Buffer.from(clinic.apiKey).toString('hex'));
    expect((await api(bridge.url, clinic.apiKey, 'GET', '/fhir/Patient')).status).toBe(200);
  });
});
