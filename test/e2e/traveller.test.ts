import fs from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { verifyReceipt } from '../../bridge/anchor/verify';
import { MATCH_GRADE_URL } from '../../bridge/fhir/match-bundle';
import { createPool, type Db } from '../../bridge/store/db';
import { runVerifyCommand } from '../helpers/anchor/cli';
import { startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { createEmptyDatabase } from '../helpers/db';
import { api, sampleFiles } from '../helpers/fixtures';
import { freePort } from '../helpers/net';
import { testWithSamples } from '../helpers/samples';
import { waitFor } from '../helpers/wait';
import { consentRequestTask, dayFromToday } from '../helpers/consent-requests';

/**
 * The scenario the product exists for, end to end over HTTP against a started `fhir-bridge start` process (so the
 * notification loop and the rest of main.ts run as deployed): a German traveller is held by clinic A (Berlin) and
 * clinic B (Munich), linked by her passport; clinic C in Lisbon has pushed nothing, finds her with Patient/$match
 * (IHE PDQm ITI-119), sees nothing before consent, asks for access with a Task (FHIR R4 task.html, workflow
 * request/response), A approves and B declines, C is told by a Subscription rest-hook (R4 subscription.html) and pulls
 * A's records by handle, never B's; A sees C's accesses in its audit trail and can prove its push was not altered.
 */
const ADMIN = 'e2e-traveller-admin-token-0123456789';
const PASSPORT_SYSTEM = 'http://hl7.org/fhir/sid/passport-DEU';
const PASSPORT = { system: PASSPORT_SYSTEM, value: 'C7T4K9N2X' };
const UNKNOWN_HANDLE = `m${'0'.repeat(32)}`;

type Clinic = { id: string; apiKey: string; name: string };
type Answer = Awaited<ReturnType<typeof api>>;
let bridge: BridgeProcess;
let database: { url: string; drop(): Promise<void> };
let db: Db;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'traveller-e2e-'));
const hooks: Hook[] = [];

const call = (c: Clinic, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  api(bridge.url, c.apiKey, method, p, body, headers);
const ETREAT = { 'x-purpose-of-use': 'ETREAT' };

async function clinic(name: string): Promise<Clinic> {
  const res = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  const { id, apiKey } = (await res.json()) as { id: string; apiKey: string };
  return { id, apiKey, name };
}

/**
 * Makes `c` a SMART Backend Services client (SMART App Launch 2.x, client credentials with a `private_key_jwt`
 * assertion, RFC 7523), with `jose` as the client library: its ES384 public key registered by the admin, a fresh
 * assertion exchanged for an access token of `scope`. Returns the token, used as the bearer instead of the API key.
 */
async function smartToken(c: Clinic, scope: string): Promise<string> {
  const pair = await generateKeyPair('ES384');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: `k-${c.id}`, alg: 'ES384' };
  const reg = await api(bridge.url, ADMIN, 'PUT', `/admin/clinics/${c.id}/smart-client`, { jwks: { keys: [jwk] } }, { 'content-type': 'application/json' });
  expect(reg.status).toBe(200);
  const config = (await (await fetch(`${bridge.url}/.well-known/smart-configuration`)).json()) as { token_endpoint: string };
  const grant = async (s: string): Promise<string> => {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(reg.body.client_id)
      .setSubject(reg.body.client_id)
      .setAudience(config.token_endpoint)
      .setExpirationTime('4m')
      .setJti(randomUUID())
      .sign(pair.privateKey);
    const res = await fetch(config.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: s,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(body.scope.split(' ').sort()).toEqual(s.split(' ').sort());
    return body.access_token;
  };
  return grant(scope);
}

// ---- the project's own fixture data, written here ----------------------------------------------------------------

const traveller = {
  resourceType: 'Patient',
  id: 'ber-katharina',
  identifier: [PASSPORT, { system: 'urn:example:charite-mrn', value: 'MRN-880231' }],
  name: [{ use: 'official', family: 'Weber', given: ['Katharina', 'Marie'] }],
  birthDate: '1979-08-23',
  gender: 'female',
  address: [{ use: 'home', line: ['Luisenstraße 64'], city: 'Berlin', postalCode: '10117', country: 'DE' }],
  telecom: [
    { system: 'phone', value: '+49 30 98765432', use: 'mobile' },
    { system: 'email', value: 'k.weber@example.de' },
  ],
};
const ref = (id: string) => ({ reference: `Patient/${id}` });
const cc = (system: string, code: string, display: string) => ({ coding: [{ system, code, display }], text: display });
const SNOMED = 'http://snomed.info/sct';
const clinicalA = [
  {
    resourceType: 'AllergyIntolerance',
    id: 'ber-allergy-penicillin',
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', 'confirmed', 'Confirmed'),
    type: 'allergy',
    category: ['medication'],
    criticality: 'high',
    code: cc(SNOMED, '764146007', 'Penicillin'),
    patient: ref('ber-katharina'),
    recordedDate: '2015-06-02',
    reaction: [{ manifestation: [cc(SNOMED, '39579001', 'Anaphylaxis')], severity: 'severe' }],
  },
  {
    resourceType: 'Condition',
    id: 'ber-condition-asthma',
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active', 'Active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
    category: [cc('http://terminology.hl7.org/CodeSystem/condition-category', 'problem-list-item', 'Problem List Item')],
    code: cc(SNOMED, '195967001', 'Asthma'),
    subject: ref('ber-katharina'),
    onsetDateTime: '2001-04-10',
  },
  {
    resourceType: 'Observation',
    id: 'ber-obs-weight',
    status: 'final',
    category: [cc('http://terminology.hl7.org/CodeSystem/observation-category', 'vital-signs', 'Vital Signs')],
    code: cc('http://loinc.org', '29463-7', 'Body weight'),
    subject: ref('ber-katharina'),
    effectiveDateTime: '2026-09-14T09:30:00Z',
    valueQuantity: { value: 64, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  },
  {
    resourceType: 'MedicationStatement',
    id: 'ber-medstmt-salbutamol',
    status: 'active',
    medicationCodeableConcept: cc('http://www.nlm.nih.gov/research/umls/rxnorm', '745679', 'Salbutamol 0.09 MG/ACTUAT Metered Dose Inhaler'),
    subject: ref('ber-katharina'),
    effectivePeriod: { start: '2001-04-10' },
  },
];
const munichRecord = {
  resourceType: 'Patient',
  id: 'muc-kweber',
  identifier: [PASSPORT, { system: 'urn:example:klinikum-muenchen', value: 'KM-5521' }],
  name: [{ family: 'Weber', given: ['Katharina'] }],
  birthDate: '1979-08-23',
  gender: 'female',
  address: [{ city: 'München', postalCode: '80331', country: 'DE' }],
};
const allergyB = {
  resourceType: 'AllergyIntolerance',
  id: 'muc-allergy-latex',
  clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active'),
  type: 'allergy',
  category: ['environment'],
  criticality: 'low',
  code: cc(SNOMED, '111088007', 'Latex'),
  patient: ref('muc-kweber'),
};
const tx = (...resources: Record<string, unknown>[]) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
});

// ---- helpers -----------------------------------------------------------------------------------------------------

const matchParams = (patient: Record<string, unknown>) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'resource', resource: { resourceType: 'Patient', ...patient } },
    { name: 'count', valueInteger: 5 },
  ],
});
const grade = (e: any): string => e.search.extension.find((x: any) => x.url === MATCH_GRADE_URL).valueCode;
/** `Type/id` of each entry of a transaction-response. */
const locations = (body: any): string[] => body.entry.map((e: any) => e.response.location.replace(/^.*?\/fhir\//, '').split('/_history')[0]);

function requestTask(handle: string, requester: string): Record<string, unknown> {
  return consentRequestTask({ handle, requester, note: 'admitted with pneumonia in Lisbon, needs allergies and medication' });
}

interface Hook {
  url: string;
  received: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}
/** C's rest-hook endpoint on 127.0.0.1, recording what the bridge delivers. */
async function hookServer(): Promise<Hook> {
  const port = await freePort();
  const received: Hook['received'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method as string, url: req.url as string, body, headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const hook = {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  hooks.push(hook);
  return hook;
}

async function subscribe(c: Clinic, criteria: string, endpoint: string): Promise<void> {
  const res = await call(c, 'POST', '/fhir/Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'consent decisions',
    criteria,
    channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', header: ['Authorization: Bearer c-hook-secret'] },
  });
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('active');
}

/** No string of `secrets` occurs in the answer body (the failure names the answer and the string). */
function expectNoLeak(what: string, res: Answer, secrets: string[]): void {
  const text = JSON.stringify(res.body);
  for (const s of secrets) expect([what, s, text.includes(s)]).toEqual([what, s, false]);
}

/** The answer for `id` is the answer for an unknown id: same status, same body once the id is taken out. */
function expectLikeUnknown(res: Answer, id: string, unknown: Answer, unknownId: string): void {
  expect(res.status).toBe(unknown.status);
  const norm = (a: Answer, x: string): string =>
    JSON.stringify(a.body)
      .split(x)
      .join('<id>')
      .replace(/"(lastUpdated|id)":"[^"]*"/g, '"$1":"?"');
  expect(norm(res, id)).toBe(norm(unknown, unknownId));
}

const personIds = async (): Promise<string[]> => (await db.query('SELECT DISTINCT person_id::text AS p FROM patient')).rows.map((r: any) => r.p);

// ---- the bridge process --------------------------------------------------------------------------------------------

beforeAll(async () => {
  // Its own database on the run's PostgreSQL (the machine's with DATABASE_URL, else the suite's embedded one), so the
  // test can read the internal person ids it must never see in C's answers; the chain is the bridge's embedded one.
  database = await createEmptyDatabase();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    PORT: '0',
    CHAIN_PORT: '0',
    LOG_LEVEL: 'warn',
    BRIDGE_ADMIN_TOKEN: ADMIN,
    BATCH_MAX_WAIT_MS: '200',
    BATCH_MAX_BUNDLES: '4',
    INGEST_WORKERS: '1',
    TS_NODE_TRANSPILE_ONLY: 'true',
    NOTIFY_POLL_MS: '100',
    NOTIFY_RETRY_BASE_MS: '100',
    // The rest-hook endpoint is a local server: private (loopback) hosts must be allowed explicitly.
    NOTIFY_ALLOW_PRIVATE_HOSTS: 'true',
  };
  bridge = await startBridgeProcess(env);
  db = createPool(database.url, 2);
}, 240_000);

afterAll(async () => {
  for (const h of hooks) await h.close();
  if (bridge && bridge.child.exitCode === null && bridge.child.signalCode === null) {
    bridge.child.kill('SIGTERM');
    await bridge.exited;
  }
  await db?.end();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

// ---- the traveller, on the project's fixtures ----------------------------------------------------------------------

test('a German traveller in Lisbon: found, nothing before consent, asked, approved by A, declined by B, pulled, audited, provable', async () => {
  // 1. A (Berlin) and B (Munich) hold her; C (Lisbon) has pushed nothing.
  const [A, B, C] = [await clinic('Charité Berlin Mitte'), await clinic('Klinikum München Süd'), await clinic('Hospital Lisboa Norte')];
  // C's system speaks SMART Backend Services: a token that may search and read everything, ask (create a Task) and subscribe.
  C.apiKey = await smartToken(C, 'system/*.rs system/Task.c system/Subscription.c');
  const bundleA = tx(traveller, ...clinicalA);
  const pushA = await call(A, 'POST', '/fhir', bundleA);
  expect(pushA.status).toBe(200);
  const hashA = pushA.headers.get('x-bundle-hash') as string;
  const [patA, allergyA, conditionA, obsA, medA] = locations(pushA.body);
  const pa = patA.slice('Patient/'.length);
  const pushB = await call(B, 'POST', '/fhir', tx(munichRecord, allergyB));
  expect(pushB.status).toBe(200);
  const [patB, allergyBId] = locations(pushB.body);
  const pb = patB.slice('Patient/'.length);
  const people = await personIds();
  expect(people).toHaveLength(1); // one passport, one person: A's and B's records are linked

  const idsOfAB = [pa, pb, ...[allergyA, conditionA, obsA, medA, allergyBId].map((l) => l.split('/')[1]), A.id, B.id, ...people];
  const namesOfAB = ['ber-katharina', 'muc-kweber', 'MRN-880231', 'KM-5521', 'Charité', 'Klinikum', 'München', 'Berlin', '10117', '98765432', 'k.weber'];
  const clinical = ['AllergyIntolerance', 'Condition', 'Observation', 'MedicationStatement', 'enicillin', 'Latex', 'Asthma', 'Salbutamol', '"meta"'];
  const beforeConsent = [...idsOfAB, ...namesOfAB, ...clinical];

  // 2. C finds her: certain by passport, probable by name + birth date + gender.
  const byPassport = await call(C, 'POST', '/fhir/Patient/$match', matchParams({ identifier: [PASSPORT] }));
  expect(byPassport.status).toBe(200);
  expect(byPassport.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
  expect(grade(byPassport.body.entry[0])).toBe('certain');
  const handle: string = byPassport.body.entry[0].resource.id;
  expect(handle).toMatch(/^m[0-9a-f]{32}$/);
  const byName = await call(
    C,
    'POST',
    '/fhir/Patient/$match',
    matchParams({ name: [{ family: 'Weber', given: ['Katharina'] }], birthDate: '1979-08-23', gender: 'female' }),
  );
  expect(byName.status).toBe(200);
  expect(byName.body.entry).toHaveLength(1); // one person, though two clinics hold her
  expect(grade(byName.body.entry[0])).toBe('probable');
  expect(byName.body.entry[0].search.score).toBeGreaterThanOrEqual(0.98);
  for (const [what, res] of [
    ['$match by passport', byPassport],
    ['$match by demographics', byName],
  ] as const)
    expectNoLeak(what, res, beforeConsent);

  // 3. Before consent: every way in answers like an unknown id, or an empty searchset, and leaks nothing.
  const unknownAllergy = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  const probes: [string, string, string, string][] = [
    // [what, path, id in it, the same path with an unknown id]
    ['$everything', `/fhir/Patient/${handle}/$everything`, handle, UNKNOWN_HANDLE],
    ['$summary', `/fhir/Patient/${handle}/$summary`, handle, UNKNOWN_HANDLE],
    ['history', `/patients/${handle}/history`, handle, UNKNOWN_HANDLE],
    ["$everything on A's id", `/fhir/Patient/${pa}/$everything`, pa, unknownAllergy],
    ["read of A's allergy", `/fhir/${allergyA}`, allergyA.split('/')[1], unknownAllergy],
    ["search by A's patient", `/fhir/AllergyIntolerance?patient=${pa}`, pa, unknownAllergy],
    ["_history of A's allergy", `/fhir/${allergyA}/_history`, allergyA.split('/')[1], unknownAllergy],
    ['Patient search by passport', `/fhir/Patient?identifier=${PASSPORT_SYSTEM}|${PASSPORT.value}`, PASSPORT.value, 'X0000000'],
    ['audit by handle', `/fhir/AuditEvent?patient=Patient/${handle}`, handle, UNKNOWN_HANDLE],
    ["audit by A's id", `/fhir/AuditEvent?patient=Patient/${pa}`, pa, unknownAllergy],
    ["audit by A's bare id", `/fhir/AuditEvent?patient=${pa}`, pa, unknownAllergy],
  ];
  for (const [what, p, id, unknownId] of probes) {
    const res = await call(C, 'GET', p, undefined, ETREAT);
    const unknown = await call(C, 'GET', p.split(id).join(unknownId), undefined, ETREAT);
    expect([what, res.status]).toEqual([what, res.status === 200 ? 200 : 404]);
    if (res.status === 200) expect([what, res.body.type, res.body.total ?? 0, res.body.entry ?? []]).toEqual([what, 'searchset', 0, []]);
    expectLikeUnknown(res, id, unknown, unknownId);
    expectNoLeak(
      what,
      res,
      beforeConsent.filter((s) => s !== id && s !== 'AllergyIntolerance'),
    );
  }

  // 4. C asks: a rest-hook on its Task, a Task for ETREAT over 30 days. A and B each see their own Task only.
  const hook = await hookServer();
  // A read-only token cannot ask (403, nothing reaches the home clinics).
  const readOnly = { ...C, apiKey: await smartToken(C, 'system/*.rs') };
  const refused = await call(readOnly, 'POST', '/fhir/Task', requestTask(handle, C.id));
  expect(refused.status).toBe(403);
  expect(refused.body.resourceType).toBe('OperationOutcome');
  expect((await call(A, 'GET', '/fhir/Task')).body.entry ?? []).toEqual([]);
  const created = await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id));
  expect(created.status).toBe(201);
  const taskC = created.body;
  expect(taskC).toMatchObject({ status: 'requested', for: { reference: `Patient/${handle}` } });
  expectNoLeak(
    "C's Task",
    created,
    beforeConsent.filter((x) => x !== '"meta"'),
  ); // its own Task's meta
  await subscribe(C, `Task?_id=${taskC.id}`, hook.url);

  const [listA, listB] = [await call(A, 'GET', '/fhir/Task?status=requested'), await call(B, 'GET', '/fhir/Task?status=requested')];
  expect(listA.body.entry).toHaveLength(1);
  expect(listB.body.entry).toHaveLength(1);
  const [taskA, taskB] = [listA.body.entry[0].resource, listB.body.entry[0].resource];
  const requester = { reference: `Organization/${C.id}`, display: C.name };
  expect(taskA).toMatchObject({
    status: 'requested',
    for: { reference: `Patient/${pa}` },
    owner: { reference: `Organization/${A.id}` },
    requester,
    reasonCode: { coding: [{ code: 'ETREAT' }] },
  });
  expect(taskB).toMatchObject({ status: 'requested', for: { reference: `Patient/${pb}` }, owner: { reference: `Organization/${B.id}` }, requester });
  expect(taskA.restriction.period).toEqual({ start: dayFromToday(0), end: dayFromToday(30) });
  expectNoLeak("A's Task", listA, [pb, B.id, B.name, 'muc-kweber', ...people]);
  expectNoLeak("B's Task", listB, [pa, A.id, A.name, 'ber-katharina', ...people]);

  // 5. A approves: C is notified, its Task is accepted, it pulls A's records by handle, never B's.
  const approved = await call(A, 'POST', `/fhir/Task/${taskA.id}/$approve`);
  expect(approved.status).toBe(200);
  expect(approved.body.status).toBe('accepted');
  const note = await waitFor(() => hook.received.find((r) => r.body && JSON.parse(r.body).status === 'accepted'), { what: 'the rest-hook notification to C' });
  expect(note).toMatchObject({ method: 'PUT', url: `/hook/Task/${taskC.id}` });
  expect(note.headers.authorization).toBe('Bearer c-hook-secret');
  for (const s of [pa, pb, A.id, B.id, ...people]) expect(note.body).not.toContain(s);
  expect((await call(C, 'GET', `/fhir/Task/${taskC.id}`)).body.status).toBe('accepted');

  const everything = await call(C, 'GET', `/fhir/Patient/${handle}/$everything`, undefined, ETREAT);
  expect(everything.status).toBe(200);
  const pulled = everything.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
  expect(pulled).toEqual(expect.arrayContaining([patA, allergyA, conditionA, obsA, medA]));
  const allergy = everything.body.entry.find((e: any) => `AllergyIntolerance/${e.resource.id}` === allergyA).resource;
  expect(allergy).toMatchObject({ criticality: 'high', code: { coding: [{ code: '764146007', display: 'Penicillin' }] } });
  expectNoLeak('$everything after A approved', everything, [pb, allergyBId.split('/')[1], 'Latex', 'muc-kweber', 'KM-5521', B.id, ...people]);

  const summary = await call(C, 'GET', `/fhir/Patient/${handle}/$summary`, undefined, ETREAT);
  expect(summary.status).toBe(200);
  expect(summary.body).toMatchObject({ resourceType: 'Bundle', type: 'document' });
  const composition = summary.body.entry[0].resource;
  const allergies = composition.section.find((s: any) => s.code.coding.some((c: any) => c.code === '48765-2'));
  const byFullUrl = new Map(summary.body.entry.map((e: any) => [e.fullUrl, e.resource]));
  const listed = (allergies.entry ?? []).map(
    (r: any) =>
      byFullUrl.get(r.reference) ?? summary.body.entry.find((e: any) => r.reference.endsWith(`${e.resource.resourceType}/${e.resource.id}`))?.resource,
  );
  expect(listed.map((r: any) => JSON.stringify(r?.code))).toEqual([expect.stringMatching(/Penicillin/)]);
  expectNoLeak('$summary after A approved', summary, [pb, 'Latex', 'muc-kweber', 'KM-5521', 'München', B.id, ...people]);

  const history = await call(C, 'GET', `/patients/${handle}/history`, undefined, ETREAT);
  expect(history.status).toBe(200);
  // With consented access the timeline names the person (README: `person.id` only for a consented caller), never B's record.
  expect(history.body.person.patients.map((p: any) => [p.id, p.basis])).toEqual([[pa, 'consent']]);
  expect(history.body.events.map((e: any) => `${e.resourceType}/${e.resourceId}`)).toEqual(expect.arrayContaining([allergyA, conditionA, obsA, medA]));
  expectNoLeak('history after A approved', history, [pb, 'Latex', 'muc-kweber', 'KM-5521', 'München', B.id, B.name]);
  // C's own audit view after approval: its own actions, never B's records nor the person id.
  for (const p of [`/fhir/AuditEvent?patient=Patient/${handle}`, `/fhir/AuditEvent?patient=Patient/${pa}`]) {
    expectNoLeak(`C's ${p} after A approved`, await call(C, 'GET', p), [pb, B.id, B.name, 'muc-kweber', ...people]);
  }

  const declined = await call(B, 'POST', `/fhir/Task/${taskB.id}/$decline`, {
    resourceType: 'Parameters',
    parameter: [{ name: 'reason', valueString: 'patient objected' }],
  });
  expect(declined.status).toBe(200);
  expect(declined.body.status).toBe('rejected');
  expect((await call(C, 'GET', `/fhir/Task/${taskC.id}`)).body.status).toBe('accepted');
  const afterDecline = await call(C, 'GET', `/fhir/Patient/${handle}/$everything`, undefined, ETREAT);
  expect(afterDecline.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort()).toEqual([...pulled].sort());
  expectNoLeak('$everything after B declined', afterDecline, [pb, 'Latex', B.id, ...people]);
  const readB = await call(C, 'GET', `/fhir/${allergyBId}`, undefined, ETREAT);
  expectLikeUnknown(readB, allergyBId.split('/')[1], await call(C, 'GET', `/fhir/AllergyIntolerance/${unknownAllergy}`, undefined, ETREAT), unknownAllergy);
  const searchB = await call(C, 'GET', `/fhir/AllergyIntolerance?patient=${pb}`, undefined, ETREAT);
  expect(searchB.body.entry ?? []).toEqual([]);

  // 6. A's audit trail shows C's $match and C's $everything (agent C, purpose ETREAT), and nothing of B's.
  const trail = await call(A, 'GET', `/fhir/AuditEvent?patient=Patient/${pa}&_count=200`);
  expect(trail.status).toBe(200);
  const events = trail.body.entry.map((e: any) => e.resource);
  const byC = (action: string) =>
    events.filter((e: any) => e.agent[0].who?.reference === `Organization/${C.id}` && e.subtype.some((s: any) => s.code === action));
  expect(byC('match').length).toBeGreaterThanOrEqual(2);
  const pulls = byC('everything').filter((e: any) => e.outcome === '0');
  expect(pulls.length).toBeGreaterThanOrEqual(1);
  expect(pulls[0].purposeOfEvent).toEqual([{ text: 'ETREAT' }]);
  expect(pulls[0].entity.map((e: any) => e.what?.reference)).toContain(`Patient/${pa}`);
  expectNoLeak("A's audit trail", trail, [pb, B.id, ...people]);
  // B, a home clinic too, sees that C matched its patient, but no pull of its record (C got nothing of B's).
  const trailB = await call(B, 'GET', `/fhir/AuditEvent?patient=Patient/${pb}&_count=200`);
  const eventsB = trailB.body.entry.map((e: any) => e.resource);
  const byCatB = (action: string) =>
    eventsB.filter((e: any) => e.agent[0].who?.reference === `Organization/${C.id}` && e.subtype.some((s: any) => s.code === action));
  expect(byCatB('match').length).toBeGreaterThanOrEqual(2);
  expect(byCatB('everything').filter((e: any) => e.outcome === '0')).toEqual([]);
  expectNoLeak("B's audit trail", trailB, [pa, A.id, A.name, ...people]);

  // ... and A can prove later that what it pushed was not altered: its receipt verifies against the chain.
  const anchored = await waitFor(
    async () => {
      const r = (await (await fetch(`${bridge.url}/anchors/bundles/${hashA}`)).json()) as { status: string; receipt?: unknown };
      return r.status === 'anchored' ? r : undefined;
    },
    { timeoutMs: 60_000, what: `the receipt of A's push ${hashA}` },
  );
  const { rpcUrl } = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { rpcUrl: string };
  expect(await verifyReceipt({ bundle: bundleA, receipt: anchored.receipt, rpcUrl })).toMatchObject({ valid: true });
  const verified = await runVerifyCommand(dataDir, bundleA, anchored.receipt, rpcUrl);
  expect(verified.code ?? 0).toBe(0);
  expect(verified.out).toMatch(/^VALID bundle/);
  const altered = JSON.parse(JSON.stringify(bundleA).replace('"high"', '"low"'));
  expect(await verifyReceipt({ bundle: altered, receipt: anchored.receipt, rpcUrl })).toMatchObject({ valid: false });

  // So is the record of C's pull in A's trail: its hashed document and its receipt verify against the chain.
  const auditHash = pulls[0].extension.find((x: any) => x.url === 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-hash').valueString;
  const record = await call(A, 'GET', `/fhir/AuditEvent/${pulls[0].id}/$record`);
  expect(record.status).toBe(200);
  expectNoLeak("the audit record's document A is served", record, [pb, B.id, ...people]);
  const auditAnchored = await waitFor(
    async () => {
      const r = (await (await fetch(`${bridge.url}/anchors/audit/${auditHash}`)).json()) as { status: string; receipt?: unknown };
      return r.status === 'anchored' ? r : undefined;
    },
    { timeoutMs: 60_000, what: `the receipt of the audit record ${auditHash}` },
  );
  expect(await verifyReceipt({ bundle: record.body, receipt: auditAnchored.receipt, rpcUrl })).toMatchObject({ valid: true });
  // C reads the record of its own pull too, but not the document: it names A's record, which C is not shown.
  expect(await call(C, 'GET', `/fhir/AuditEvent/${pulls[0].id}/$record`).then((r) => r.status)).toBe(403);
}, 180_000);

// ---- the same with a Synthea patient from the shared samples ---------------------------------------------------

testWithSamples(
  ['synthea-r4'],
  "a Synthea traveller: after A approves, C gets as many of A's resources as A itself",
  async () => {
    const files = sampleFiles('synthea-r4');
    const isInfo = (f: string): boolean => /^(hospital|practitioner)Information/.test(path.basename(f));
    const [smallest] = files.filter((f) => !isInfo(f)).sort((a, b) => fs.statSync(a).size - fs.statSync(b).size);
    const [A, C] = [await clinic('Synthea Klinik Berlin'), await clinic('Synthea Hospital Lisboa')];
    for (const f of files.filter(isInfo)) expect((await call(A, 'POST', '/fhir', fs.readFileSync(f, 'utf8'))).status).toBe(200);
    const bundle = JSON.parse(fs.readFileSync(smallest, 'utf8'));
    const patient = bundle.entry.find((e: any) => e.resource.resourceType === 'Patient').resource;
    const passport = { system: PASSPORT_SYSTEM, value: 'SYN0T4K9N' };
    patient.identifier = [...(patient.identifier ?? []), passport];
    const pushed = await call(A, 'POST', '/fhir', bundle);
    expect(pushed.status).toBe(200);
    const pa = locations(pushed.body)
      .find((l) => l.startsWith('Patient/'))!
      .slice('Patient/'.length);

    const byPassport = await call(C, 'POST', '/fhir/Patient/$match', matchParams({ identifier: [passport] }));
    expect(grade(byPassport.body.entry[0])).toBe('certain');
    const handle: string = byPassport.body.entry[0].resource.id;
    const byName = await call(
      C,
      'POST',
      '/fhir/Patient/$match',
      matchParams({ name: [{ family: patient.name[0].family, given: patient.name[0].given }], birthDate: patient.birthDate, gender: patient.gender }),
    );
    expect(byName.body.entry.map(grade)[0]).toBe('probable');
    for (const res of [byPassport, byName])
      expectNoLeak('$match of the Synthea patient', res, [pa, A.id, A.name, ...(await personIds()), 'Observation', 'Encounter']);
    expect((await call(C, 'GET', `/fhir/Patient/${handle}/$everything`, undefined, ETREAT)).status).toBe(404);

    const hook = await hookServer();
    const taskC = (await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).body;
    await subscribe(C, `Task?_id=${taskC.id}`, hook.url);
    const [taskA] = (await call(A, 'GET', '/fhir/Task?status=requested')).body.entry.map((e: any) => e.resource);
    expect(taskA.for.reference).toBe(`Patient/${pa}`);
    expect((await call(A, 'POST', `/fhir/Task/${taskA.id}/$approve`)).status).toBe(200);
    await waitFor(() => hook.received.some((r) => r.body && JSON.parse(r.body).status === 'accepted'), { what: 'the rest-hook notification to C' });

    const mine = await call(A, 'GET', `/fhir/Patient/${pa}/$everything?_count=5000`);
    const theirs = await call(C, 'GET', `/fhir/Patient/${handle}/$everything?_count=5000`, undefined, ETREAT);
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    const ids = (b: any): string[] => b.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(mine.body.total).toBeGreaterThan(10);
    expect(theirs.body.total).toBe(mine.body.total);
    expect(ids(theirs.body)).toEqual(ids(mine.body));
  },
  180_000,
);
