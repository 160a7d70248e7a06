/**
 * Regression suite for "linking identifies; it never authorizes" (issue 9). Clinics A and B hold records of one
 * person (same us-ssn and passport-DEU), with clinical data and accesses: a consented read by B of A's record, a
 * break-glass read by an enabled clinic E of B's record. Clinic X then pushes only
 * `{"resourceType":"Patient","identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-22-1962"}]}` and
 * so becomes linked to the same person. X must get nothing of A's or B's, on every path a clinic could try, and an id
 * of theirs must answer exactly as an id that names nothing (HAPI FHIR and Medplum answer 404 for resources outside
 * the caller's compartment; so does the bridge). Real PostgreSQL, the real bridge over HTTP.
 */
import { api } from '../../helpers/fixtures';
import { consent, located, putBundle } from '../../helpers/people';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';
import { waitFor } from '../../helpers/wait';

const SSN = 'http://hl7.org/fhir/sid/us-ssn';
const PASSPORT_DEU = 'http://hl7.org/fhir/sid/passport-DEU';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const GLASS = { 'X-Break-Glass': 'unconscious in ER, no relatives reachable', 'X-Purpose-Of-Use': 'ETREAT' };

type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let A: Clinic, B: Clinic, E: Clinic, X: Clinic;
/** Bridge ids: A's and B's Patient, Observation, Condition; X's claimed Patient; the person. */
let pa: string, pb: string, obsA: string, condA: string, obsB: string, px: string, personId: string;
/** Every answer body X received, for the final "nothing of theirs" check. */
const answersToX: { path: string; text: string }[] = [];

/** `asked`: what the request named besides its path (a push's conditional reference), which its answer may echo. */
const call = async (c: Clinic, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, asked = '') => {
  const res = await api(bridge.url, c.apiKey, method, path, body, headers);
  if (c === X) answersToX.push({ path: `${path} ${asked}`, text: JSON.stringify(res.body ?? null) });
  return res;
};
const get = (c: Clinic, path: string, headers: Record<string, string> = {}) => call(c, 'GET', path, undefined, headers);
const push = async (c: Clinic, body: unknown) => {
  const res = await call(c, 'POST', '/fhir', body);
  expect(res.status).toBe(200);
  return res.body;
};

/** The record of the traveller at a clinic: Patient (by its own id), an Observation and a Condition about it. */
function record(sourceId: string, family: string, loinc: string): unknown {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          id: sourceId,
          name: [{ family, given: ['Lena'] }],
          birthDate: '1962-02-02',
          gender: 'female',
          identifier: [
            { system: 'urn:example:mrn', value: `mrn-${sourceId}` },
            { system: SSN, value: '999-22-1962' },
            { system: PASSPORT_DEU, value: 'C01X00T47' },
          ],
        },
        request: { method: 'PUT', url: `Patient/${sourceId}` },
      },
      {
        resource: {
          resourceType: 'Observation',
          id: `obs-${sourceId}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
          subject: { reference: `Patient/${sourceId}` },
          effectiveDateTime: '2024-05-01T10:00:00Z',
          valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
        },
        request: { method: 'PUT', url: `Observation/obs-${sourceId}` },
      },
      {
        resource: {
          resourceType: 'Condition',
          id: `cond-${sourceId}`,
          subject: { reference: `Patient/${sourceId}` },
          code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }] },
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        },
        request: { method: 'PUT', url: `Condition/cond-${sourceId}` },
      },
    ],
  };
}

/**
 * X asks for `template` with another clinic's id and with an id that names nothing: same status, same body (the id
 * asked for aside, which the diagnostics and self links echo).
 */
async function sameAsUnknown(template: string, foreignId: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const foreign = await get(X, template.replace('{id}', foreignId), headers);
  const unknown = await get(X, template.replace('{id}', UNKNOWN), headers);
  expect({ path: template, status: foreign.status }).toEqual({ path: template, status: unknown.status });
  expect(JSON.stringify(foreign.body)).toBe(JSON.stringify(unknown.body).split(UNKNOWN).join(foreignId));
  return foreign;
}

const auditIdsOf = async (clinicId: string): Promise<string[]> =>
  (await bridge.database.db.query('SELECT id FROM audit_event WHERE clinic_id = $1', [clinicId])).rows.map((r) => r.id);

beforeAll(async () => {
  bridge = await startTestBridge();
  [A, B, E, X] = [
    await bridge.clinic('Alpha Klinikum'),
    await bridge.clinic('Beta Praxis'),
    await bridge.clinic('Emergency Ward'),
    await bridge.clinic('Xeno Clinic'),
  ];
  expect((await api(bridge.url, ADMIN_TOKEN, 'PUT', `/admin/clinics/${E.id}/break-glass`)).status).toBe(200);
  const a = await push(A, record('a-lena', 'Weber', '8867-4'));
  const b = await push(B, record('b-lena', 'Weber', '8480-6'));
  [pa, obsA, condA] = [located(a, 0).slice(8), located(a, 1), located(a, 2)];
  [pb, obsB] = [located(b, 0).slice(8), located(b, 1)];
  // Accesses the trail records: B reads A's record under A's Consent; E reads B's record by break-glass.
  await push(A, putBundle(consent('share-with-b', 'Patient/a-lena', B.id)));
  expect((await get(B, `/fhir/${obsA}`)).status).toBe(200);
  expect((await get(B, `/fhir/Patient/${pb}/$everything`)).status).toBe(200);
  expect((await get(E, `/fhir/${obsB}`, GLASS)).status).toBe(200);

  // The claim: X pushes a bare Patient with the person's SSN.
  const claim = await call(X, 'POST', '/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: SSN, value: '999-22-1962' }] });
  expect(claim.status).toBe(201);
  px = claim.body.id;
  const persons = (await bridge.database.db.query('SELECT id, person_id FROM patient WHERE id = ANY($1::uuid[])', [[pa, pb, px]])).rows;
  personId = persons.find((r) => r.id === pa).person_id;
  // The premise: linking did happen (X's record identifies the same person); it must authorize nothing.
  expect(persons.map((r) => r.person_id)).toEqual([personId, personId, personId]);
});
afterAll(async () => bridge?.close());

test("read, vread and instance _history of A's and B's resources answer as unknown ids", async () => {
  for (const [type, id] of [
    ['Patient', pa],
    ['Patient', pb],
    ['Observation', obsA.slice(12)],
    ['Condition', condA.slice(10)],
    ['Observation', obsB.slice(12)],
  ]) {
    for (const suffix of ['', '/_history', '/_history/1']) {
      const res = await sameAsUnknown(`/fhir/${type}/{id}${suffix}`, id);
      expect(res.status).toBe(404);
    }
  }
  // Break-glass from a clinic not enabled for it is refused before anything is looked up (the same for every id).
  expect((await sameAsUnknown('/fhir/Patient/{id}', pa, GLASS)).status).toBe(403);
});

test("type-level _history and searches by patient, subject, _id and identifier find only X's own record", async () => {
  // History feeds (type and system) and $meta list X's own records only: a link to the person adds none of theirs.
  const history = await get(X, '/fhir/Patient/_history');
  expect(history.status).toBe(200);
  expect([...new Set(history.body.entry.map((e: any) => e.fullUrl.split('/').pop()))]).toEqual([px]);
  const all = await get(X, '/fhir/_history?_count=1000');
  expect(all.status).toBe(200);
  expect([...new Set(all.body.entry.map((e: any) => e.fullUrl.split('/').pop()))]).toEqual([px]);
  expect((await get(X, '/fhir/$meta')).status).toBe(200);
  for (const template of [
    '/fhir/Observation?patient=Patient/{id}',
    '/fhir/Observation?subject=Patient/{id}',
    '/fhir/Condition?patient={id}',
    '/fhir/Patient?_id={id}',
    `/fhir/Patient?_id={id},${px}`,
  ]) {
    for (const id of [pa, pb]) {
      const res = await sameAsUnknown(template, id);
      expect(res.status).toBe(200);
      expect((res.body.entry ?? []).map((e: any) => e.resource.id)).toEqual(template.includes(px) ? [px] : []);
    }
  }
  const bySsn = await get(X, `/fhir/Patient?identifier=${encodeURIComponent(`${SSN}|999-22-1962`)}`);
  expect(bySsn.body.entry.map((e: any) => e.resource.id)).toEqual([px]);
  const byPassport = await get(X, `/fhir/Patient?identifier=${encodeURIComponent(`${PASSPORT_DEU}|C01X00T47`)}`);
  expect(byPassport.body.entry ?? []).toEqual([]);
  const obs = await get(X, `/fhir/Observation?patient=Patient/${px}`);
  expect(obs.body.entry ?? []).toEqual([]);
  expect((await get(X, `/fhir/Observation?identifier=${encodeURIComponent('urn:example:mrn|mrn-a-lena')}`)).body.entry ?? []).toEqual([]);
});

test("AuditEvent: none of A's or B's entries; X's own entries carry no person id and no foreign patient id", async () => {
  expect((await sameAsUnknown('/fhir/AuditEvent?patient=Patient/{id}', pa)).status).toBe(404);
  expect((await sameAsUnknown('/fhir/AuditEvent?patient={id}', pb)).status).toBe(404);
  const own = await get(X, `/fhir/AuditEvent?patient=Patient/${px}&_count=1000`);
  expect(own.status).toBe(200);
  const foreignEntries = new Set([...(await auditIdsOf(A.id)), ...(await auditIdsOf(B.id)), ...(await auditIdsOf(E.id))]);
  expect(own.body.entry.length).toBeGreaterThan(0);
  expect(own.body.entry.filter((e: any) => foreignEntries.has(e.resource.id))).toEqual([]);
  for (const id of [...foreignEntries].slice(0, 12)) {
    expect((await sameAsUnknown('/fhir/AuditEvent/{id}', id)).status).toBe(404);
    expect((await sameAsUnknown('/fhir/AuditEvent/{id}/$record', id)).status).toBe(404);
  }
  // X's own refusals (recorded with the person and the record it tried) are shown to it without either.
  const refusals = (
    await bridge.database.db.query(`SELECT id, person_id FROM audit_event WHERE clinic_id = $1 AND outcome = 'refused' AND cardinality(patient_ids) > 0`, [
      X.id,
    ])
  ).rows;
  expect(refusals.length).toBeGreaterThan(0);
  expect(refusals.every((r) => r.person_id === personId)).toBe(true);
  for (const r of refusals) {
    const event = await get(X, `/fhir/AuditEvent/${r.id}`);
    expect(event.status).toBe(200);
    expect(event.body.agent[0].who.reference).toBe(`Organization/${X.id}`);
    expect((event.body.entity ?? []).filter((e: any) => e.what)).toEqual([]);
    // Its hashed document names the record X was refused: not served.
    expect((await get(X, `/fhir/AuditEvent/${r.id}/$record`)).status).toBe(403);
  }
});

test("$everything, $summary and /patients/{id}/history: 404 as unknown for theirs; X's own record only for its own", async () => {
  for (const template of ['/fhir/Patient/{id}/$everything', '/fhir/Patient/{id}/$summary', '/patients/{id}/history']) {
    for (const id of [pa, pb]) expect((await sameAsUnknown(template, id)).status).toBe(404);
    expect((await get(X, template.replace('{id}', pa), GLASS)).status).toBe(403); // X is not enabled for break-glass
  }
  const everything = await get(X, `/fhir/Patient/${px}/$everything`);
  expect(everything.status).toBe(200);
  expect(everything.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`)).toEqual([`Patient/${px}`]);
  const summary = await get(X, `/fhir/Patient/${px}/$summary`);
  expect(summary.status).toBe(200);
  const timeline = await get(X, `/patients/${px}/history`);
  expect(timeline.status).toBe(200);
  expect(timeline.body.person.id).toBeUndefined();
  expect(timeline.body.person.patients.map((p: any) => p.id)).toEqual([px]);
  expect(timeline.body.events).toEqual([]);
});

test("$export (system and Patient level) holds only X's own records", async () => {
  for (const path of ['/fhir/$export', '/fhir/Patient/$export']) {
    const kickoff = await get(X, path, { prefer: 'respond-async' });
    expect(kickoff.status).toBe(202);
    const status = new URL(kickoff.headers.get('content-location') as string).pathname;
    const manifest = await waitFor(
      async () => {
        const res = await get(X, status);
        return res.status === 200 ? res.body : undefined;
      },
      { what: `the export ${path}` },
    );
    for (const o of manifest.output as { url: string }[]) {
      const file = await fetch(o.url, { headers: { authorization: `Bearer ${X.apiKey}` } });
      expect(file.status).toBe(200);
      const text = await file.text();
      answersToX.push({ path: o.url, text });
      for (const line of text.split('\n').filter(Boolean)) {
        const r = JSON.parse(line);
        if (r.resourceType === 'Patient') expect(r.id).toBe(px);
      }
    }
  }
});

test("conditional references in a push never attach X's data to A's record, nor reveal it", async () => {
  const observation = (subject: string, code: string) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: subject } },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  });
  // A's passport, which only A and B hold, resolves exactly as a passport nobody holds: it matches nothing.
  const pushing = (subject: string, code: string) => call(X, 'POST', '/fhir', observation(subject, code), {}, subject);
  const byPassport = await pushing(`Patient?identifier=${PASSPORT_DEU}|C01X00T47`, '1-8');
  const byNobody = await pushing(`Patient?identifier=${PASSPORT_DEU}|ZZ9999999`, '1-8');
  expect(byPassport.status).toBeGreaterThanOrEqual(400);
  expect(byPassport.status).toBe(byNobody.status);
  expect(JSON.stringify(byPassport.body)).toBe(JSON.stringify(byNobody.body).split('ZZ9999999').join('C01X00T47'));
  const byId = await pushing(`Patient?_id=${pa}`, '2-6');
  const byUnknownId = await pushing(`Patient?_id=${UNKNOWN}`, '2-6');
  expect(byId.status).toBeGreaterThanOrEqual(400);
  expect(JSON.stringify(byId.body)).toBe(JSON.stringify(byUnknownId.body).split(UNKNOWN).join(pa));
  const literal = await pushing(`Patient/${pa}`, '3-4');
  const literalUnknown = await pushing(`Patient/${UNKNOWN}`, '3-4');
  expect(literal.status).toBe(literalUnknown.status);
  // Writes naming A's record (update, delete, conditional create on A's passport) behave as for an id nobody holds.
  const put = async (id: string) => call(X, 'PUT', `/fhir/Patient/${id}`, { resourceType: 'Patient', id, gender: 'other' }, {}, id);
  const [putTheirs, putNobody] = [await put(pa), await put(UNKNOWN)];
  expect(putTheirs.status).toBe(putNobody.status);
  expect((await bridge.database.db.query('SELECT clinic_id FROM resource WHERE id = $1', [pa])).rows[0].clinic_id).toBe(A.id);
  const del = async (id: string) => call(X, 'DELETE', `/fhir/Observation/${id}`, undefined, {}, id);
  const [delTheirs, delNobody] = [await del(obsA.slice(12)), await del(UNKNOWN)];
  expect(delTheirs.status).toBe(delNobody.status);
  expect((await get(A, `/fhir/${obsA}`)).status).toBe(200);
  const create = async (value: string) =>
    call(
      X,
      'POST',
      '/fhir/Patient',
      { resourceType: 'Patient', identifier: [{ system: PASSPORT_DEU, value }] },
      { 'If-None-Exist': `identifier=${PASSPORT_DEU}|${value}` },
      value,
    );
  const [createTheirs, createNobody] = [await create('C01X00T47'), await create('ZZ9999998')];
  expect(createTheirs.status).toBe(201); // created anew: nothing of A's or B's matched
  expect(createNobody.status).toBe(201);
  // The SSN X holds itself resolves to X's own record only.
  const bySsn = await pushing(`Patient?identifier=${SSN}|999-22-1962`, '4-2');
  expect(bySsn.status).toBe(200);
  const attached = (await bridge.database.db.query('SELECT patient_id FROM resource WHERE clinic_id = $1 AND resource_type = $2', [X.id, 'Observation'])).rows;
  expect(attached.length).toBeGreaterThan(0);
  expect(attached.every((r) => r.patient_id === null || r.patient_id === px)).toBe(true);
  const inTheirs = (
    await bridge.database.db.query('SELECT count(*)::int AS n FROM resource WHERE clinic_id = $1 AND patient_id = ANY($2::uuid[])', [X.id, [pa, pb]])
  ).rows[0];
  expect(inTheirs.n).toBe(0);
});

test("A, a home clinic, sees B's consented read of its record (agent B), not entries about B's records only", async () => {
  const trail = await get(A, `/fhir/AuditEvent?patient=Patient/${pa}&_count=1000`);
  expect(trail.status).toBe(200);
  const events = trail.body.entry.map((e: any) => e.resource);
  const readByB = events.find((e: any) => e.agent[0].who.reference === `Organization/${B.id}` && e.subtype.some((s: any) => s.code === 'read'));
  expect(readByB).toBeDefined();
  expect(readByB.entity.filter((x: any) => x.what?.reference).map((x: any) => x.what.reference)).toEqual([`Patient/${pa}`]);
  // E's break-glass read was of B's record only; X's claim push was of X's record only.
  expect(events.some((e: any) => e.agent[0].who.reference === `Organization/${E.id}`)).toBe(false);
  expect(events.some((e: any) => e.agent[0].who.reference === `Organization/${X.id}` && e.outcome === '0')).toBe(false);
  const text = JSON.stringify(trail.body);
  expect(text).not.toContain(pb);
  expect(text).not.toContain(px);
  expect(text).not.toContain(personId);
  // X's refused attempts on A's record are accesses to A's record: A sees who tried (agent X), nothing of X's record.
  expect(events.some((e: any) => e.agent[0].who.reference === `Organization/${X.id}` && e.outcome === '4')).toBe(true);
  // And B, the other home clinic, sees the break-glass read of its record, flagged.
  const ofB = await get(B, `/fhir/AuditEvent?patient=Patient/${pb}&_count=1000`);
  expect(ofB.body.entry.some((e: any) => e.resource.agent[0].who.reference === `Organization/${E.id}` && e.resource.meta.security?.[0].code === 'BTG')).toBe(
    true,
  );
});

test("no answer to X names A's or B's records, the person, or A's and B's clinics", () => {
  expect(answersToX.length).toBeGreaterThan(50);
  // Answers to requests that named a foreign id echo that id only where an unknown id is echoed too (checked above).
  const asked = (path: string): boolean => [pa, pb, obsA, condA, obsB, 'C01X00T47'].some((id) => path.includes(id.split('/').pop() as string));
  for (const { path, text } of answersToX.filter((a) => !asked(a.path))) {
    for (const secret of [
      pa,
      pb,
      obsA.split('/')[1],
      condA.split('/')[1],
      obsB.split('/')[1],
      personId,
      A.id,
      B.id,
      E.id,
      'Alpha Klinikum',
      'Beta Praxis',
      'Weber',
      'C01X00T47',
    ]) {
      expect({ path, leaks: text.includes(secret) ? secret : null }).toEqual({ path, leaks: null });
    }
  }
});
