/**
 * What a signed-in patient reads (issue 10): their own person's records at every clinic (read, vread, history,
 * search, $everything, $summary, timeline), regardless of the clinics' consents; nothing of anybody else: another
 * person's ids answer exactly like unknown ids, searches and references never reach them. Their access log
 * (`GET /fhir/AuditEvent`) shows every access to their records (a consented read, a break-glass pull with its reason,
 * their own reads) with each entry's anchoring state, and never another person's entries or internal person ids.
 * Real PostgreSQL, the real bridge over HTTP.
 */
import { AUDIT_ANCHOR_EXTENSION, AUDIT_HASH_EXTENSION } from '../../../bridge/fhir/audit-event';
import { api } from '../../helpers/fixtures';
import { patientToken } from '../../helpers/patient-session';
import { consent, located, patientBundle, putBundle } from '../../helpers/people';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';

type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let A: Clinic, B: Clinic, D: Clinic;
/** Anna: records at A and B (one person); Carl: another person at A. */
let annaA: string, annaB: string, obsA: string, obsB: string, obsRef: string, carl: string, obsCarl: string;
let token: string;
const UNKNOWN = '7e57e57e-0000-4000-8000-000000000000';
const REASON = 'unconscious on arrival, no consent on file';
const anna = { family: 'Weber', given: 'Anna', birthDate: '1985-03-14', ssn: '999-10-2020' };

const asPatient = (path: string, t = token) => api(bridge.url, t, 'GET', path);
const idOf = (ref: string): string => ref.split('/')[1];
const ext = (event: any, url: string) => event.extension?.find((e: any) => e.url === url);
const personIds = async (): Promise<string[]> => (await bridge.database.db.query('SELECT id::text FROM person')).rows.map((r) => r.id);

beforeAll(async () => {
  bridge = await startTestBridge();
  [A, B, D] = [await bridge.clinic('Berlin'), await bridge.clinic('Munich'), await bridge.clinic('Rome abroad')];
  const a = await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'anna-a', ...anna }));
  const b = await api(bridge.url, B.apiKey, 'POST', '/fhir', patientBundle({ id: 'anna-b', ...anna }, '8310-5'));
  const c = await api(
    bridge.url,
    A.apiKey,
    'POST',
    '/fhir',
    patientBundle({ id: 'carl-a', family: 'Krause', given: 'Carl', birthDate: '1970-01-01', ssn: '999-55-1234' }),
  );
  [annaA, obsA, annaB, obsB, carl, obsCarl] = [a, a, b, b, c, c].map((r, i) => idOf(located(r.body, i % 2)));
  // An Observation of Anna's naming Carl (performer): following it must not reach Carl.
  const ref = await api(
    bridge.url,
    A.apiKey,
    'POST',
    '/fhir',
    putBundle({
      resourceType: 'Observation',
      id: 'obs-ref',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: 'Patient/anna-a' },
      performer: [{ reference: 'Patient/carl-a' }],
      effectiveDateTime: '2024-06-01T10:00:00Z',
    }),
  );
  obsRef = idOf(located(ref.body, 0));
  // A's Consent lets B read A's record of Anna; D reads it by break-glass.
  expect((await api(bridge.url, A.apiKey, 'POST', '/fhir', putBundle(consent('c-anna', 'Patient/anna-a', B.id)))).status).toBe(200);
  expect((await api(bridge.url, B.apiKey, 'GET', `/fhir/Observation/${obsA}`)).status).toBe(200);
  expect((await api(bridge.url, ADMIN_TOKEN, 'PUT', `/admin/clinics/${D.id}/break-glass`)).status).toBe(200);
  const glass = await api(bridge.url, D.apiKey, 'GET', `/fhir/Patient/${annaA}/$everything`, undefined, {
    'X-Break-Glass': REASON,
    'X-Purpose-Of-Use': 'ETREAT',
  });
  expect(glass.status).toBe(200);
  // Accesses to Carl: his log, not Anna's.
  expect((await api(bridge.url, A.apiKey, 'GET', `/fhir/Patient/${carl}/$everything`)).status).toBe(200);
  token = await patientToken(bridge.database.db, annaA);
});
afterAll(async () => bridge?.close());

test("GET /fhir/Patient is the patient's own records at every clinic; reads, vreads and history reach both clinics", async () => {
  const list = await asPatient('/fhir/Patient');
  expect(list.status).toBe(200);
  expect(list.body.entry.map((e: any) => e.resource.id).sort()).toEqual([annaA, annaB].sort());
  for (const [type, id] of [
    ['Patient', annaB],
    ['Observation', obsA],
    ['Observation', obsB],
  ]) {
    const read = await asPatient(`/fhir/${type}/${id}`);
    expect({ id, status: read.status, got: read.body.id }).toEqual({ id, status: 200, got: id });
    expect((await asPatient(`/fhir/${type}/${id}/_history/1`)).status).toBe(200);
    const history = await asPatient(`/fhir/${type}/${id}/_history`);
    expect(history.body).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 1 });
  }
  // Shared entities their records reference are readable; their own clinics' consents play no part (B has none for A).
  const rows = (await bridge.database.db.query(`SELECT agent, clinic_id FROM audit_event WHERE agent->>'kind' = 'patient' AND action = 'read'`)).rows;
  expect(rows.length).toBeGreaterThanOrEqual(3);
  expect(rows.every((r) => r.clinic_id === null && r.agent.accountId)).toBe(true);
});

test('$everything spans both clinics and never follows a reference into another person; $summary and the timeline work', async () => {
  for (const id of [annaA, annaB]) {
    const all = await asPatient(`/fhir/Patient/${id}/$everything`);
    expect(all.status).toBe(200);
    const ids = all.body.entry.map((e: any) => e.resource.id);
    expect(ids).toEqual(expect.arrayContaining([annaA, annaB, obsA, obsB, obsRef]));
    expect(JSON.stringify(all.body)).not.toContain(obsCarl);
    expect(ids).not.toContain(carl);
  }
  const summary = await asPatient(`/fhir/Patient/${annaB}/$summary`);
  expect(summary.status).toBe(200);
  expect(summary.body).toMatchObject({ resourceType: 'Bundle', type: 'document' });
  const timeline = await asPatient(`/patients/${annaA}/history`);
  expect(timeline.status).toBe(200);
  expect(new Set(timeline.body.events.map((e: any) => e.clinic.name))).toEqual(new Set(['Berlin', 'Munich']));
  expect(timeline.body.person.id).toBeUndefined();
  for (const p of await personIds()) expect(JSON.stringify(timeline.body)).not.toContain(p);
});

test("another person's ids answer exactly like unknown ids everywhere (no oracle)", async () => {
  const carlEntry = (await bridge.database.db.query('SELECT id FROM audit_event WHERE $1 = ANY(patient_ids) LIMIT 1', [carl])).rows[0].id;
  const paths = (id: string, type = 'Patient'): string[] => [
    `/fhir/${type}/${id}`,
    `/fhir/${type}/${id}/_history/1`,
    `/fhir/${type}/${id}/_history`,
    ...(type === 'Patient' ? [`/fhir/Patient/${id}/$everything`, `/fhir/Patient/${id}/$summary`, `/patients/${id}/history`] : []),
  ];
  const answer = async (path: string, id: string) => {
    const res = await asPatient(path);
    return { status: res.status, body: JSON.stringify(res.body).split(id).join('<id>') };
  };
  for (const [other, type] of [
    [carl, 'Patient'],
    [obsCarl, 'Observation'],
    ['m' + 'ab'.repeat(16), 'Patient'], // a match handle
  ]) {
    const [theirs, unknown] = [paths(other, type), paths(UNKNOWN, type)];
    for (let i = 0; i < theirs.length; i++) {
      const got = await answer(theirs[i], other);
      expect({ path: theirs[i], ...got }).toEqual({ path: theirs[i], ...(await answer(unknown[i], UNKNOWN)) });
      expect(got.status).toBe(404);
    }
  }
  expect(await answer(`/fhir/AuditEvent/${carlEntry}`, carlEntry)).toEqual(await answer(`/fhir/AuditEvent/${UNKNOWN}`, UNKNOWN));
  expect(await answer(`/fhir/AuditEvent?patient=Patient/${carl}`, carl)).toEqual(await answer(`/fhir/AuditEvent?patient=Patient/${UNKNOWN}`, UNKNOWN));
});

test('searches return only their own records, whatever ids they name', async () => {
  const obs = await asPatient('/fhir/Observation');
  expect(obs.body.entry.map((e: any) => e.resource.id).sort()).toEqual([obsA, obsB, obsRef].sort());
  for (const q of [`Observation?patient=Patient/${carl}`, `Observation?subject=${carl}`, `Patient?_id=${carl}`, `Observation?_id=${obsCarl}`]) {
    const res = await asPatient(`/fhir/${q}`);
    expect({ q, status: res.status, entries: res.body.entry ?? [] }).toEqual({ q, status: 200, entries: [] });
  }
  const named = await asPatient(`/fhir/Observation?patient=Patient/${annaB}`);
  expect(named.body.entry.map((e: any) => e.resource.id)).toEqual([obsB]);
  // Includes and reverse includes stay within their own records: Carl's Patient and Observation never appear.
  const ids = (b: any): string[] => (b.entry ?? []).map((e: any) => e.resource.id).sort();
  const included = await asPatient('/fhir/Observation?_include=Observation:subject');
  expect(ids(included.body)).toEqual(expect.arrayContaining([obsA, obsB, annaA, annaB]));
  const reverse = await asPatient('/fhir/Patient?_revinclude=Observation:subject&_revinclude=Observation:performer');
  expect(ids(reverse.body)).toEqual(expect.arrayContaining([annaA, annaB, obsA, obsB]));
  for (const b of [included.body, reverse.body]) for (const theirs of [carl, obsCarl]) expect(ids(b)).not.toContain(theirs);
  expect(ids((await asPatient(`/fhir/Patient?_has:Observation:subject:_id=${obsCarl}`)).body)).toEqual([]);
});

test('scope patient/Observation.rs reads Observations only; everything else is 403, audited on the account', async () => {
  const narrow = await patientToken(bridge.database.db, annaA, ['patient/Observation.rs']);
  expect((await asPatient(`/fhir/Observation/${obsB}`, narrow)).status).toBe(200);
  expect((await asPatient('/fhir/Observation', narrow)).status).toBe(200);
  for (const path of [`/fhir/Patient/${annaA}`, '/fhir/Patient', `/fhir/Patient/${annaA}/$everything`, `/patients/${annaA}/history`, '/fhir/AuditEvent']) {
    const res = await asPatient(path, narrow);
    expect({ path, status: res.status, type: res.body.resourceType }).toEqual({ path, status: 403, type: 'OperationOutcome' });
  }
  const refused = (
    await bridge.database.db.query(
      `SELECT resource_types, detail FROM audit_event WHERE agent->>'kind' = 'patient' AND outcome = 'refused' AND detail LIKE '%token scope%'`,
    )
  ).rows;
  expect(refused).toHaveLength(5);
  expect(refused.map((r) => r.resource_types[0])).toEqual(expect.arrayContaining(['Patient', 'AuditEvent']));
});

test('clinic operations stay closed to a patient token: writes, $match, clinic Subscriptions, admin', async () => {
  const all = await patientToken(bridge.database.db, annaA, ['patient/*.cruds']);
  const before = (await bridge.database.db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n;
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${annaA}` } };
  for (const [method, path, body] of [
    ['PUT', `/fhir/Observation/${obsA}`, { ...obs, id: obsA }],
    ['POST', '/fhir/Observation', obs],
    ['DELETE', `/fhir/Observation/${obsA}`, undefined],
    [
      'POST',
      '/fhir/Patient/$match',
      { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', name: [{ family: 'Krause' }] } }] },
    ],
  ] as [string, string, unknown][]) {
    const res = await api(bridge.url, all, method, path, body);
    expect({ method, path, status: res.status, type: res.body?.resourceType }).toEqual({ method, path, status: 403, type: 'OperationOutcome' });
  }
  expect((await api(bridge.url, all, 'GET', '/admin/clinics')).status).toBe(401);
  // Subscriptions a patient lists are their own notification hooks only: never a clinic's.
  const subs = await api(bridge.url, all, 'GET', '/fhir/Subscription');
  expect({ status: subs.status, type: subs.body.resourceType, entries: subs.body.entry ?? [] }).toEqual({ status: 200, type: 'Bundle', entries: [] });
  expect((await bridge.database.db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n).toBe(before);
});

test("the access log: B's consented read, D's break-glass pull with its reason, the patient's own reads; anchoring state; nothing of Carl", async () => {
  await asPatient(`/fhir/Observation/${obsB}`);
  const log = await asPatient('/fhir/AuditEvent?_count=1000');
  expect(log.status).toBe(200);
  const events = log.body.entry.map((e: any) => e.resource);
  const who = (e: any) => e.agent[0].who.display;
  const consented = events.find((e: any) => who(e) === 'Munich' && e.subtype.some((s: any) => s.code === 'read'));
  expect(consented).toMatchObject({ outcome: '0', agent: [{ who: { reference: `Organization/${B.id}`, display: 'Munich' } }] });
  expect(consented.entity.find((x: any) => x.what?.reference)?.what.reference).toBe(`Patient/${annaA}`);
  const glass = events.find((e: any) => who(e) === 'Rome abroad' && e.meta.security?.some((s: any) => s.code === 'BTG'));
  expect(glass.purposeOfEvent[0]).toMatchObject({ text: REASON, coding: expect.arrayContaining([expect.objectContaining({ code: 'ETREAT' })]) });
  expect(glass.subtype.map((s: any) => s.code)).toContain('everything');
  const mine = events.filter((e: any) => who(e) === 'you');
  expect(mine.length).toBeGreaterThan(3);
  expect(mine[0].agent[0]).toMatchObject({ who: { reference: `Patient/${annaA}` }, role: [{ coding: [{ code: 'PAT' }] }] });
  // Every entry carries its hash and anchoring state (pending: this app runs no batcher; test/e2e anchors them).
  for (const e of events) {
    const hash = ext(e, AUDIT_HASH_EXTENSION).valueString;
    const anchor = ext(e, AUDIT_ANCHOR_EXTENSION).extension;
    expect(anchor.find((x: any) => x.url === 'status').valueCode).toBe('pending');
    expect(anchor.find((x: any) => x.url === 'receipt').valueUrl).toBe(`${bridge.url}/anchors/audit/${hash}`);
  }
  // Nothing of Carl, no internal person id, no account id of the clinics' views.
  const text = JSON.stringify(log.body);
  for (const id of [carl, obsCarl, ...(await personIds())]) expect(text).not.toContain(id);
  const carlEntries = (await bridge.database.db.query('SELECT id::text FROM audit_event WHERE $1 = ANY(patient_ids)', [carl])).rows.map((r) => r.id);
  for (const id of carlEntries) expect(text).not.toContain(id);
  // One entry by id, as in the searchset.
  const one = await asPatient(`/fhir/AuditEvent/${glass.id}`);
  expect(one.status).toBe(200);
  expect(one.body.purposeOfEvent).toEqual(glass.purposeOfEvent);
});

test('the access log pages with _count and _offset over a snapshot: entries recorded meanwhile never shift the pages', async () => {
  const first = await asPatient('/fhir/AuditEvent?_count=2');
  expect(first.body.entry).toHaveLength(2);
  const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
  expect(next).toContain('_offset=2');
  expect(new URL(next).searchParams.get('_lastUpdated')).toBe(`le${first.body.entry[0].resource.recorded}`);
  // More entries meanwhile (reads, and reading the log itself is audited).
  await asPatient(`/fhir/Observation/${obsA}`);
  const second = await asPatient(new URL(next).pathname + new URL(next).search);
  expect(second.status).toBe(200);
  expect(second.body.entry).toHaveLength(2);
  const unpaged = await asPatient(`/fhir/AuditEvent?_count=4&_lastUpdated=${encodeURIComponent(`le${first.body.entry[0].resource.recorded}`)}`);
  expect([...first.body.entry, ...second.body.entry].map((e: any) => e.resource.id)).toEqual(unpaged.body.entry.map((e: any) => e.resource.id));
  expect((await asPatient('/fhir/AuditEvent?_lastUpdated=gt2024-01-01')).status).toBe(400);
  // Narrowed to one record of theirs.
  const onlyB = await asPatient(`/fhir/AuditEvent?patient=Patient/${annaB}&_count=1000`);
  for (const e of onlyB.body.entry) expect(JSON.stringify(e.resource.entity ?? [])).toContain(annaB);
});

test("a clinic sees the patient's own reads of its records as 'the patient', without the account id", async () => {
  const account = (await bridge.database.db.query('SELECT account_id::text FROM patient_account_record WHERE patient_id = $1', [annaA])).rows[0].account_id;
  const trail = await api(bridge.url, B.apiKey, 'GET', `/fhir/AuditEvent?patient=Patient/${annaB}&_count=1000`);
  expect(trail.status).toBe(200);
  const byPatient = trail.body.entry.map((e: any) => e.resource).filter((e: any) => e.agent[0].who.display === 'the patient');
  expect(byPatient.length).toBeGreaterThan(0);
  expect(byPatient[0].agent[0].who).toEqual({ reference: `Patient/${annaB}`, display: 'the patient' });
  expect(byPatient.every((e: any) => e.outcomeDesc === undefined)).toBe(true);
  const text = JSON.stringify(trail.body);
  expect(text).not.toContain(account);
  expect(text).not.toContain(annaA);
  // The hashed document names the account: not served to the clinic.
  expect((await api(bridge.url, B.apiKey, 'GET', `/fhir/AuditEvent/${byPatient[0].id}/$record`)).status).toBe(403);
  // The patient may fetch it, to verify it against its receipt.
  const record = await asPatient(`/fhir/AuditEvent/${byPatient[0].id}/$record`);
  expect(record.status).toBe(200);
  expect(record.body.agent).toEqual({ kind: 'patient', accountId: account });
});
