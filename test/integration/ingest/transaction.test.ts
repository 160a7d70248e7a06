import { startTestBridge, TestBridge } from '../../helpers/server';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { bundleHash } from '../../../bridge/fhir/hash';

let bridge: TestBridge;
let key: string;
let clinicId: string;
/** The first push of the fixture (before any test, so each test stands alone): its answer and X-Bundle-Hash. */
let first: { status: number; body: any; headers: Headers };
beforeAll(async () => {
  bridge = await startTestBridge();
  const clinic = await bridge.clinic('Clinic A');
  key = clinic.apiKey;
  clinicId = clinic.id;
  first = await api(bridge.url, key, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
});
afterAll(async () => bridge?.close());

const count = async (table: string): Promise<number> => (await bridge.database.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

describe('transaction bundles', () => {
  let response: any;
  let hash: string;
  beforeAll(() => {
    response = first.body;
    hash = first.headers.get('x-bundle-hash') as string;
  });

  test('are stored atomically and answered with a transaction-response', async () => {
    const bundle = fixtureBundle('transaction-patient-encounter.json');
    const res = first;
    expect(res.status).toBe(200);
    expect(hash).toBe(bundleHash(bundle as any));
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(response.type).toBe('transaction-response');
    expect(response.entry).toHaveLength(5);
    for (const e of response.entry) {
      expect(e.response.status).toBe('201 Created');
      expect(e.response.location).toMatch(/^[A-Za-z]+\/[0-9a-f-]{36}\/_history\/1$/);
      expect(e.response.etag).toBe('W/"1"');
    }
  });

  test('urn:uuid references are rewritten to bridge ids', async () => {
    const [patientLoc, orgLoc, encLoc, obsLoc] = response.entry.map((e: any) => e.response.location.split('/_history')[0]);
    const enc = await api(bridge.url, key, 'GET', `/fhir/${encLoc}`);
    expect(enc.status).toBe(200);
    expect(enc.body.subject.reference).toBe(patientLoc);
    expect(enc.body.serviceProvider.reference).toBe(orgLoc);
    expect(enc.headers.get('etag')).toBe('W/"1"');
    const obs = await api(bridge.url, key, 'GET', `/fhir/${obsLoc}`);
    expect(obs.body.encounter.reference).toBe(encLoc);
    expect(obs.body.meta.versionId).toBe('1');
  });

  test('records the clinic and normalizes into the universal schema', async () => {
    const obsId = response.entry[3].response.location.split('/')[1];
    const row = (
      await bridge.database.db.query(
        'SELECT clinic_id, code_system, code, value_num, value_unit, value_orig, unit_orig, start_time FROM observation WHERE resource_id = $1',
        [obsId],
      )
    ).rows[0];
    expect(row.clinic_id).toBe(clinicId);
    expect(row.code_system).toBe('http://loinc.org');
    expect(row.code).toBe('29463-7');
    expect(Number(row.value_orig)).toBe(154);
    expect(row.unit_orig).toBe('[lb_av]');
    expect(row.value_unit).toMatch(/^k?g$/);
    expect(row.value_unit === 'g' ? row.value_num / 1000 : row.value_num).toBeCloseTo(69.853, 2);
    expect(row.start_time).toBe('2024-03-01T08:10:00.000Z');
    const resources = (await bridge.database.db.query('SELECT DISTINCT clinic_id FROM resource')).rows;
    expect(resources).toEqual([{ clinic_id: clinicId }]);
    const patientId = response.entry[0].response.location.split('/')[1];
    const patient = (await bridge.database.db.query('SELECT family, given, birth_date, gender, person_id FROM patient WHERE id = $1', [patientId])).rows;
    expect(patient).toHaveLength(1);
    expect(patient[0]).toMatchObject({ family: 'Rivera', birth_date: '1980-04-12', gender: 'female' });
  });

  test('the same bundle pushed again stores nothing new and returns the first outcome', async () => {
    const before = await count('resource');
    const res = await api(bridge.url, key, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-bundle-hash')).toBe(hash);
    expect(res.headers.get('x-bundle-replayed')).toBe('true');
    expect(res.body).toEqual(response);
    expect(await count('resource')).toBe(before);
    expect((await bridge.database.db.query('SELECT count(*)::int AS n FROM bundle WHERE hash = $1', [Buffer.from(hash.slice(2), 'hex')])).rows[0].n).toBe(1);
  });

  test('conditional create matches the existing patient and the shared organization is stored once', async () => {
    const bundle = fixtureBundle('transaction-patient-encounter.json');
    (bundle.entry![4].resource as any).onsetDateTime = '2019-07'; // different bytes, same patient and organization
    const res = await api(bridge.url, key, 'POST', '/fhir', bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    expect(res.body.entry[0].response.location).toBe(response.entry[0].response.location);
    expect(res.body.entry[1].response.status).toBe('200 OK');
    expect(res.body.entry[1].response.location).toBe(response.entry[1].response.location);
    // One Organization in the file's database (every push names the same one), one Patient A-1001.
    expect((await bridge.database.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Organization'")).rows[0].n).toBe(1);
    expect(
      (
        await bridge.database.db.query(
          `SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient' AND content->'identifier' @> '[{"value": "A-1001"}]'`,
        )
      ).rows[0].n,
    ).toBe(1);
    const enc = await api(bridge.url, key, 'GET', `/fhir/${res.body.entry[2].response.location.split('/_history')[0]}`);
    expect(enc.body.subject.reference).toBe(response.entry[0].response.location.split('/_history')[0]);
  });

  test('one invalid entry rejects the whole transaction with 400 and leaves nothing behind', async () => {
    const before = { resource: await count('resource'), bundle: await count('bundle'), observation: await count('observation') };
    const bundle = fixtureBundle('transaction-patient-encounter.json');
    (bundle.entry![0].resource as any).identifier[0].value = 'A-2002';
    (bundle.entry![3].resource as any).effectiveDateTime = 'yesterday';
    (bundle.entry![2].resource as any).status = 'done';
    const res = await api(bridge.url, key, 'POST', '/fhir', bundle);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const expressions = res.body.issue.flatMap((i: any) => i.expression ?? []);
    expect(expressions).toEqual(expect.arrayContaining(['Bundle.entry[3].resource.effective[x]', 'Bundle.entry[2].resource.status']));
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts|SELECT|INSERT/);
    expect({ resource: await count('resource'), bundle: await count('bundle'), observation: await count('observation') }).toEqual(before);
  });

  test('a conditional reference that matches nothing fails the transaction and leaves nothing behind', async () => {
    const before = await count('resource');
    const res = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            subject: { reference: 'Patient?identifier=http://clinic-a.example/mrn|A-1001' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'y' },
            performer: [{ reference: 'Organization?identifier=http://nowhere|0' }],
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(res.status).toBe(404);
    expect(res.body.issue[0].diagnostics).toMatch(/Organization\?identifier=http:\/\/nowhere\|0 matches no resource/);
    expect(await count('resource')).toBe(before);
  });

  test('conditional references and PUT by source id resolve to the stored resources', async () => {
    const patientRef = response.entry[0].response.location.split('/_history')[0];
    const res = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            id: 'obs-1',
            status: 'final',
            code: { text: 'mood' },
            subject: { reference: 'Patient?identifier=http://clinic-a.example/mrn|A-1001' },
          },
          request: { method: 'PUT', url: 'Observation/obs-1' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('201 Created');
    const loc = res.body.entry[0].response.location.split('/_history')[0];
    expect((await api(bridge.url, key, 'GET', `/fhir/${loc}`)).body.subject.reference).toBe(patientRef);
    const again = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Observation', id: 'obs-1', status: 'amended', code: { text: 'mood' }, subject: { reference: patientRef } },
          request: { method: 'PUT', url: 'Observation/obs-1' },
        },
      ],
    });
    expect(again.body.entry[0].response.status).toBe('200 OK');
    expect(again.body.entry[0].response.location).toBe(`${loc}/_history/2`);
    const history = await api(bridge.url, key, 'GET', `/fhir/${loc}/_history`);
    expect(history.body.type).toBe('history');
    expect(history.body.entry.map((e: any) => e.resource.status)).toEqual(['amended', 'final']);
    expect((await api(bridge.url, key, 'GET', `/fhir/${loc}/_history/1`)).body.status).toBe('final');
    const rows = (await bridge.database.db.query('SELECT status FROM observation WHERE resource_id = $1', [loc.split('/')[1]])).rows;
    expect(rows).toEqual([{ status: 'amended' }]);
  });

  test('conditional update creates once, then updates the match', async () => {
    const put = (family: string) =>
      api(bridge.url, key, 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', identifier: [{ system: 'http://clinic-a.example/mrn', value: 'A-3003' }], name: [{ family }] },
            request: { method: 'PUT', url: 'Patient?identifier=http://clinic-a.example/mrn|A-3003' },
          },
        ],
      });
    const first = await put('Okafor');
    expect(first.body.entry[0].response.status).toBe('201 Created');
    const second = await put('Okafor-Smith');
    expect(second.body.entry[0].response.status).toBe('200 OK');
    expect(second.body.entry[0].response.location.split('/_history')[0]).toBe(first.body.entry[0].response.location.split('/_history')[0]);
    expect((await bridge.database.db.query("SELECT family FROM patient WHERE family LIKE 'Okafor%'")).rows).toEqual([{ family: 'Okafor-Smith' }]);
  });

  test('DELETE removes a resource from reads and the universal schema', async () => {
    const made = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Observation', id: 'obs-del', status: 'final', code: { text: 'to delete' } },
          request: { method: 'PUT', url: 'Observation/obs-del' },
        },
      ],
    });
    expect(made.status).toBe(200);
    expect(
      (
        await bridge.database.db.query('SELECT count(*)::int AS n FROM observation WHERE resource_id = $1', [
          made.body.entry[0].response.location.split('/')[1],
        ])
      ).rows[0].n,
    ).toBe(1);
    const res = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: 'Observation/obs-del' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('204 No Content');
    const id = res.body.entry[0].response.location.split('/')[1];
    expect((await api(bridge.url, key, 'GET', `/fhir/Observation/${id}`)).status).toBe(410);
    expect((await bridge.database.db.query('SELECT count(*)::int AS n FROM observation WHERE resource_id = $1', [id])).rows[0].n).toBe(0);
  });
});

describe('concurrency', () => {
  test('concurrent identical conditional creates make exactly one resource', async () => {
    const make = (n: number) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:00000000-0000-4000-8000-00000000000a',
          resource: { resourceType: 'Patient', identifier: [{ system: 'http://clinic-a.example/mrn', value: 'RACE-1' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=http://clinic-a.example/mrn|RACE-1' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: `n${n}` },
            subject: { reference: 'urn:uuid:00000000-0000-4000-8000-00000000000a' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => api(bridge.url, key, 'POST', '/fhir', make(n))));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const locations = new Set(results.map((r) => r.body.entry[0].response.location.split('/_history')[0]));
    expect(locations.size).toBe(1);
    expect(results.filter((r) => r.body.entry[0].response.status === '201 Created')).toHaveLength(1);
    const n = (await bridge.database.db.query(`SELECT count(*)::int AS n FROM resource WHERE search_keys @> ARRAY['identifier=RACE-1']`)).rows[0].n;
    expect(n).toBe(1);
  });

  test('the same bundle pushed concurrently is stored once', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'concurrent-same' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => api(bridge.url, key, 'POST', '/fhir', bundle)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(
      (await bridge.database.db.query(`SELECT count(*)::int AS n FROM observation WHERE text = 'concurrent-same' OR code_display = 'concurrent-same'`)).rows[0]
        .n,
    ).toBe(1);
    expect((await bridge.database.db.query(`SELECT count(*)::int AS n FROM resource WHERE content->'code'->>'text' = 'concurrent-same'`)).rows[0].n).toBe(1);
  });
});

describe('audit of pushes', () => {
  test('each push is recorded with the patient records, person and resource types it touched; a refused push as an error', async () => {
    const rows = async (): Promise<any[]> =>
      (await bridge.database.db.query(`SELECT outcome, person_id, patient_ids, resource_types, detail FROM audit_event WHERE action = 'push' ORDER BY seq`))
        .rows;
    const before = (await rows()).length;
    const bundle = fixtureBundle('transaction-patient-encounter.json');
    (bundle.entry![0].resource as any).identifier[0].value = 'AUDIT-1';
    (bundle.entry![0].request as any).ifNoneExist = 'identifier=http://clinic-a.example/mrn|AUDIT-1';
    const ok = await api(bridge.url, key, 'POST', '/fhir', bundle);
    const patientId = ok.body.entry[0].response.location.split('/')[1];
    const bad = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } }],
    });
    expect(bad.status).toBe(400);
    const added = (await rows()).slice(before);
    expect(added).toHaveLength(2);
    const person = (await bridge.database.db.query('SELECT person_id FROM patient WHERE id = $1', [patientId])).rows[0].person_id;
    expect(added[0]).toMatchObject({ outcome: 'success', person_id: person, patient_ids: [patientId], detail: `bundle ${ok.headers.get('x-bundle-hash')}` });
    // The Organization was matched (stored by an earlier push), not written by this one.
    expect(added[0].resource_types.sort()).toEqual(['Condition', 'Encounter', 'Observation', 'Patient']);
    expect(added[1]).toMatchObject({ outcome: 'error', patient_ids: [], detail: 'status 400' });
  });
});
