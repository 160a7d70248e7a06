import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createLogger } from '../../../bridge/log';
import { startNotifier, type Notifier } from '../../../bridge/notify/delivery';
import { issueMatchHandle } from '../../../bridge/store/match-handles';
import { backfillSensitivity } from '../../../bridge/store/sensitivity';
import { consentRequestTask } from '../../helpers/consent-requests';
import { api } from '../../helpers/fixtures';
import { consent, located, putBundle } from '../../helpers/people';
import { patientToken } from '../../helpers/patient-session';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';
import { waitFor } from '../../helpers/wait';

/**
 * Patients decide who may read what: a person at clinics A (home) and B with ordinary records, a depression (F32.9),
 * an HIV test and an alcohol-use disorder at A, and a B Observation labelled ETH in meta.security. The patient grants
 * clinic C "everything except" (deny ETH, MH, SEX) or "everything", limits it in time, revokes it; C's pulls, reads,
 * searches and exports return exactly what was allowed. Consent requests are decided by the patient; break-glass
 * accesses and new requests reach the patient as Communications and through their own rest-hook.
 */
type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let notifier: Notifier;
let A: Clinic, B: Clinic, C: Clinic, D: Clinic;
let pa: string, pb: string, pc: string;
const ids: Record<string, string> = {};
let token: string;
const PASSPORT = 'http://hl7.org/fhir/sid/passport-DEU';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SCOPES = ['patient/*.cruds', 'launch/patient', 'openid', 'fhirUser'];
const DAY = 86_400_000;
const day = (offset: number): string => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

const call = (c: Clinic, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api(bridge.url, c.apiKey, method, path, body, headers);
const asPatient = (method: string, path: string, body?: unknown, t = token) => api(bridge.url, t, method, path, body);

const patient = (id: string, passport: string) => ({
  resource: {
    resourceType: 'Patient',
    id,
    name: [{ family: 'Novak', given: ['Eva'] }],
    birthDate: '1985-03-04',
    gender: 'female',
    identifier: [{ system: PASSPORT, value: passport }],
  },
  request: { method: 'PUT', url: `Patient/${id}` },
});
const entry = (resource: Record<string, unknown>) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
const condition = (id: string, pid: string, code: string, onset: string) =>
  entry({
    resourceType: 'Condition',
    id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: ICD, code }] },
    subject: { reference: `Patient/${pid}` },
    onsetDateTime: onset,
  });
const observation = (id: string, pid: string, code: string, extra: Record<string, unknown> = {}) =>
  entry({
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${pid}` },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    ...extra,
  });

/** The patient's Consent for `clinicId`: everything, or everything but the deny codes. */
const patientConsent = (patientId: string, clinicId: string, deny: string[] = [], period?: { start?: string; end?: string }) => ({
  resourceType: 'Consent',
  status: 'active',
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
  patient: { reference: `Patient/${patientId}` },
  provision: {
    type: 'permit',
    ...(period ? { period } : {}),
    actor: [
      {
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
        reference: { reference: `Organization/${clinicId}` },
      },
    ],
    ...(deny.length ? { provision: [{ type: 'deny', securityLabel: deny.map((code) => ({ system: ACT, code })) }] } : {}),
  },
});
const EXCEPT = ['ETH', 'MH', 'SEX'];
const SENSITIVE = ['depression', 'hiv', 'alcohol', 'labelled'];
const ORDINARY = ['obsA', 'obsB', 'hypertension'];

/** The bridge ids of the test's resources found in a JSON answer. */
const present = (json: unknown): string[] => Object.keys(ids).filter((k) => JSON.stringify(json).includes(ids[k]));

async function grant(deny: string[] = EXCEPT, period?: { start?: string; end?: string }, clinic = C) {
  const res = await asPatient('POST', '/fhir/Consent', patientConsent(pa, clinic.id, deny, period));
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  bridge = await startTestBridge({ allowPrivateHookHosts: true, breakGlassLimit: 100 });
  notifier = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 50,
    retryBaseMs: 50,
    timeoutMs: 2000,
    maxAttempts: 50,
    allowPrivateHosts: true,
  });
});
afterAll(async () => {
  await notifier?.stop();
  await bridge?.close();
});

beforeEach(async () => {
  const passport = `P${randomBytes(4).toString('hex').toUpperCase()}`;
  [A, B, C, D] = [await bridge.clinic('Klinik A'), await bridge.clinic('Klinik B'), await bridge.clinic('Clinica C'), await bridge.clinic('Hospital D')];
  const a = await call(A, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      patient('a1', passport),
      observation('obs-a', 'a1', '2339-0'),
      condition('dep', 'a1', 'F32.9', '2023-01-01'),
      condition('htn', 'a1', 'I10', '2022-01-01'),
      condition('alc', 'a1', 'F10.20', '2021-01-01'),
      observation('hiv', 'a1', '75622-1'),
    ],
  });
  expect(a.status).toBe(200);
  const b = await call(B, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      patient('b1', passport),
      observation('obs-b', 'b1', '2345-7'),
      observation('lab', 'b1', '718-7', { meta: { security: [{ system: ACT, code: 'ETH' }] } }),
    ],
  });
  expect(b.status).toBe(200);
  const c = await call(C, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [patient('c1', passport)] });
  [pa, pb, pc] = [located(a.body, 0).slice(8), located(b.body, 0).slice(8), located(c.body, 0).slice(8)];
  ids.obsA = located(a.body, 1).slice(12);
  ids.depression = located(a.body, 2).slice(10);
  ids.hypertension = located(a.body, 3).slice(10);
  ids.alcohol = located(a.body, 4).slice(10);
  ids.hiv = located(a.body, 5).slice(12);
  ids.obsB = located(b.body, 1).slice(12);
  ids.labelled = located(b.body, 2).slice(12);
  token = await patientToken(bridge.database.db, pa, SCOPES);
});

test('"everything except" mental health, sexual and reproductive health and substance use: every pull of C omits exactly those', async () => {
  const unknown = await call(C, 'GET', `/fhir/Condition/${'0'.repeat(8)}-0000-4000-8000-000000000000`);
  expect(unknown.status).toBe(404);
  // before any consent, C reaches nothing of A
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(404);

  const created = await grant();
  expect(created).toMatchObject({
    resourceType: 'Consent',
    status: 'active',
    patient: { reference: `Patient/${pa}` },
    provision: { type: 'permit', actor: [{ reference: { reference: `Organization/${C.id}`, display: 'Clinica C' } }] },
  });
  expect(created.provision.provision[0].securityLabel.map((c: { code: string }) => c.code)).toEqual(EXCEPT);

  const everything = await call(C, 'GET', `/fhir/Patient/${pa}/$everything`);
  expect(everything.status).toBe(200);
  expect(present(everything.body).sort()).toEqual([...ORDINARY].sort());
  const patients = everything.body.entry
    .filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Patient')
    .map((e: { resource: { id: string } }) => e.resource.id);
  expect(patients.sort()).toEqual([pa, pb, pc].sort());

  const summary = await call(C, 'GET', `/fhir/Patient/${pa}/$summary`);
  expect(summary.status).toBe(200);
  const text = JSON.stringify(summary.body);
  expect(text).toContain('I10');
  for (const code of ['F32.9', 'F10.20', '75622-1', '718-7']) expect(text).not.toContain(code);

  const history = await call(C, 'GET', `/patients/${pa}/history`);
  expect(history.status).toBe(200);
  const events = history.body.events.map((e: { resourceId: string }) => e.resourceId);
  for (const k of SENSITIVE) expect(events).not.toContain(ids[k]);
  for (const k of ORDINARY) expect(events).toContain(ids[k]);

  const conditions = await call(C, 'GET', `/fhir/Condition?patient=${pa}`);
  expect(present(conditions.body)).toEqual(['hypertension']);
  const observations = await call(C, 'GET', `/fhir/Observation?patient=${pb}`);
  expect(present(observations.body)).toEqual(['obsB']);

  // a withheld resource reads exactly like an unknown one
  for (const [type, k] of [
    ['Condition', 'depression'],
    ['Condition', 'alcohol'],
    ['Observation', 'hiv'],
    ['Observation', 'labelled'],
  ]) {
    const res = await call(C, 'GET', `/fhir/${type}/${ids[k]}`);
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe(unknown.body.issue[0].code);
    expect((await call(C, 'GET', `/fhir/${type}/${ids[k]}/_history`)).status).toBe(404);
  }
  expect((await call(C, 'GET', `/fhir/Condition/${ids.hypertension}`)).status).toBe(200);
  expect((await call(C, 'GET', `/fhir/Observation/${ids.obsB}`)).status).toBe(200);

  // Bulk export of C's patients: the consented records of the person, minus the withheld ones
  const kick = await call(C, 'GET', '/fhir/Patient/$export', undefined, { prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const status = new URL(kick.headers.get('content-location')!).pathname;
  const manifest = await waitFor(async () => {
    const r = await call(C, 'GET', status);
    return r.status === 200 && r.body;
  });
  const files = await Promise.all(manifest.output.map(async (o: { url: string }) => (await call(C, 'GET', new URL(o.url).pathname)).body));
  const exported = JSON.stringify(files);
  for (const k of ORDINARY) expect(exported).toContain(ids[k]);
  for (const k of SENSITIVE) expect(exported).not.toContain(ids[k]);

  // the patient's own consent change is audited with the patient as agent
  const audits = await bridge.database.db.query(
    `SELECT clinic_id, agent, detail FROM audit_event WHERE action = 'consent' AND agent->>'accountId' IS NOT NULL`,
  );
  expect(audits.rows.some((r) => r.clinic_id === null && r.agent.kind === 'patient' && r.detail.includes(created.id))).toBe(true);
});

test('"everything" grants all; changing it with PUT takes effect at once', async () => {
  const c = await grant([]);
  const all = await call(C, 'GET', `/fhir/Patient/${pa}/$everything`);
  expect(present(all.body).sort()).toEqual([...ORDINARY, ...SENSITIVE].sort());
  expect((await call(C, 'GET', `/fhir/Condition/${ids.depression}`)).status).toBe(200);

  const changed = await asPatient('PUT', `/fhir/Consent/${c.id}`, { ...patientConsent(pa, C.id, ['MH']), id: c.id });
  expect(changed.status).toBe(200);
  expect(changed.body.meta.versionId).toBe('2');
  const now = await call(C, 'GET', `/fhir/Patient/${pa}/$everything`);
  expect(present(now.body).sort()).toEqual([...ORDINARY, 'alcohol', 'hiv', 'labelled'].sort());
});

test('a period in the past grants nothing; a later decision supersedes the earlier one', async () => {
  const first = await grant([]);
  const past = await grant([], { start: '2020-01-01', end: '2021-12-31' });
  expect((await asPatient('GET', `/fhir/Consent/${first.id}`)).body.status).toBe('inactive');
  expect((await asPatient('GET', `/fhir/Consent/${past.id}`)).body.status).toBe('active');
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(404);
  expect((await call(C, 'GET', `/fhir/Condition/${ids.hypertension}`)).status).toBe(404);
  const future = await grant([], { start: day(-1), end: day(30) });
  expect(future.provision.period).toEqual({ start: day(-1), end: day(30) });
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(200);
});

test("revocation ends C's access at once, even though the home clinic stored a Consent for C (the patient's decision wins)", async () => {
  // A's own Consent for C: by itself it grants C A's records
  expect((await call(A, 'POST', '/fhir', putBundle(consent('clinic-consent', 'Patient/a1', C.id)))).status).toBe(200);
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(200);
  const c = await grant([]);
  expect((await call(C, 'GET', `/fhir/Patient/${pb}/$everything`)).status).toBe(200); // every clinic's records, B's too

  const revoked = await asPatient('PUT', `/fhir/Consent/${c.id}`, { ...patientConsent(pa, C.id), id: c.id, status: 'inactive' });
  expect(revoked.status).toBe(200);
  expect(revoked.body.status).toBe('inactive');
  for (const path of [`/fhir/Patient/${pa}/$everything`, `/fhir/Patient/${pa}/$summary`, `/patients/${pa}/history`, `/fhir/Observation/${ids.obsA}`]) {
    expect((await call(C, 'GET', path)).status).toBe(404);
  }
  // revoked is final
  expect((await asPatient('PUT', `/fhir/Consent/${c.id}`, { ...patientConsent(pa, C.id), id: c.id })).status).toBe(409);

  // DELETE revokes too
  const again = await grant([]);
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(200);
  expect((await asPatient('DELETE', `/fhir/Consent/${again.id}`)).status).toBe(204);
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(404);
  expect((await asPatient('GET', `/fhir/Consent?status=inactive`)).body.entry).toHaveLength(2);
});

test("another patient can neither see, change nor revoke it, nor name this person's Patient", async () => {
  const c = await grant([]);
  const other = await call(D, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [patient('d1', `Q${randomBytes(4).toString('hex')}`)] });
  const pd = located(other.body, 0).slice(8);
  const otherToken = await patientToken(bridge.database.db, pd, SCOPES);
  const missing = await asPatient('GET', `/fhir/Consent/${'0'.repeat(8)}-0000-4000-8000-000000000000`, undefined, otherToken);
  expect(missing.status).toBe(404);
  const read = await asPatient('GET', `/fhir/Consent/${c.id}`, undefined, otherToken);
  expect(read.status).toBe(404);
  expect(read.body.issue[0].code).toBe(missing.body.issue[0].code);
  expect((await asPatient('PUT', `/fhir/Consent/${c.id}`, { ...patientConsent(pa, C.id), id: c.id, status: 'inactive' }, otherToken)).status).toBe(404);
  expect((await asPatient('DELETE', `/fhir/Consent/${c.id}`, undefined, otherToken)).status).toBe(404);
  expect((await asPatient('GET', '/fhir/Consent', undefined, otherToken)).body.entry).toEqual([]);
  expect((await call(C, 'GET', `/fhir/Patient/${pa}/$everything`)).status).toBe(200); // still granted

  // naming another person's record answers like an unknown id
  const foreign = await asPatient('POST', '/fhir/Consent', patientConsent(pa, C.id), otherToken);
  const unknown = await asPatient('POST', '/fhir/Consent', patientConsent('00000000-0000-4000-8000-000000000000', C.id), otherToken);
  expect(foreign.status).toBe(422);
  expect(unknown.status).toBe(422);
  expect(foreign.body.issue[0].diagnostics.replace(pa, 'X')).toBe(unknown.body.issue[0].diagnostics.replace('00000000-0000-4000-8000-000000000000', 'X'));
  // and a clinic's key does not reach the patient routes' data (its own Consent search stays its own)
  expect(JSON.stringify((await call(C, 'GET', '/fhir/Consent')).body)).not.toContain(c.id);
});

test('rows written before classification are withheld from a restricted grant until the backfill labels them', async () => {
  await grant();
  // as if written before migration 020: not classified
  await bridge.database.db.query('UPDATE resource SET sensitivity = NULL WHERE id = ANY($1::uuid[])', [[ids.obsA, ids.depression]]);
  const before = await call(C, 'GET', `/fhir/Patient/${pa}/$everything`);
  expect(present(before.body)).not.toContain('obsA');
  expect((await call(C, 'GET', `/fhir/Observation/${ids.obsA}`)).status).toBe(404);
  expect(await backfillSensitivity(bridge.database.db, 1)).toBeGreaterThanOrEqual(2);
  const labels = await bridge.database.db.query('SELECT id::text, sensitivity FROM resource WHERE id = ANY($1::uuid[])', [[ids.obsA, ids.depression]]);
  expect(Object.fromEntries(labels.rows.map((r) => [r.id, r.sensitivity]))).toEqual({ [ids.obsA]: [], [ids.depression]: ['MH', 'PSY'] });
  const after = await call(C, 'GET', `/fhir/Patient/${pa}/$everything`);
  expect(present(after.body).sort()).toEqual([...ORDINARY].sort());
});

test('strict validation: what cannot be evaluated is 400/422 and stores nothing', async () => {
  const before = Number((await bridge.database.db.query('SELECT count(*) AS n FROM patient_consent')).rows[0].n);
  const base = patientConsent(pa, C.id, ['MH']);
  const cases: [unknown, number][] = [
    [{ resourceType: 'Patient' }, 400],
    [{ ...base, status: 'draft' }, 422],
    [patientConsent(pa, '00000000-0000-4000-8000-000000000000'), 422], // unknown clinic
    [{ ...base, provision: { ...base.provision, data: [{ meaning: 'instance', reference: { reference: 'Observation/x' } }] } }, 422],
    [{ ...base, provision: { ...base.provision, provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'GDIS' }] }] } }, 422],
    [{ ...base, provision: { ...base.provision, provision: [{ type: 'deny', code: [{ text: 'x' }] }] } }, 422],
    [{ ...base, provision: { ...base.provision, provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] } }, 422],
    [{ ...base, provision: { ...base.provision, type: 'deny' } }, 422],
    [{ ...base, provision: { ...base.provision, period: { start: '2025-02-01', end: '2025-01-01' } } }, 422],
    [{ ...base, provision: { ...base.provision, period: { start: 'yesterday' } } }, 400],
    [{ ...base, provision: { ...base.provision, actor: [] } }, 422],
    [{ ...base, patient: undefined }, 400],
  ];
  for (const [body, status] of cases) {
    const res = await asPatient('POST', '/fhir/Consent', body);
    expect([res.status, res.body.resourceType]).toEqual([status, 'OperationOutcome']);
  }
  expect(Number((await bridge.database.db.query('SELECT count(*) AS n FROM patient_consent')).rows[0].n)).toBe(before);
  // read-only tokens may not write Consents
  const readOnly = await patientToken(bridge.database.db, pa);
  expect((await asPatient('POST', '/fhir/Consent', base, readOnly)).status).toBe(403);
});

test('GET /fhir/Organization lists the clinics for the patient to choose from', async () => {
  const res = await asPatient('GET', '/fhir/Organization?_count=1000');
  expect(res.status).toBe(200);
  const names = res.body.entry.map((e: { resource: { id: string; name: string } }) => [e.resource.id, e.resource.name]);
  expect(names).toEqual(
    expect.arrayContaining([
      [C.id, 'Clinica C'],
      [A.id, 'Klinik A'],
    ]),
  );
});

async function hookServer(): Promise<{ url: string; received: { method: string; url: string; body: string }[]; close(): Promise<void> }> {
  const received: { method: string; url: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    received,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

test('a consent request is listed for the patient, who approves it with categories withheld; the requester pulls what was allowed', async () => {
  const handle = (await issueMatchHandle(bridge.database.db, D.id, { patientIds: [pa], grade: 'certain', score: 1 }, 3600)).handle;
  const policyRule = { coding: [{ system: ACT, code: 'OPTIN' }] };
  const created = await call(D, 'POST', '/fhir/Task', consentRequestTask({ handle, requester: D.id, consent: { policyRule } }));
  expect(created.status).toBe(201);
  const list = await asPatient('GET', '/fhir/Task');
  expect(list.status).toBe(200);
  expect(list.body.entry).toHaveLength(1);
  const task = list.body.entry[0].resource;
  expect(task).toMatchObject({
    id: created.body.id,
    status: 'requested',
    for: { reference: `Patient/${pa}` },
    requester: { reference: `Organization/${D.id}` },
  });
  const told = await asPatient('GET', '/fhir/Communication');
  expect(told.body.entry.map((e: { resource: { category: { coding: { code: string }[] }[] } }) => e.resource.category[0].coding[0].code)).toContain(
    'consent-request',
  );

  // another patient does not see or decide it
  const other = await call(B, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [patient('x1', `Z${randomBytes(4).toString('hex')}`)] });
  const otherToken = await patientToken(bridge.database.db, located(other.body, 0).slice(8), SCOPES);
  expect((await asPatient('GET', '/fhir/Task', undefined, otherToken)).body.entry).toEqual([]);
  expect((await asPatient('POST', `/fhir/Task/${task.id}/$approve`, undefined, otherToken)).status).toBe(404);

  expect((await call(D, 'GET', `/fhir/Patient/${handle}/$everything`)).status).toBe(404);
  const approved = await asPatient('POST', `/fhir/Task/${task.id}/$approve`, {
    resourceType: 'Parameters',
    parameter: EXCEPT.map((valueCode) => ({ name: 'withhold', valueCode })),
  });
  expect(approved.status).toBe(200);
  expect(approved.body.status).toBe('accepted');
  expect((await asPatient('POST', `/fhir/Task/${task.id}/$decline`)).status).toBe(409);
  expect((await call(D, 'GET', `/fhir/Task/${task.id}`)).body.status).toBe('accepted');
  const pulled = await call(D, 'GET', `/fhir/Patient/${handle}/$everything`);
  expect(pulled.status).toBe(200);
  expect(present(pulled.body).sort()).toEqual([...ORDINARY].sort());
  const consents = (await asPatient('GET', '/fhir/Consent')).body.entry.map((e: { resource: unknown }) => e.resource);
  expect(consents).toHaveLength(1);
  expect(consents[0].provision.actor[0].reference.reference).toBe(`Organization/${D.id}`);
  const decided = await bridge.database.db.query(`SELECT agent FROM audit_event WHERE action = 'consent-decision' AND clinic_id IS NULL AND detail LIKE $1`, [
    `Task/${task.id}%`,
  ]);
  expect(decided.rows[0].agent).toEqual({ kind: 'patient', accountId: expect.any(String) });
});

test("a break-glass access by an enabled clinic is a notification, delivered to the patient's own rest-hook", async () => {
  const hook = await hookServer();
  try {
    const sub = await asPatient('POST', '/fhir/Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'tell my app',
      criteria: 'Communication',
      channel: { type: 'rest-hook', endpoint: hook.url, payload: 'application/fhir+json' },
    });
    expect(sub.status).toBe(201);
    // Task criteria are for clinics
    const taskSub = await asPatient('POST', '/fhir/Subscription', { ...sub.body, id: undefined, status: 'requested', criteria: 'Task' });
    expect(taskSub.status).toBe(400);
    expect((await asPatient('GET', `/fhir/Subscription/${sub.body.id}`)).status).toBe(200);
    expect((await call(D, 'GET', `/fhir/Subscription/${sub.body.id}`)).status).toBe(404);

    expect((await api(bridge.url, ADMIN_TOKEN, 'PUT', `/admin/clinics/${D.id}/break-glass`)).status).toBe(200);
    const glass = await call(D, 'GET', `/fhir/Patient/${pa}/$everything`, undefined, {
      'X-Break-Glass': 'unconscious patient in the emergency room',
      'X-Purpose-Of-Use': 'ETREAT',
    });
    expect(glass.status).toBe(200);
    const told = await asPatient('GET', '/fhir/Communication');
    const note = told.body.entry
      .map((e: { resource: Record<string, any> }) => e.resource)
      .find((c: Record<string, any>) => c.category[0].coding[0].code === 'break-glass');
    expect(note).toMatchObject({ resourceType: 'Communication', status: 'completed', subject: { reference: `Patient/${pa}` } });
    expect(note.payload[0].contentString).toContain('Hospital D');
    expect(note.payload[0].contentString).toContain('unconscious patient');
    expect(note.sent).toEqual(expect.any(String));
    expect(note.about[0].reference).toMatch(/^AuditEvent\//);

    const delivered = await waitFor(() => hook.received.find((r) => r.url === `/hook/Communication/${note.id}`));
    expect(delivered.method).toBe('PUT');
    expect(JSON.parse(delivered.body)).toMatchObject({ resourceType: 'Communication', id: note.id });
    // another patient is not told
    const other = await call(B, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [patient('y1', `Y${randomBytes(4).toString('hex')}`)] });
    const otherToken = await patientToken(bridge.database.db, located(other.body, 0).slice(8), SCOPES);
    expect((await asPatient('GET', '/fhir/Communication', undefined, otherToken)).body.entry).toEqual([]);
    expect((await asPatient('GET', `/fhir/Communication/${note.id}`)).body).toEqual(note);
    expect((await asPatient('GET', `/fhir/Communication/${note.id}`, undefined, otherToken)).status).toBe(404);
  } finally {
    await hook.close();
  }
});
