/**
 * Conditional creates, updates and references match on what their criteria mean (FHIR R4 token search), and
 * concurrent ones that could match the same resource serialize, on one bridge or on two sharing a database.
 */
import { api } from '../../helpers/fixtures';
import { startSecondBridge } from '../../helpers/second-bridge';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
/** A second bridge process's worth of app, pool and ingest pool on the same database. */
let second: { url: string; close(): Promise<void> };
let key: string;

beforeAll(async () => {
  bridge = await startTestBridge();
  second = await startSecondBridge(bridge.database);
  key = (await bridge.clinic('Clinic A')).apiKey;
});
afterAll(async () => {
  await second?.close();
  await bridge?.close();
});

const SYS = 'urn:x';
const patient = (value: string, extra: object = {}) => ({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });
const createWith = (url: string, criteria: string, value: string) =>
  api(url, key, 'POST', '/fhir/Patient', patient(value), { 'content-type': 'application/fhir+json', 'if-none-exist': criteria });
const txCreate = (url: string, criteria: string, value: string) =>
  api(url, key, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
        resource: patient(value),
        request: { method: 'POST', url: 'Patient', ifNoneExist: criteria },
      },
    ],
  });
const condUpdate = (url: string, criteria: string, value: string) =>
  api(url, key, 'PUT', `/fhir/Patient?${criteria}`, patient(value, { active: true }), { 'content-type': 'application/fhir+json' });
const patientsWith = async (value: string): Promise<number> =>
  (
    await bridge.database.db.query(
      `SELECT count(*)::int AS n FROM resource r
     WHERE r.resource_type = 'Patient' AND NOT r.deleted AND r.search_keys @> ARRAY['identifier=' || $1]`,
      [value],
    )
  ).rows[0].n;

describe('concurrent conditional writes with equivalent or overlapping criteria, on two bridges over one database', () => {
  const ROUNDS = 8;
  test(`make exactly one Patient per identifier, round after round (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const v = `R${round}+v`; // a plus in the value: written %2B in a query string, where a bare + is a space
      const enc = encodeURIComponent(v);
      const writers = [
        () => createWith(bridge.url, `identifier=${SYS}|${enc}`, v),
        () => createWith(second.url, `identifier=${enc}`, v),
        () => createWith(second.url, `identifier=${encodeURIComponent(`${SYS}|${v}`)}`, v),
        () => txCreate(bridge.url, `identifier=${enc}&identifier=${SYS}|${enc}`, v),
        () => txCreate(second.url, `identifier=${SYS}|${enc}&identifier=${enc}`, v),
        () => condUpdate(bridge.url, `identifier=${enc}`, v),
        () => condUpdate(second.url, `identifier=${SYS}%7C${enc}`, v),
      ];
      const results = await Promise.all(writers.map((w) => w()));
      expect(results.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      expect(await patientsWith(v)).toBe(1);
      const created = results.filter((r) => r.status === 201 || r.body?.entry?.[0]?.response?.status === '201 Created');
      expect(created).toHaveLength(1);
    }
    // After all that, a conditional update still finds exactly one match (no 412), a conditional create still matches.
    const after = await condUpdate(bridge.url, `identifier=${SYS}|${encodeURIComponent('R0+v')}`, 'R0+v');
    expect(after.status).toBe(200);
    expect((await createWith(second.url, `identifier=${encodeURIComponent('R0+v')}`, 'R0+v')).status).toBe(200);
  });
});

describe('criteria mean what FHIR token search means', () => {
  beforeAll(async () => {
    for (const body of [
      { resourceType: 'Patient', identifier: [{ value: 'NOSYS-1' }] },
      { resourceType: 'Patient', identifier: [{ system: 'urn:other', value: 'NOSYS-1' }] },
      { resourceType: 'Patient', identifier: [{ system: 'urn:only', value: 'ONLY-1' }] },
    ])
      expect((await api(bridge.url, key, 'POST', '/fhir/Patient', body)).status).toBe(201);
  });

  test('identifier=|v matches only an identifier without a system', async () => {
    const res = await api(
      bridge.url,
      key,
      'POST',
      '/fhir/Patient',
      { resourceType: 'Patient', identifier: [{ value: 'NOSYS-1' }] },
      { 'if-none-exist': 'identifier=|NOSYS-1' },
    );
    expect(res.status).toBe(200);
    expect(res.body.identifier).toEqual([{ value: 'NOSYS-1' }]);
    // `NOSYS-1` alone (any system) matches both: a conditional update refuses with 412, never picks one.
    expect((await condUpdate(bridge.url, 'identifier=NOSYS-1', 'NOSYS-1')).status).toBe(412);
    const search = await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=%7CNOSYS-1');
    expect(search.body.entry.map((e: any) => e.resource.identifier)).toEqual([[{ value: 'NOSYS-1' }]]);
  });

  test('identifier=system| matches any value of that system', async () => {
    const res = await api(bridge.url, key, 'POST', '/fhir/Patient', patient('ONLY-2'), { 'if-none-exist': 'identifier=urn:only|' });
    expect(res.status).toBe(200);
    expect(res.body.identifier).toEqual([{ system: 'urn:only', value: 'ONLY-1' }]);
    const search = await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=urn:only|');
    expect(search.body.entry).toHaveLength(1);
  });

  test('_id criteria match by bridge id and by the id the clinic chose, with no server error', async () => {
    const created = await api(bridge.url, key, 'POST', '/fhir/Patient', patient('ID-1'));
    const id = created.body.id;
    const again = await api(bridge.url, key, 'POST', '/fhir/Patient', patient('ID-1'), { 'if-none-exist': `_id=${id}` });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    const put = await api(bridge.url, key, 'PUT', `/fhir/Patient?_id=${id}`, { ...patient('ID-1'), active: false });
    expect(put.status).toBe(200);
    const ref = await api(bridge.url, key, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?_id=${id}` } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(ref.status).toBe(200);
    expect((await api(bridge.url, key, 'POST', '/fhir/Patient', patient('ID-2'), { 'if-none-exist': '_id=not-a-uuid' })).status).toBe(201);
  });

  test('a criteria value naming nothing (`|`) is a 400 OperationOutcome', async () => {
    const res = await api(bridge.url, key, 'POST', '/fhir/Patient', patient('X'), { 'if-none-exist': 'identifier=|' });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=|')).status).toBe(400);
  });
});

describe('token search', () => {
  test('code=system| matches every code of that system, and only of it', async () => {
    const obs = (system: string, code: string) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system, code }] } });
    for (const o of [obs('http://loinc.org', '2339-0'), obs('http://loinc.org', '8867-4'), obs('http://snomed.info/sct', '2339-0')]) {
      expect((await api(bridge.url, key, 'POST', '/fhir/Observation', o)).status).toBe(201);
    }
    const codes = async (q: string): Promise<string[]> =>
      ((await api(bridge.url, key, 'GET', `/fhir/Observation?${q}`)).body.entry ?? [])
        .map((e: any) => `${e.resource.code.coding[0].system}|${e.resource.code.coding[0].code}`)
        .sort();
    expect(await codes('code=http://loinc.org|')).toEqual(['http://loinc.org|2339-0', 'http://loinc.org|8867-4']);
    // The OID of LOINC means the same system.
    expect(await codes('code=urn:oid:2.16.840.1.113883.6.1|')).toEqual(['http://loinc.org|2339-0', 'http://loinc.org|8867-4']);
    expect(await codes('code=2339-0')).toEqual(['http://loinc.org|2339-0', 'http://snomed.info/sct|2339-0']);
    expect(await codes('code=|2339-0')).toEqual([]);
  });
});
