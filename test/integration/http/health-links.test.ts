/**
 * SMART Health Links (issue 10; HL7 SMART Health Cards and Links IG STU1): a patient shares their International
 * Patient Summary; a clinic abroad opens it with nothing but the link (no account), through the reference opener
 * (bridge/shl/opener.ts) and plain HTTP. Passcodes, expiry, revocation, single-use file locations, the audit trail of
 * every open, CORS for viewers on other origins, and no oracle for other patients. Real PostgreSQL, the real app.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../../bridge/log';
import { decryptShlFile } from '../../../bridge/shl/jwe';
import { HealthLinkError, isIpsBundle, openHealthLink, openInternationalPatientSummary } from '../../../bridge/shl/opener';
import { decodeShlink, encodeShlink } from '../../../bridge/shl/payload';
import { SHL_PASSCODE_ATTEMPTS } from '../../../bridge/access/health-links';
import { api } from '../../helpers/fixtures';
import { patientToken } from '../../helpers/patient-session';
import { located, SSN } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let A: { id: string; apiKey: string }, B: { id: string; apiKey: string };
let pa: string, pb: string, pc: string;
let anna: string, other: string;
const ABROAD = 'Hospital Clínic de Barcelona, Urgències';
const person = { family: 'Weber', given: 'Anna', birthDate: '1985-03-14', ssn: '999-10-2020' };

/** A clinic's Patient (same SSN at both clinics: one person) and one allergy of it. */
function recordBundle(id: string, p: { family: string; given: string; birthDate: string; ssn: string }, allergy: { code: string; display: string }): unknown {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          id,
          name: [{ family: p.family, given: [p.given] }],
          birthDate: p.birthDate,
          gender: 'female',
          identifier: [
            { system: 'urn:example:mrn', value: `mrn-${id}` },
            { system: SSN, value: p.ssn },
          ],
        },
        request: { method: 'PUT', url: `Patient/${id}` },
      },
      {
        resource: {
          resourceType: 'AllergyIntolerance',
          id: `allergy-${id}`,
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
          code: { coding: [{ system: 'http://snomed.info/sct', ...allergy }] },
          patient: { reference: `Patient/${id}` },
          onsetDateTime: '2019-06-01T00:00:00Z',
        },
        request: { method: 'PUT', url: `AllergyIntolerance/allergy-${id}` },
      },
    ],
  };
}

async function post(token: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${bridge.url}/shl`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = { status: r.status, body: (await r.json()) as any, headers: r.headers };
  if (answer.body.shlink) {
    const p = decodeShlink(answer.body.shlink);
    secrets.push(answer.body.shlink.slice(8), p.key, p.url.split('/').pop()!);
  }
  if (answer.status === 201 && typeof (body as any)?.passcode === 'string') secrets.push((body as any).passcode);
  return answer;
}

async function manifest(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const answer = { status: r.status, body: (await r.json()) as any, headers: r.headers };
  for (const f of answer.body.files ?? []) if (f.location) secrets.push(f.location.split('/').pop());
  return answer;
}

const auditOf = async (linkId: string) =>
  (
    await bridge.database.db.query(
      `SELECT clinic_id, agent, action, outcome, person_id, resource_types, detail FROM audit_event WHERE agent->>'linkId' = $1 ORDER BY recorded, id`,
      [linkId],
    )
  ).rows;

const personOf = async (patientId: string): Promise<string> =>
  (await bridge.database.db.query('SELECT person_id FROM patient WHERE id = $1', [patientId])).rows[0].person_id;

/** Every log line of the bridge (trace level), to check that no secret or personal data reaches them. */
const logLines: string[] = [];
/** Every shlink, manifest URL, file location and passcode the tests handled. */
const secrets: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      logLines.push(String(chunk));
      done();
    },
  });
  bridge = await startTestBridge({ log: createLogger('trace', sink) });
  A = await bridge.clinic('Berlin');
  B = await bridge.clinic('Munich');
  const push = async (key: string, body: unknown) => located((await api(bridge.url, key, 'POST', '/fhir', body)).body, 0).split('/')[1];
  pa = await push(A.apiKey, recordBundle('anna-a', person, { code: '91936005', display: 'Allergy to penicillin' }));
  pb = await push(B.apiKey, recordBundle('anna-b', person, { code: '300913006', display: 'Shellfish allergy' }));
  pc = await push(
    A.apiKey,
    recordBundle(
      'carl-a',
      { family: 'Schulz', given: 'Carl', birthDate: '1970-01-01', ssn: '999-33-4444' },
      { code: '294505008', display: 'Allergy to amoxicillin' },
    ),
  );
  anna = await patientToken(bridge.database.db, pa);
  other = await patientToken(bridge.database.db, pc);
});
afterAll(async () => bridge?.close());

test('a patient makes a link; a clinic abroad opens it with no account and reads the IPS with the allergies from both clinics', async () => {
  const made = await post(anna, { label: 'My summary for the trip' });
  expect(made.status).toBe(201);
  expect(made.headers.get('cache-control')).toBe('no-store');
  expect(made.body).toEqual({
    id: expect.any(String),
    shlink: expect.stringMatching(/^shlink:\/[A-Za-z0-9_-]+$/),
    viewerUrl: `${bridge.url}/shl/view#${made.body.shlink}`,
    createdAt: expect.any(String),
    expiresAt: expect.any(String),
    hasPasscode: false,
    label: 'My summary for the trip',
  });
  const payload = decodeShlink(made.body.shlink);
  // The IG's payload: url (≥ 256 bits of entropy, ≤ 128 characters), key (32 bytes base64url), exp (epoch seconds), label.
  expect(Object.keys(payload)).toEqual(['url', 'key', 'exp', 'label']);
  expect(payload.url).toMatch(new RegExp(`^${bridge.url}/shl/manifest/[A-Za-z0-9_-]{43}$`));
  expect(payload.url.length).toBeLessThanOrEqual(128);
  expect(Buffer.from(payload.key, 'base64url')).toHaveLength(32);
  expect(payload.exp).toBe(Date.parse(made.body.expiresAt) / 1000);
  // Default life: 30 days.
  expect(Math.round((payload.exp! * 1000 - Date.now()) / 86_400_000)).toBe(30);

  const ips = await openInternationalPatientSummary(made.body.viewerUrl, { recipient: ABROAD });
  expect(isIpsBundle(ips)).toBe(true);
  const resources = (ips.entry as any[]).map((e) => e.resource);
  const allergies = resources.filter((r) => r.resourceType === 'AllergyIntolerance').map((r) => r.code.coding[0].code);
  expect(allergies.sort()).toEqual(['300913006', '91936005']);
  expect(resources.find((r) => r.resourceType === 'Patient').name[0].family).toBe('Weber');
  expect(JSON.stringify(ips)).not.toContain('Schulz'); // nobody else's records

  // The patient's access log: the creation (their own read) and the open, by the recipient's name, no clinic.
  const rows = await auditOf(made.body.id);
  expect(rows).toEqual([
    {
      clinic_id: null,
      agent: { kind: 'health-link', linkId: made.body.id, recipient: ABROAD },
      action: 'summary',
      outcome: 'success',
      person_id: await personOf(pa),
      resource_types: expect.arrayContaining(['AllergyIntolerance', 'Composition', 'Patient']),
      detail: 'SMART Health Link opened: manifest with a file location',
    },
    expect.objectContaining({
      agent: { kind: 'health-link', linkId: made.body.id, recipient: ABROAD },
      action: 'summary',
      detail: 'SMART Health Link file downloaded',
    }),
  ]);
  const created = (
    await bridge.database.db.query(
      `SELECT clinic_id, agent, detail FROM audit_event WHERE agent->>'kind' = 'patient' AND detail LIKE 'SMART Health Link created%'`,
    )
  ).rows;
  expect(created).toContainEqual({
    clinic_id: null,
    agent: { kind: 'patient', accountId: expect.any(String) },
    detail: expect.stringMatching(/^SMART Health Link created/),
  });

  const list = await api(bridge.url, anna, 'GET', '/shl');
  expect(list.status).toBe(200);
  expect(list.body.links).toContainEqual({
    id: made.body.id,
    label: 'My summary for the trip',
    createdAt: made.body.createdAt,
    expiresAt: made.body.expiresAt,
    status: 'active',
    revokedAt: null,
    hasPasscode: false,
    passcodeAttemptsLeft: null,
    accessCount: 1,
    lastAccessAt: expect.any(String),
  });
});

test('the manifest embeds the file when it fits embeddedLengthMax, else gives a single-use location; both decrypt', async () => {
  const made = await post(anna);
  const { url, key } = decodeShlink(made.body.shlink);
  const embedded = await manifest(url, { recipient: ABROAD, embeddedLengthMax: 10_000_000 });
  expect(embedded.status).toBe(200);
  expect(embedded.headers.get('content-type')).toMatch(/^application\/json/);
  expect(embedded.body).toEqual({
    files: [
      { contentType: 'application/fhir+json', embedded: expect.any(String), lastUpdated: made.body.createdAt, status: 'finalized', fhirVersion: '4.0.1' },
    ],
  });
  const jwe = embedded.body.files[0].embedded as string;
  expect(JSON.parse(Buffer.from(jwe.split('.')[0], 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' });
  const file = await decryptShlFile(jwe, key);
  expect(isIpsBundle(JSON.parse(file.plaintext))).toBe(true);

  const small = await manifest(url, { recipient: ABROAD, embeddedLengthMax: 10 });
  const location = small.body.files[0].location as string;
  expect(small.body.files[0].embedded).toBeUndefined();
  expect(location).toMatch(new RegExp(`^${bridge.url}/shl/file/[A-Za-z0-9_-]{43}$`));
  expect((await fetch(location, { method: 'HEAD' })).status).toBe(405); // does not spend the ticket
  const got = await fetch(location);
  expect(got.status).toBe(200);
  expect(got.headers.get('content-type')).toMatch(/^application\/jose/);
  expect(isIpsBundle(JSON.parse((await decryptShlFile(await got.text(), key)).plaintext))).toBe(true);
  // Single use: the same location again is gone; a fresh manifest gives a fresh one.
  const again = await fetch(location);
  expect(again.status).toBe(404);
  expect(((await again.json()) as any).resourceType).toBe('OperationOutcome');
  expect((await api(bridge.url, anna, 'GET', '/shl')).body.links.find((l: any) => l.id === made.body.id).accessCount).toBe(2);
});

test('a passcode: P flag; missing or wrong answers 401 with remainingAttempts; the right one opens; exhaustion disables the link', async () => {
  const made = await post(anna, { passcode: 'blue-7391', label: 'x'.repeat(80) });
  expect(made.status).toBe(201);
  expect(made.body.hasPasscode).toBe(true);
  const payload = decodeShlink(made.body.shlink);
  expect(payload.flag).toBe('P');
  expect(payload.label).toHaveLength(80);

  const none = await manifest(payload.url, { recipient: ABROAD });
  expect(none.status).toBe(401);
  expect(none.body.remainingAttempts).toBe(SHL_PASSCODE_ATTEMPTS); // asking without a passcode costs no attempt
  const wrong = await manifest(payload.url, { recipient: ABROAD, passcode: '0000' });
  expect({ status: wrong.status, remainingAttempts: wrong.body.remainingAttempts }).toEqual({ status: 401, remainingAttempts: SHL_PASSCODE_ATTEMPTS - 1 });
  await expect(openHealthLink(made.body.shlink, { recipient: ABROAD, passcode: '1111' })).rejects.toMatchObject({
    status: 401,
    remainingAttempts: SHL_PASSCODE_ATTEMPTS - 2,
  });
  const ips = await openInternationalPatientSummary(made.body.shlink, { recipient: ABROAD, passcode: 'blue-7391' });
  expect(isIpsBundle(ips)).toBe(true);

  // The rest of the attempts in parallel: counted one after the other, each answer a different count, then disabled.
  const left = SHL_PASSCODE_ATTEMPTS - 2;
  const burst = await Promise.all(Array.from({ length: left + 2 }, (_, i) => manifest(payload.url, { recipient: ABROAD, passcode: `guess-${i}` })));
  const counts = burst.filter((r) => r.status === 401).map((r) => r.body.remainingAttempts);
  expect(counts.sort()).toEqual(Array.from({ length: left }, (_, i) => i));
  expect(burst.filter((r) => r.status === 404)).toHaveLength(2);
  // Disabled: even the right passcode now meets the 404 of an unknown link.
  const after = await manifest(payload.url, { recipient: ABROAD, passcode: 'blue-7391' });
  expect(after.status).toBe(404);
  expect(after.body.resourceType).toBe('OperationOutcome');
  const listed = (await api(bridge.url, anna, 'GET', '/shl')).body.links.find((l: any) => l.id === made.body.id);
  expect(listed).toMatchObject({ status: 'disabled', passcodeAttemptsLeft: 0, accessCount: 1, hasPasscode: true });
  // Refusals are in the patient's access log, with who tried.
  const refusals = (await auditOf(made.body.id)).filter((r) => r.outcome === 'refused');
  expect(refusals.length).toBe(1 + SHL_PASSCODE_ATTEMPTS + 3); // none, every wrong one, the 2 of the burst and the last try on the disabled link
  expect(refusals.every((r) => r.clinic_id === null && r.action === 'refused' && r.agent.recipient === ABROAD)).toBe(true);
  expect(refusals.map((r) => r.detail)).toContain('summary refused: wrong passcode (0 attempts left: the link is disabled)');
  // The encrypted snapshot is dropped with the link.
  expect((await bridge.database.db.query('SELECT file_jwe FROM health_link WHERE id = $1', [made.body.id])).rows[0].file_jwe).toBeNull();
});

test('an expired link answers 404 like an unknown one; a past or too distant expiresAt is refused at creation', async () => {
  const made = await post(anna, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  expect(made.status).toBe(201);
  const { url, exp } = decodeShlink(made.body.shlink);
  expect(exp).toBe(Math.floor(Date.parse(made.body.expiresAt) / 1000));
  await bridge.database.db.query(`UPDATE health_link SET expires_at = now() - interval '1 second' WHERE id = $1`, [made.body.id]);
  const expired = await manifest(url, { recipient: ABROAD });
  const unknown = await manifest(`${bridge.url}/shl/manifest/${'A'.repeat(43)}`, { recipient: ABROAD });
  expect(expired.status).toBe(404);
  expect(expired.body).toEqual(unknown.body);
  expect((await api(bridge.url, anna, 'GET', '/shl')).body.links.find((l: any) => l.id === made.body.id).status).toBe('expired');
  expect((await auditOf(made.body.id)).map((r) => r.detail)).toEqual(['summary refused: the SMART Health Link is expired']);

  for (const expiresAt of [new Date(Date.now() - 1000).toISOString(), new Date(Date.now() + 400 * 86_400_000).toISOString(), '2030-01-01', 'soon']) {
    const bad = await post(anna, { expiresAt });
    expect({ expiresAt, status: bad.status, type: bad.body.resourceType }).toEqual({ expiresAt, status: 400, type: 'OperationOutcome' });
  }
});

test('a revoked link answers 404 (its open file locations too); revoking is idempotent', async () => {
  const made = await post(anna);
  const { url } = decodeShlink(made.body.shlink);
  const location = (await manifest(url, { recipient: ABROAD })).body.files[0].location;
  const del = await fetch(`${bridge.url}/shl/${made.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${anna}` } });
  expect(del.status).toBe(204);
  expect((await manifest(url, { recipient: ABROAD })).status).toBe(404);
  expect((await fetch(location)).status).toBe(404);
  expect((await fetch(`${bridge.url}/shl/${made.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${anna}` } })).status).toBe(204);
  expect((await api(bridge.url, anna, 'GET', '/shl')).body.links.find((l: any) => l.id === made.body.id)).toMatchObject({
    status: 'revoked',
    revokedAt: expect.any(String),
  });
});

test('a tampered key does not decrypt the file', async () => {
  const made = await post(anna);
  const payload = decodeShlink(made.body.shlink);
  const key = Buffer.from(payload.key, 'base64url');
  key[0] ^= 1;
  const tampered = encodeShlink({ ...payload, key: key.toString('base64url') });
  await expect(openHealthLink(tampered, { recipient: ABROAD, embeddedLengthMax: 10_000_000 })).rejects.toThrow(/decrypt/i);
});

test('another patient neither sees nor revokes the link (the 404 of an unknown id); clinics and anonymous callers cannot make links', async () => {
  const made = await post(anna);
  const theirs = await api(bridge.url, other, 'GET', '/shl');
  expect(theirs.status).toBe(200);
  expect(theirs.body.links.map((l: any) => l.id)).not.toContain(made.body.id);
  const revokeOthers = await api(bridge.url, other, 'DELETE', `/shl/${made.body.id}`);
  const revokeUnknown = await api(bridge.url, other, 'DELETE', '/shl/00000000-0000-4000-8000-000000000000');
  expect(revokeOthers.status).toBe(404);
  expect(revokeOthers.body).toEqual({
    ...revokeUnknown.body,
    issue: [
      { ...revokeUnknown.body.issue[0], diagnostics: revokeUnknown.body.issue[0].diagnostics.replace('00000000-0000-4000-8000-000000000000', made.body.id) },
    ],
  });
  expect((await api(bridge.url, other, 'DELETE', '/shl/not-a-uuid')).status).toBe(404);
  // Still active for its owner's recipient.
  expect(isIpsBundle(await openInternationalPatientSummary(made.body.shlink, { recipient: ABROAD }))).toBe(true);

  const clinic = await post(A.apiKey, {});
  expect({ status: clinic.status, type: clinic.body.resourceType }).toEqual({ status: 403, type: 'OperationOutcome' });
  const anonymous = await fetch(`${bridge.url}/shl`, { method: 'POST' });
  expect(anonymous.status).toBe(401);
  expect((await api(bridge.url, A.apiKey, 'GET', '/shl')).status).toBe(403);
  // A token without read on every type may not share the summary.
  const narrow = await patientToken(bridge.database.db, pa, ['patient/Observation.rs']);
  expect((await post(narrow, {})).status).toBe(403);
});

test('no personal data in any URL or payload: only random ids; label, passcode and body checked', async () => {
  const made = await post(anna, { passcode: 'sea-4242' });
  const payload = decodeShlink(made.body.shlink);
  const small = await manifest(payload.url, { recipient: ABROAD, passcode: 'sea-4242', embeddedLengthMax: 0 });
  const texts = [made.body.shlink, made.body.viewerUrl, JSON.stringify(payload), small.body.files[0].location];
  const personal = ['Weber', 'Anna', '1985', person.ssn, 'mrn-', 'anna-a', pa, pb, await personOf(pa)];
  for (const t of texts) for (const p of personal) expect(t).not.toContain(p);

  expect((await post(anna, { label: 'x'.repeat(81) })).status).toBe(400);
  expect((await post(anna, { passcode: '12' })).status).toBe(400);
  expect((await post(anna, { colour: 'red' })).status).toBe(400);
  expect((await manifest(payload.url, { passcode: 'sea-4242' })).status).toBe(400); // recipient is required
  expect((await manifest(payload.url, { recipient: ABROAD, embeddedLengthMax: -1 })).status).toBe(400);
  const form = await fetch(payload.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'recipient=x' });
  expect(form.status).toBe(415);
});

test('the public endpoints answer viewers on other origins (CORS), without credentials', async () => {
  const made = await post(anna);
  const { url, key } = decodeShlink(made.body.shlink);
  const preflight = await fetch(url, {
    method: 'OPTIONS',
    headers: { origin: 'https://viewer.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  const answer = await manifest(url, { recipient: ABROAD }, { origin: 'https://viewer.example.org' });
  expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  const file = await fetch(answer.body.files[0].location, { headers: { origin: 'https://viewer.example.org' } });
  expect(file.headers.get('access-control-allow-origin')).toBe('*');
  expect(isIpsBundle(JSON.parse((await decryptShlFile(await file.text(), key)).plaintext))).toBe(true);
  const refused = await manifest(`${bridge.url}/shl/manifest/${'B'.repeat(43)}`, { recipient: ABROAD }, { origin: 'https://viewer.example.org' });
  expect(refused.status).toBe(404);
  expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  // The patient's own endpoints are not opened to other origins.
  expect(
    (await fetch(`${bridge.url}/shl`, { headers: { authorization: `Bearer ${anna}`, origin: 'https://evil.example' } })).headers.get(
      'access-control-allow-origin',
    ),
  ).toBeNull();
});

test('the opener refuses what is not a SMART Health Link', async () => {
  await expect(openHealthLink('https://example.org/#nothing', { recipient: ABROAD })).rejects.toThrow(/not a SMART Health Link/);
  const made = await post(anna, { passcode: 'pin-1234' });
  await expect(openHealthLink(made.body.shlink, { recipient: ABROAD })).rejects.toBeInstanceOf(HealthLinkError);
});

test('the logs name routes, never a manifest id, file ticket, key, passcode, recipient or personal data', () => {
  const log = logLines.join('');
  expect(log).toContain('/shl/manifest/:manifestId');
  expect(secrets.length).toBeGreaterThan(20);
  for (const secret of [...secrets, ABROAD, 'Weber', 'Anna', person.ssn]) expect(log).not.toContain(secret);
});
