import { resolvePersonAccess } from '../../../bridge/access/person-access';
import { api } from '../../helpers/fixtures';
import { consent, located, patientBundle, putBundle } from '../../helpers/people';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Likely matches without a shared identifier are candidates, never merged silently; an admin confirms (one person,
 * the older person id kept), rejects, or unlinks (a new person again, nothing lost). Each test makes its own
 * patients (a birth date of its own keeps them from matching another test's), so each stands alone.
 */
let bridge: TestBridge;
type Clinic = { id: string; apiKey: string };
let A: Clinic, B: Clinic;

const admin = (method: string, path: string) => api(bridge.url, ADMIN_TOKEN, method, `/admin${path}`);
const push = async (c: Clinic, body: unknown) => {
  const res = await api(bridge.url, c.apiKey, 'POST', '/fhir', body);
  expect(res.status).toBe(200);
  return res.body;
};
const personOf = async (id: string): Promise<string> => (await bridge.database.db.query('SELECT person_id FROM patient WHERE id = $1', [id])).rows[0].person_id;
const involves = (c: any, id: string): boolean => [c.patient.patientId, c.other.patientId].includes(id);

/** Jane Doe at A and "jane DOE" at B (a likely match, score 1): bridge ids of both Patients and of B's Observation. */
async function janes(birthDate: string): Promise<{ pa: string; pb: string; obsB: string; idB: string }> {
  const idB = `jd-${birthDate}`;
  const a = await push(A, patientBundle({ id: `jane-${birthDate}`, family: 'Doe', given: 'Jane', birthDate }));
  const b = await push(B, patientBundle({ id: idB, family: 'DOE', given: 'jane', birthDate }));
  return { pa: located(a, 0).slice(8), pb: located(b, 0).slice(8), obsB: located(b, 1), idB };
}
/** Tom Thumb at A and Tim Thumb at B (score 0.8). */
async function thumbs(birthDate: string): Promise<{ ta: string; tb: string }> {
  const t1 = await push(A, patientBundle({ id: `tom-${birthDate}`, family: 'Thumb', given: 'Tom', birthDate, gender: 'male' }));
  const t2 = await push(B, patientBundle({ id: `tt-${birthDate}`, family: 'Thumb', given: 'Tim', birthDate, gender: 'male' }));
  return { ta: located(t1, 0).slice(8), tb: located(t2, 0).slice(8) };
}

beforeAll(async () => {
  bridge = await startTestBridge();
  [A, B] = [await bridge.clinic('Clinic A'), await bridge.clinic('Clinic B')];
});
afterAll(async () => bridge?.close());

test('admin endpoints need the admin token', async () => {
  const { pa } = await janes('1980-01-01');
  expect((await api(bridge.url, A.apiKey, 'GET', '/admin/person-candidates')).status).toBe(401);
  expect((await api(bridge.url, 'wrong-token-0123456789', 'POST', `/admin/patients/${pa}/unlink`)).status).toBe(401);
});

test('likely matches are listed as candidates with a score, and not merged', async () => {
  const { pa, pb, obsB } = await janes('1980-04-02');
  const { ta, tb } = await thumbs('2001-01-01');
  const res = await admin('GET', '/person-candidates');
  expect(res.status).toBe(200);
  const pairs = res.body.map((c: any) => [c.patient.patientId, c.other.patientId].sort().join());
  expect(pairs).toEqual(expect.arrayContaining([[pa, pb].sort().join(), [ta, tb].sort().join()]));
  const jane = res.body.find((c: any) => involves(c, pa));
  expect(jane.score).toBeCloseTo(1);
  expect(jane.status).toBe('candidate');
  expect(res.body.find((c: any) => involves(c, ta)).score).toBeCloseTo(0.8);
  expect(await personOf(pa)).not.toBe(await personOf(pb));
  expect((await api(bridge.url, A.apiKey, 'GET', `/fhir/${obsB}`)).status).toBe(404);
});

test('confirm links the two patients into one person; the older person id is kept; Patient/{id} of either reaches it', async () => {
  const { pa, pb, obsB, idB } = await janes('1980-04-03');
  const older = await personOf(pa);
  const res = await admin('POST', `/person-candidates/${pb}/${pa}/confirm`);
  expect(res.status).toBe(200);
  expect(res.body.personId).toBe(older);
  expect(res.body.patientIds.sort()).toEqual([pa, pb].sort());
  expect(await personOf(pb)).toBe(older);
  const merged = (await bridge.database.db.query('SELECT merged_into FROM person WHERE id = $1', [res.body.mergedPersonId])).rows[0];
  expect(merged.merged_into).toBe(older);

  const viaB = await resolvePersonAccess(bridge.database.db, B.id, pa, {});
  expect(viaB.personId).toBe(older);
  expect(viaB.patients).toEqual([{ patientId: pb, clinicId: B.id, basis: 'own' }]);
  // Linked is not consented: B's records still need B's Consent for A.
  expect((await api(bridge.url, A.apiKey, 'GET', `/fhir/${obsB}`)).status).toBe(404);
  await push(B, putBundle(consent(`c-${idB}`, `Patient/${idB}`, A.id)));
  expect((await api(bridge.url, A.apiKey, 'GET', `/fhir/${obsB}`)).status).toBe(200);
  const viaA = await resolvePersonAccess(bridge.database.db, A.id, pb, {});
  expect(viaA.patients.map((p) => p.basis).sort()).toEqual(['consent', 'own']);

  const open = await admin('GET', '/person-candidates');
  expect(open.body.some((c: any) => involves(c, pa))).toBe(false);
  const confirmed = await admin('GET', '/person-candidates?status=confirmed');
  expect(confirmed.body.filter((c: any) => involves(c, pa) || involves(c, pb))).toHaveLength(1);
});

test('unlink gives the patient a new person again, losing nothing; a re-push neither relinks nor re-proposes', async () => {
  const { pa, pb, obsB, idB } = await janes('1980-04-04');
  expect((await admin('POST', `/person-candidates/${pb}/${pa}/confirm`)).status).toBe(200);
  await push(B, putBundle(consent(`c-${idB}`, `Patient/${idB}`, A.id)));
  const person = await personOf(pa);
  const res = await admin('POST', `/patients/${pb}/unlink`);
  expect(res.status).toBe(200);
  expect(res.body.formerPersonId).toBe(person);
  expect(res.body.personId).not.toBe(person);
  expect(await personOf(pa)).toBe(person);
  expect(await personOf(pb)).toBe(res.body.personId);
  // B's data is intact, and the consent still names A for B's record.
  expect((await api(bridge.url, B.apiKey, 'GET', `/fhir/${obsB}`)).status).toBe(200);
  const access = await resolvePersonAccess(bridge.database.db, A.id, pa, {});
  expect(access.patients.map((p) => p.patientId)).toEqual([pa]);

  await push(B, patientBundle({ id: idB, family: 'Doe', given: 'Jane', birthDate: '1980-04-04' }, '8310-5'));
  expect(await personOf(pb)).toBe(res.body.personId);
  const open = await admin('GET', '/person-candidates');
  expect(open.body.some((c: any) => involves(c, pb))).toBe(false);

  expect((await admin('POST', `/patients/${pb}/unlink`)).status).toBe(409);
  expect((await admin('POST', '/patients/00000000-0000-4000-8000-000000000000/unlink')).status).toBe(404);
});

test('reject records the decision and merges nothing', async () => {
  const { ta, tb } = await thumbs('2001-01-02');
  const { pa } = await janes('1980-04-05');
  const res = await admin('POST', `/person-candidates/${ta}/${tb}/reject`);
  expect(res.status).toBe(200);
  expect(await personOf(ta)).not.toBe(await personOf(tb));
  const rejected = await admin('GET', '/person-candidates?status=rejected');
  expect(rejected.body.some((c: any) => involves(c, ta))).toBe(true);
  expect((await admin('POST', `/person-candidates/${ta}/${pa}/confirm`)).status).toBe(404);
  expect((await admin('GET', '/person-candidates?status=bogus')).status).toBe(400);
});

test('admin decisions are audited', async () => {
  const { pa, pb } = await janes('1980-04-06');
  const { ta, tb } = await thumbs('2001-01-03');
  expect((await admin('POST', `/person-candidates/${pa}/${pb}/confirm`)).status).toBe(200);
  expect((await admin('POST', `/patients/${pb}/unlink`)).status).toBe(200);
  expect((await admin('POST', `/person-candidates/${ta}/${tb}/reject`)).status).toBe(200);
  const rows = (
    await bridge.database.db.query(`SELECT action FROM audit_event WHERE clinic_id IS NULL AND patient_ids && $1::uuid[] ORDER BY seq`, [[pa, pb, ta, tb]])
  ).rows.map((r) => r.action);
  expect(rows).toEqual(['link', 'unlink', 'reject-link']);
});

test("a German passport and a KVID link two clinics' patients into one person", async () => {
  const germanAt = (id: string, identifier: unknown[], birthDate = '1977-07-07') => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: { resourceType: 'Patient', id, name: [{ family: 'Müller', given: ['Lena'] }], birthDate, identifier },
        request: { method: 'PUT', url: `Patient/${id}` },
      },
    ],
  });
  const passport = { system: 'http://hl7.org/fhir/sid/passport-DEU', value: 'C01X00T47' };
  const a = await push(A, germanAt('lena-a', [passport]));
  const b = await push(B, germanAt('lena-b', [passport]));
  expect(await personOf(located(a, 0).slice(8))).toBe(await personOf(located(b, 0).slice(8)));
  const kvid = { system: 'http://fhir.de/sid/gkv/kvid-10', value: 'A123456780' };
  const c = await push(A, germanAt('kvid-a', [kvid], '1977-08-08'));
  const d = await push(B, germanAt('kvid-b', [kvid], '1977-08-08'));
  expect(await personOf(located(c, 0).slice(8))).toBe(await personOf(located(d, 0).slice(8)));
  expect(await personOf(located(c, 0).slice(8))).not.toBe(await personOf(located(a, 0).slice(8)));
});
