import fs from 'node:fs';
import { resolveMatchHandle } from '../../../bridge/store/match-handles';
import { MATCH_GRADE_URL } from '../../../bridge/fhir/match-bundle';
import { api } from '../../helpers/fixtures';
import { located } from '../../helpers/people';
import { sampleFiles, testWithSamples } from '../../helpers/samples';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Patient/$match over HTTP (IHE PDQm ITI-119). Clinic A (Berlin) holds a German traveller with her passport; clinic B
 * holds another record of her (same passport: one person) and an unrelated patient; clinic C in Lisbon has pushed
 * nothing and finds her without seeing anything of A's or B's.
 */
let bridge: TestBridge;
type Clinic = { id: string; apiKey: string };
let A: Clinic, B: Clinic, C: Clinic;
let pa: string, pb: string, other: string, cousin: string;
const LIMIT = 25;
const PASSPORT = { system: 'http://hl7.org/fhir/sid/passport-DEU', value: 'C01X00T47' };

const anna = {
  resourceType: 'Patient',
  id: 'a-17',
  identifier: [PASSPORT, { system: 'urn:example:charite-mrn', value: 'MRN-4711' }],
  name: [{ use: 'official', family: 'Schmidt', given: ['Anna', 'Lena'] }],
  birthDate: '1985-03-14',
  gender: 'female',
  address: [{ line: ['Invalidenstraße 1'], city: 'Berlin', postalCode: '10115', country: 'DE' }],
  telecom: [
    { system: 'phone', value: '+49 30 1234567' },
    { system: 'email', value: 'anna.schmidt@example.de' },
  ],
};
const tx = (...resources: Record<string, unknown>[]) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
});
const observation = {
  resourceType: 'Observation',
  id: 'o-1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/a-17' },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
};
const params = (patient: Record<string, unknown>, extra: Record<string, unknown>[] = []) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'resource', resource: { resourceType: 'Patient', ...patient } }, ...extra],
});
const match = (c: Clinic, body: unknown, headers: Record<string, string> = {}) => api(bridge.url, c.apiKey, 'POST', '/fhir/Patient/$match', body, headers);
const grade = (e: any): string => e.search.extension.find((x: any) => x.url === MATCH_GRADE_URL).valueCode;
const handleOf = (e: any): string => e.resource.id;
const byDemographics = { name: [{ family: 'Schmidt', given: ['Anna'] }], birthDate: '1985-03-14', gender: 'female' };

beforeAll(async () => {
  bridge = await startTestBridge({ matchLimit: LIMIT });
  [A, B, C] = [await bridge.clinic('Charité Berlin'), await bridge.clinic('Hausarzt Hamburg'), await bridge.clinic('Clínica Lisboa')];
  const a = await api(bridge.url, A.apiKey, 'POST', '/fhir', tx(anna, observation));
  expect(a.status).toBe(200);
  pa = located(a.body, 0).slice(8);
  const b = await api(
    bridge.url,
    B.apiKey,
    'POST',
    '/fhir',
    tx(
      {
        resourceType: 'Patient',
        id: 'hh-9',
        identifier: [PASSPORT],
        name: [{ family: 'Schmidt', given: ['Anna'] }],
        birthDate: '1985-03-14',
        gender: 'female',
      },
      { resourceType: 'Patient', id: 'hh-10', name: [{ family: 'Silva', given: ['Paulo'] }], birthDate: '1985-03-14', gender: 'male' },
      // Same name, a day apart: another woman, a weaker (possible) candidate.
      { resourceType: 'Patient', id: 'hh-11', name: [{ family: 'Schmidt', given: ['Anna'] }], birthDate: '1985-03-15', gender: 'female' },
    ),
  );
  expect(b.status).toBe(200);
  [pb, other, cousin] = [0, 1, 2].map((i) => located(b.body, i).slice(8));
});
afterAll(async () => bridge?.close());

test('C finds her as certain by passport; the answer is a PDQm searchset of handles with nothing of A or B', async () => {
  const res = await match(C, params({ identifier: [PASSPORT] }));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
  const [e] = res.body.entry;
  expect(e.search).toMatchObject({ mode: 'match', score: 1 });
  expect(grade(e)).toBe('certain');
  expect(handleOf(e)).toMatch(/^m[0-9a-f]{32}$/);
  expect(e.fullUrl).toBe(`${bridge.url}/fhir/Patient/${handleOf(e)}`);
  expect(e.resource).toEqual({ resourceType: 'Patient', id: handleOf(e), identifier: [PASSPORT] });
  const text = JSON.stringify(res.body);
  for (const secret of [
    pa,
    pb,
    A.id,
    B.id,
    'Charité',
    'Hausarzt',
    'a-17',
    'hh-9',
    'MRN-4711',
    'Schmidt',
    'Berlin',
    '1234567',
    '1985-03-14',
    'Observation',
    '"meta"',
    '"source"',
  ]) {
    expect(text).not.toContain(secret);
  }
  const personIds = (await bridge.database.db.query('SELECT person_id FROM patient')).rows.map((r) => r.person_id);
  for (const id of personIds) expect(text).not.toContain(id);
});

test('records of one person across clinics are one candidate; the handle names them, for C only', async () => {
  const res = await match(C, params({ identifier: [PASSPORT] }));
  const handle = handleOf(res.body.entry[0]);
  const mine = await resolveMatchHandle(bridge.database.db, C.id, handle);
  expect(mine?.patientIds.sort()).toEqual([pa, pb].sort());
  expect(mine?.grade).toBe('certain');
  expect(await resolveMatchHandle(bridge.database.db, A.id, handle)).toBeNull();
  expect(await resolveMatchHandle(bridge.database.db, C.id, 'm0123456789abcdef0123456789abcdef')).toBeNull();
  // A handle is no key to the records: reading it as a Patient id finds nothing.
  const read = await api(bridge.url, C.apiKey, 'GET', `/fhir/Patient/${handle}`);
  expect(read.status).toBe(404);
  expect(JSON.stringify(read.body)).not.toContain('Schmidt');
  const expiry = (await bridge.database.db.query('SELECT expires_at - created_at AS ttl FROM match_handle WHERE handle = $1', [handle])).rows[0].ttl;
  expect(expiry.days).toBe(7);
});

test('without the passport, name + birth date + gender find her as probable, echoing only what C sent', async () => {
  const res = await match(C, params(byDemographics));
  expect(res.status).toBe(200);
  const [first, second, ...rest] = res.body.entry;
  expect(rest).toHaveLength(0);
  expect(grade(first)).toBe('probable');
  expect(first.search.score).toBeGreaterThan(0.98);
  expect(first.search.score).toBeLessThan(1);
  expect(first.resource).toEqual({ resourceType: 'Patient', id: handleOf(first), ...byDemographics });
  expect((await resolveMatchHandle(bridge.database.db, C.id, handleOf(first)))?.patientIds.sort()).toEqual([pa, pb].sort());
  // The woman born a day later is a weaker candidate; Paulo Silva, same birth date, is none.
  expect(grade(second)).toBe('possible');
  expect(second.search.score).toBeLessThan(first.search.score);
  expect((await resolveMatchHandle(bridge.database.db, C.id, handleOf(second)))?.patientIds).toEqual([cousin]);
  expect(JSON.stringify(res.body)).not.toContain(other);
  expect(JSON.stringify(second.resource)).not.toContain('1985-03-14');
});

test('a misspelt family name still matches, with a lower score; contact details add evidence and are echoed as sent', async () => {
  const exact = (await match(C, params(byDemographics))).body.entry[0].search.score;
  const typo = await match(C, params({ ...byDemographics, name: [{ family: 'Schmitd', given: ['Anna'] }] }));
  expect(typo.status).toBe(200);
  const e = typo.body.entry[0];
  expect(['probable', 'possible']).toContain(grade(e));
  expect(e.search.score).toBeLessThan(exact);
  expect((await resolveMatchHandle(bridge.database.db, C.id, handleOf(e)))?.patientIds.sort()).toEqual([pa, pb].sort());

  const byPhone = await match(
    C,
    params({ name: [{ family: 'Schmitt' }], telecom: [{ system: 'phone', value: '0049 (30) 123 4567' }], address: [{ postalCode: '10 115' }] }),
  );
  expect(byPhone.status).toBe(200);
  expect(byPhone.body.entry).toHaveLength(1);
  expect(byPhone.body.entry[0].resource).toMatchObject({ telecom: [{ system: 'phone', value: '0049 (30) 123 4567' }], address: [{ postalCode: '10 115' }] });
});

test('a wrong birth year is found only through contact data, which the name alone cannot make up for', async () => {
  const wrongYear = { name: [{ family: 'Schmidt', given: ['Anna'] }], birthDate: '1986-03-14', gender: 'female' };
  expect((await match(C, params(wrongYear))).body.entry).toEqual([]);
  const withContact = await match(
    C,
    params({ ...wrongYear, telecom: [{ system: 'email', value: 'ANNA.SCHMIDT@example.de' }], address: [{ postalCode: '10115' }] }),
  );
  expect(withContact.body.entry).toHaveLength(1);
  expect((await resolveMatchHandle(bridge.database.db, C.id, handleOf(withContact.body.entry[0])))?.patientIds.sort()).toEqual([pa, pb].sort());
  expect(withContact.body.entry[0].resource.birthDate).toBeUndefined();
});

test('onlyCertainMatches returns only a certain match; count caps the answer, best first', async () => {
  const only = [{ name: 'onlyCertainMatches', valueBoolean: true }];
  expect((await match(C, params(byDemographics, only))).body.entry).toEqual([]);
  const certain = await match(C, params({ ...byDemographics, identifier: [PASSPORT] }, only));
  expect(certain.body.entry.map(grade)).toEqual(['certain']);
  const one = await match(C, params(byDemographics, [{ name: 'count', valueInteger: 1 }]));
  expect(one.body.entry).toHaveLength(1);
  expect(grade(one.body.entry[0])).toBe('probable');
});

test('a clinic that holds a record of the person sees its own record id in link, and no other', async () => {
  const res = await match(A, params({ identifier: [PASSPORT] }));
  expect(res.body.entry[0].resource.link).toEqual([{ other: { reference: `Patient/${pa}` }, type: 'seealso' }]);
  expect(JSON.stringify(res.body)).not.toContain(pb);
});

test('every $match is audited without the demographics; the home clinics see their patient was matched', async () => {
  const before = (await bridge.database.db.query("SELECT count(*)::int AS n FROM audit_event WHERE clinic_id = $1 AND action = 'match'", [C.id])).rows[0].n;
  await match(C, params(byDemographics, [{ name: 'count', valueInteger: 1 }]));
  const rows = (
    await bridge.database.db.query(
      "SELECT outcome, patient_ids::text[] AS ids, detail FROM audit_event WHERE clinic_id = $1 AND action = 'match' ORDER BY seq",
      [C.id],
    )
  ).rows;
  expect(rows).toHaveLength(before + 1);
  const last = rows[rows.length - 1];
  expect(last.outcome).toBe('success');
  expect(last.ids.sort()).toEqual([pa, pb].sort());
  expect(last.detail).toMatch(/1 candidate/);
  for (const r of rows) expect(`${r.detail}`).not.toMatch(/Schmidt|Anna|1985|C01X00T47/);
  const trail = await api(bridge.url, B.apiKey, 'GET', `/fhir/AuditEvent?patient=Patient/${pb}&_count=1000`);
  expect(trail.status).toBe(200);
  expect(trail.body.entry.some((e: any) => JSON.stringify(e.resource).includes(C.id))).toBe(true);
});

test('bad requests are 400 (415 for a body that is not JSON, 405 for GET) OperationOutcomes, and issue no handle', async () => {
  const handles = async () => (await bridge.database.db.query('SELECT count(*)::int AS n FROM match_handle')).rows[0].n;
  const before = await handles();
  for (const body of [
    { resourceType: 'Bundle', type: 'collection' },
    { resourceType: 'Parameters', parameter: [{ name: 'count', valueInteger: 3 }] },
    { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Observation' } }] },
    params(byDemographics, [{ name: 'count', valueInteger: -1 }]),
    params(byDemographics, [{ name: 'count', valueInteger: 'ten' }]),
    params(byDemographics, [{ name: 'onlyCertainMatches', valueBoolean: 'yes' }]),
    params(byDemographics, [{ name: 'threshold', valueDecimal: 0.3 }]),
    params({ birthDate: 'yesterday' }),
    params({}),
    '{"resourceType": "Parameters", ',
  ]) {
    const res = await match(C, body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  }
  const plain = await api(bridge.url, C.apiKey, 'POST', '/fhir/Patient/$match', 'resource=x', { 'content-type': 'text/plain' });
  expect(plain.status).toBe(415);
  expect((await api(bridge.url, C.apiKey, 'GET', '/fhir/Patient/$match')).status).toBe(405);
  expect((await api(bridge.url, C.apiKey, 'POST', '/fhir/Patient/$match?fuzzy=1', params(byDemographics))).status).toBe(400);
  expect((await api(bridge.url, 'not-a-key', 'POST', '/fhir/Patient/$match', params(byDemographics))).status).toBe(401);
  expect(await handles()).toBe(before);
});

test('at most MATCH_LIMIT answered requests per clinic and hour: then 429 with Retry-After, audited', async () => {
  const D = await bridge.clinic('Clinic D');
  for (let i = 0; i < LIMIT; i++) expect((await match(D, params({ identifier: [PASSPORT] }))).status).toBe(200);
  const res = await match(D, params({ identifier: [PASSPORT] }));
  expect(res.status).toBe(429);
  expect(res.body.issue[0].code).toBe('throttled');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  const refused = (
    await bridge.database.db.query("SELECT count(*)::int AS n FROM audit_event WHERE clinic_id = $1 AND action = 'match' AND outcome = 'refused'", [D.id])
  ).rows[0].n;
  expect(refused).toBe(1);
  // Another clinic is not held back by D's use.
  expect((await match(C, params({ identifier: [PASSPORT] }))).status).toBe(200);
});

test('a deleted record is no candidate', async () => {
  const E = await bridge.clinic('Clinic E');
  const put = await api(
    bridge.url,
    E.apiKey,
    'POST',
    '/fhir',
    tx({ resourceType: 'Patient', id: 'gone', name: [{ family: 'Oyelaran', given: ['Tunde'] }], birthDate: '1970-01-02', gender: 'male' }),
  );
  const id = located(put.body, 0).slice(8);
  const q = params({ name: [{ family: 'Oyelaran', given: ['Tunde'] }], birthDate: '1970-01-02', gender: 'male' });
  expect((await match(C, q)).body.entry).toHaveLength(1);
  expect((await api(bridge.url, E.apiKey, 'DELETE', `/fhir/Patient/${id}`)).status).toBeLessThan(300);
  expect((await match(C, q)).body.entry).toHaveLength(0);
});

test('migration 016 backfills the same values the write path stores', async () => {
  const db = bridge.database.db;
  const cols = 'postal_code, city, country, phones, emails';
  const stored = (await db.query(`SELECT id, ${cols} FROM patient ORDER BY id`)).rows;
  expect(stored.find((r) => r.id === pa)).toMatchObject({
    postal_code: '10115',
    city: 'berlin',
    country: 'DE',
    phones: ['49301234567'],
    emails: ['anna.schmidt@example.de'],
  });
  const sql = fs.readFileSync(`${__dirname}/../../../migrations/016_patient_match_fields.sql`, 'utf8');
  const backfill = sql.slice(sql.indexOf('WITH src AS'), sql.indexOf('FROM norm n WHERE n.id = p.id;') + 'FROM norm n WHERE n.id = p.id'.length);
  await db.query(`UPDATE patient SET postal_code = NULL, city = NULL, country = NULL, phones = '{}', emails = '{}'`);
  await db.query(backfill);
  expect((await db.query(`SELECT id, ${cols} FROM patient ORDER BY id`)).rows).toEqual(stored);
});

testWithSamples(['synthea-r4'], '$match finds Synthea patients pushed from the samples by their demographics alone', async () => {
  const S = await bridge.clinic('Synthea clinic');
  for (const file of sampleFiles('synthea-r4').slice(0, 3)) {
    const text = fs.readFileSync(file, 'utf8');
    const pushed = await api(bridge.url, S.apiKey, 'POST', '/fhir', text);
    expect(pushed.status).toBe(200);
    const id = (pushed.body.entry as any[])
      .map((e) => e.response.location as string)
      .find((l) => l.startsWith('Patient/'))!
      .split('/')[1];
    const p = (JSON.parse(text).entry as any[]).map((e) => e.resource).find((r) => r.resourceType === 'Patient');
    const official = p.name.find((n: any) => n.use === 'official') ?? p.name[0];
    const res = await match(C, params({ name: [{ family: official.family, given: official.given }], birthDate: p.birthDate, gender: p.gender }));
    expect(res.status).toBe(200);
    expect(grade(res.body.entry[0])).toBe('probable');
    expect((await resolveMatchHandle(bridge.database.db, C.id, handleOf(res.body.entry[0])))?.patientIds).toContain(id);
  }
});
