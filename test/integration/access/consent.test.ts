import { resolvePersonAccess } from '../../../bridge/access/person-access';
import { FhirError } from '../../../bridge/fhir/outcome';
import { api } from '../../helpers/fixtures';
import { consent, located, patientBundle, putBundle } from '../../helpers/people';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Three clinics. Person P: a record at A and at B sharing an SSN (one person). Person Q: only at B. C holds nobody.
 * A clinic always sees what it sent; another sees a person's records only under an active Consent naming it, or by
 * break-glass; every refusal answers as an unknown id would (404) and is audited; a clinic reads the audit trail of its
 * own records and actions only.
 */
let bridge: TestBridge;
type Clinic = { id: string; apiKey: string };
let A: Clinic, B: Clinic, C: Clinic;
let pa: string, pb: string, qb: string, obsA: string, obsB: string, obsQ: string;

/** Break-glass as the rule now asks: a clinic an admin enabled, a v3 ActReason purpose, a reason of real length. */
const GLASS = { 'X-Break-Glass': 'unconscious in ER', 'X-Purpose-Of-Use': 'ETREAT' };
const get = (c: Clinic, path: string, headers: Record<string, string> = {}) => api(bridge.url, c.apiKey, 'GET', path, undefined, headers);
const push = async (c: Clinic, body: unknown) => {
  const res = await api(bridge.url, c.apiKey, 'POST', '/fhir', body);
  expect(res.status).toBe(200);
  return res.body;
};
const audits = async (clinicId: string) =>
  (
    await bridge.database.db.query(
      'SELECT action, outcome, break_glass, purpose, patient_ids::text[] AS p FROM audit_event WHERE clinic_id = $1 ORDER BY seq',
      [clinicId],
    )
  ).rows;

beforeAll(async () => {
  bridge = await startTestBridge();
  [A, B, C] = [await bridge.clinic('Clinic A'), await bridge.clinic('Clinic B'), await bridge.clinic('Clinic C')];
  for (const c of [B, C]) expect((await api(bridge.url, ADMIN_TOKEN, 'PUT', `/admin/clinics/${c.id}/break-glass`)).status).toBe(200);
  const a = await push(A, patientBundle({ id: 'p1', family: 'Lovelace', given: 'Ada', birthDate: '1815-12-10', ssn: '111-22-3333' }));
  const b = await push(B, patientBundle({ id: 'x9', family: 'Lovelace', given: 'Ada', birthDate: '1815-12-10', ssn: '111-22-3333' }));
  const q = await push(B, patientBundle({ id: 'q1', family: 'Babbage', given: 'Charles', birthDate: '1791-12-26', gender: 'male' }));
  [pa, obsA] = [located(a, 0).slice(8), located(a, 1)];
  [pb, obsB] = [located(b, 0).slice(8), located(b, 1)];
  [qb, obsQ] = [located(q, 0).slice(8), located(q, 1)];
});
afterAll(async () => bridge?.close());

/** A consent whose `dateTime` no other push has: an identical push would be a replay of an earlier one. */
let written = 0;
const unique = (c: Record<string, unknown>): Record<string, unknown> => ({ ...c, dateTime: new Date(Date.UTC(2000, 0, 1) + ++written * 1000).toISOString() });
/** Every consent the tests below post (by B, naming A) made inactive, so a test can start from "no consent". */
const closeConsents = async (): Promise<void> => {
  for (const id of ['c1', 'c2', 'c3']) await push(B, putBundle(unique(consent(id, 'Patient/x9', A.id, { status: 'inactive' }))));
};

test('patients sharing a person-wide identifier are one person; the unshared one is another', async () => {
  const rows = (await bridge.database.db.query('SELECT id, person_id FROM patient WHERE id = ANY($1::uuid[])', [[pa, pb, qb]])).rows;
  const person = Object.fromEntries(rows.map((r) => [r.id, r.person_id]));
  expect(person[pa]).toBe(person[pb]);
  expect(person[qb]).not.toBe(person[pa]);
});

test('a clinic always sees what it sent, without consent', async () => {
  expect((await get(A, `/fhir/${obsA}`)).status).toBe(200);
  expect((await get(B, `/fhir/${obsB}`)).status).toBe(200);
  expect((await get(B, `/fhir/Observation?patient=Patient/${pb}`)).body.entry).toHaveLength(1);
});

test('no consent: direct read, vread and _history answer exactly as an unknown id (404), search excludes the records, all audited', async () => {
  await closeConsents();
  const before = (await audits(A.id)).length;
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const path of [`/fhir/${obsB}`, `/fhir/Patient/${pb}`, `/fhir/${obsB}/_history`, `/fhir/${obsB}/_history/1`]) {
    const res = await get(A, path);
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('not-found');
    expect(JSON.stringify(res.body)).not.toMatch(/Lovelace/);
    // No oracle: the answer for an id that names nothing is the same, the id aside.
    const id = path.split('/')[3];
    const none = await get(A, path.replace(id, unknown));
    expect(none.status).toBe(404);
    expect(JSON.stringify(none.body).replace(unknown, id)).toBe(JSON.stringify(res.body));
  }
  const search = await get(A, `/fhir/Observation?patient=Patient/${pb}`);
  expect(search.status).toBe(200);
  expect(search.body.entry ?? []).toHaveLength(0); // no entry array at all: FHIR JSON has no empty arrays
  expect((await get(C, `/fhir/Patient?_id=${pb}`)).body.entry ?? []).toHaveLength(0);
  const rows = (await audits(A.id)).slice(before);
  // The refusals of B's record name it; the unknown ids asked for are refused alike, naming nothing.
  expect(rows.filter((r) => r.outcome === 'refused' && r.p.includes(pb))).toHaveLength(5);
  expect(rows.filter((r) => r.outcome === 'refused' && !r.p.includes(pb)).map((r) => r.p)).toEqual([[], [], [], []]);
  expect((await audits(C.id)).some((r) => r.outcome === 'refused')).toBe(true);
});

test('resolvePersonAccess: own records only without consent; for a clinic with nothing the 404 of an unknown id', async () => {
  await closeConsents();
  const db = bridge.database.db;
  const access = await resolvePersonAccess(db, A.id, pb, {});
  expect(access.patients).toEqual([{ patientId: pa, clinicId: A.id, basis: 'own' }]);
  await expect(resolvePersonAccess(db, C.id, pb, {})).rejects.toMatchObject({
    status: 404,
    issues: [{ code: 'not-found', diagnostics: `Patient/${pb} is not known` }],
  });
  await expect(resolvePersonAccess(db, C.id, '00000000-0000-4000-8000-000000000000', {})).rejects.toBeInstanceOf(FhirError);
  await expect(resolvePersonAccess(db, C.id, '00000000-0000-4000-8000-000000000000', {})).rejects.toMatchObject({ status: 404 });
  const glass = await resolvePersonAccess(db, C.id, pa, { breakGlassReason: 'unconscious in ER' });
  expect(glass.patients.map((p) => p.basis).sort()).toEqual(['break-glass', 'break-glass']);
  expect(glass.breakGlassReason).toBe('unconscious in ER');
});

test('consent: an active permit Consent naming Organization/{clinic id} opens the records at once; the reference is stored as sent', async () => {
  const body = await push(B, putBundle(consent('c1', 'Patient/x9', A.id)));
  const stored = await get(B, `/fhir/${located(body, 0)}`);
  expect(stored.body.provision.actor[0].reference.reference).toBe(`Organization/${A.id}`);
  expect(stored.body.patient.reference).toBe(`Patient/${pb}`);

  expect((await get(A, `/fhir/${obsB}`)).status).toBe(200);
  expect((await get(A, `/fhir/Patient/${pb}`)).body.name[0].family).toBe('Lovelace');
  expect((await get(A, `/fhir/${obsB}/_history`)).body.entry).toHaveLength(1);
  expect((await get(A, `/fhir/Observation?patient=Patient/${pb}`)).body.entry).toHaveLength(1);
  const access = await resolvePersonAccess(bridge.database.db, A.id, pa, {});
  expect(access.patients.map((p) => [p.patientId, p.basis]).sort()).toEqual(
    [
      [pa, 'own'],
      [pb, 'consent'],
    ].sort(),
  );
  // The consent names A, not C; and it covers B's record of P, not B's other patient Q.
  expect((await get(C, `/fhir/${obsB}`)).status).toBe(404);
  expect((await get(A, `/fhir/${obsQ}`)).status).toBe(404);
});

test('revoked: status inactive closes access at once; a period that ended too; a current period opens it', async () => {
  await closeConsents();
  await push(B, putBundle(unique(consent('c1', 'Patient/x9', A.id))));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(200);
  await push(B, putBundle(consent('c1', 'Patient/x9', A.id, { status: 'inactive' })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  expect((await get(A, `/fhir/Observation?patient=Patient/${pb}`)).body.entry ?? []).toHaveLength(0);

  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { period: { start: '2020-01-01', end: '2021' } })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { period: { start: '2020-01-01', end: new Date(Date.now() - 1000).toISOString() } })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { period: { start: '2099-01-01' } })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { type: 'deny' })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);

  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { period: { start: '2020-01-01', end: new Date(Date.now() + 3_600_000).toISOString() } })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(200);
  await push(B, putBundle(consent('c2', 'Patient/x9', A.id, { status: 'inactive' })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
});

test('a consent that narrows what is shared (here: a nested deny of Observations) fails closed: it opens nothing', async () => {
  await closeConsents();
  await push(
    B,
    putBundle(
      consent('c3', 'Patient/x9', A.id, {
        provision: { provision: [{ type: 'deny', class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] }] },
      }),
    ),
  );
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  expect((await get(A, `/fhir/Patient/${pb}`)).status).toBe(404);
  // The same consent without the restriction opens the records.
  await push(B, putBundle(consent('c3', 'Patient/x9', A.id)));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(200);
  await push(B, putBundle(consent('c3', 'Patient/x9', A.id, { status: 'inactive' })));
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
});

test("a clinic cannot consent for another clinic's patient", async () => {
  // A names B's patient by bridge id: the reference does not resolve within A's records, so it opens nothing.
  await push(A, putBundle(consent('forged', `Patient/${qb}`, C.id)));
  expect((await get(C, `/fhir/${obsQ}`)).status).toBe(404);
});

test('break-glass: readable without consent, flagged in the audit trail; an empty reason is refused', async () => {
  const [beforeC, beforeB] = [(await audits(C.id)).length, (await audits(B.id)).length];
  const res = await get(C, `/fhir/${obsB}`, GLASS);
  expect(res.status).toBe(200);
  expect((await get(C, `/fhir/Observation?patient=Patient/${pb}`, GLASS)).body.entry).toHaveLength(1);
  expect((await get(C, `/fhir/${obsB}`, { 'X-Break-Glass': '  ' })).status).toBe(400);
  const rows = (await audits(C.id)).slice(beforeC).filter((r) => r.break_glass);
  expect(rows.map((r) => r.action)).toEqual(['read', 'search']);
  expect(rows.every((r) => r.purpose === 'ETREAT: unconscious in ER')).toBe(true);
  // Break-glass on one's own records is not an emergency access.
  expect((await get(B, `/fhir/${obsB}`, GLASS)).status).toBe(200);
  expect((await audits(B.id)).slice(beforeB).some((r) => r.break_glass)).toBe(false);
});

test("AuditEvent: a clinic reads the trail of its own records as FHIR AuditEvents, redacted; others get an unknown id's 404, audited", async () => {
  // The trail to read: two break-glass accesses by C, a refusal of A.
  await closeConsents();
  expect((await get(C, `/fhir/${obsB}`, GLASS)).status).toBe(200);
  expect((await get(C, `/fhir/Observation?patient=Patient/${pb}`, GLASS)).status).toBe(200);
  expect((await get(A, `/fhir/${obsB}`)).status).toBe(404);
  const res = await get(B, `/fhir/AuditEvent?patient=Patient/${pb}&_count=1000`);
  expect(res.status).toBe(200);
  expect(res.body.type).toBe('searchset');
  const events = res.body.entry.map((e: any) => e.resource);
  expect(events.every((e: any) => e.resourceType === 'AuditEvent')).toBe(true);
  const glass = events.filter((e: any) => e.purposeOfEvent?.[0]?.coding?.[0]?.code === 'BTG');
  expect(glass.length).toBeGreaterThanOrEqual(2);
  expect(glass[0].agent[0].who.reference).toBe(`Organization/${C.id}`);
  expect(glass[0].purposeOfEvent[0].text).toBe('unconscious in ER');
  expect(glass[0].entity.map((x: any) => x.what?.reference)).toContain(`Patient/${pb}`);
  const refused = events.filter((e: any) => e.outcome === '4');
  expect(refused.some((e: any) => e.agent[0].who.reference === `Organization/${A.id}`)).toBe(true);
  expect(events.some((e: any) => e.subtype.some((s: any) => s.code === 'push') && e.agent[0].who.reference === `Organization/${B.id}`)).toBe(true);
  expect(events.every((e: any) => /^0x[0-9a-f]{64}$/.test(e.extension[0].valueString))).toBe(true);
  // Redacted for B: its own record only, never the internal person id nor A's record of the same person.
  const named = JSON.stringify(events);
  expect(named).not.toContain(pa);
  expect(named).not.toContain('fhir-anchor-bridge.dev/person');
  expect(events.every((e: any) => (e.entity ?? []).every((x: any) => !x.what?.reference || x.what.reference === `Patient/${pb}`))).toBe(true);

  // A holds its own record of the same person: that gives it the trail of its own record, not of B's.
  const ofA = await get(A, `/fhir/AuditEvent?patient=Patient/${pa}&_count=1000`);
  expect(ofA.status).toBe(200);
  expect(JSON.stringify(ofA.body)).not.toContain(pb);
  expect(ofA.body.entry.some((e: any) => e.resource.id === glass[0].id)).toBe(false);
  expect((await get(A, `/fhir/AuditEvent?patient=${pb}`)).status).toBe(404);
  expect((await get(A, `/fhir/AuditEvent/${glass[0].id}`)).status).toBe(404);
  const one = await get(B, `/fhir/AuditEvent/${events[0].id}`);
  expect(one.status).toBe(200);
  expect(one.body.id).toBe(events[0].id);

  const before = (await audits(C.id)).length;
  const denied = await get(C, `/fhir/AuditEvent?patient=Patient/${pb}`);
  expect(denied.status).toBe(404);
  expect(denied.body.resourceType).toBe('OperationOutcome');
  const unknown = '00000000-0000-4000-8000-000000000000';
  const none = await get(C, `/fhir/AuditEvent?patient=Patient/${unknown}`);
  expect(JSON.stringify(none.body).replace(unknown, pb)).toBe(JSON.stringify(denied.body));
  expect((await get(C, `/fhir/AuditEvent?patient=Patient/${pb}`, { 'X-Break-Glass': 'curious' })).status).toBe(404);
  // Both refusals of B's record, and the unknown id's, refused alike without ids.
  expect(
    (await audits(C.id))
      .slice(before)
      .filter((r) => r.outcome === 'refused')
      .map((r) => r.p),
  ).toEqual([[pb], [], [pb]]);
  expect((await get(A, `/fhir/AuditEvent?patient=Patient/${qb}`)).status).toBe(404);
  expect((await get(A, '/fhir/AuditEvent')).status).toBe(400);
});

test('audit rows carry canonical JSON whose SHA-256 is the stored hash', async () => {
  const { createHash } = await import('node:crypto');
  // Audited accesses of each kind: own reads, refusals, searches.
  for (let i = 0; i < 7; i++) {
    await get(A, `/fhir/${obsA}`);
    await get(A, `/fhir/${obsQ}`);
    await get(C, `/fhir/Observation?patient=Patient/${pb}`);
  }
  const rows = (await bridge.database.db.query('SELECT canonical, hash, salt FROM audit_event')).rows;
  expect(rows.length).toBeGreaterThan(20);
  for (const r of rows) {
    expect(createHash('sha256').update(r.canonical, 'utf8').digest().equals(r.hash)).toBe(true);
    expect(r.salt).toHaveLength(32);
  }
});

test('shared entities stay readable by every clinic', async () => {
  const body = await push(
    B,
    putBundle({ resourceType: 'Organization', id: 'org1', identifier: [{ system: 'urn:example:org', value: 'o1' }], name: 'Hospital' }),
  );
  expect((await get(C, `/fhir/${located(body, 0)}`)).status).toBe(200);
});
