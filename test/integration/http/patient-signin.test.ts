/**
 * Patients sign in (issue 10, "Identity and sign-in"): a home clinic's one-time enrolment code for its own record
 * (another clinic's record answers like an unknown one), redeemed once to set a password or a passkey (WebAuthn,
 * verified by @simplewebauthn/server against a software authenticator built here), one account per person, throttled
 * sign-in attempts with no oracle between an unknown username and a wrong password, and CSRF refusals. Real PostgreSQL,
 * the real bridge over HTTP.
 */
import { createHash } from 'node:crypto';
import { api } from '../../helpers/fixtures';
import { located, patientBundle } from '../../helpers/people';
import { patientToken } from '../../helpers/patient-session';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { authPost, enrolmentCode, enrolPassword, SoftAuthenticator } from '../../helpers/signin';

let bridge: TestBridge;
let A: { id: string; apiKey: string }, B: { id: string; apiKey: string };
let pa: string, pb: string, pc: string;
const person = { family: 'Keller', given: 'Mia', birthDate: '1979-07-02', ssn: '999-44-1212' };
const FAIL_LIMIT = 3;

beforeAll(async () => {
  bridge = await startTestBridge({ signinFailLimit: FAIL_LIMIT, authFailLimit: 1000 });
  A = await bridge.clinic('Zurich');
  B = await bridge.clinic('Geneva');
  pa = located((await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'mia-a', ...person }))).body, 0).split('/')[1];
  pb = located((await api(bridge.url, B.apiKey, 'POST', '/fhir', patientBundle({ id: 'mia-b', ...person }))).body, 0).split('/')[1];
  pc = located(
    (
      await api(
        bridge.url,
        A.apiKey,
        'POST',
        '/fhir',
        patientBundle({ id: 'noah-a', family: 'Brun', given: 'Noah', birthDate: '1990-01-01', ssn: '999-55-0000' }),
      )
    ).body,
    0,
  ).split('/')[1];
});
afterAll(async () => bridge?.close());

const db = () => bridge.database.db;
const accountOf = async (patientId: string): Promise<string | undefined> =>
  (await db().query('SELECT account_id FROM patient_account_record WHERE patient_id = $1', [patientId])).rows[0]?.account_id;

describe('enrolment codes', () => {
  test('the home clinic gets a code for its own record; it is stored only as a hash, audited, and expires after ENROLMENT_CODE_TTL_MINUTES', async () => {
    const before = Date.now();
    const r = await enrolmentCode(bridge.url, A.apiKey, pc);
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('Parameters');
    expect(r.code).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    const ttl = new Date(r.expires as string).getTime() - before;
    expect(ttl).toBeGreaterThan(4319 * 60_000);
    expect(ttl).toBeLessThan(4321 * 60_000);
    const rows = (await db().query('SELECT code_hash FROM enrolment_code WHERE patient_id = $1', [pc])).rows;
    expect(rows.map((x) => Buffer.from(x.code_hash).toString('hex'))).toContain(
      createHash('sha256')
        .update(r.code as string)
        .digest('hex'),
    );
    const dump = JSON.stringify((await db().query('SELECT * FROM enrolment_code')).rows);
    expect(dump).not.toContain(r.code);
    const audited = (await db().query(`SELECT clinic_id, patient_ids FROM audit_event WHERE action = 'enrolment-code' AND $1 = ANY(patient_ids)`, [pc])).rows;
    expect(audited).toEqual([{ clinic_id: A.id, patient_ids: [pc] }]);
  });

  test("another clinic's record and an unknown id answer the same 404 (no oracle), audited as refusals; a patient token is refused 403", async () => {
    const other = await enrolmentCode(bridge.url, B.apiKey, pa);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const unknown = await enrolmentCode(bridge.url, B.apiKey, unknownId);
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.issue[0].diagnostics).toBe(`Patient/${pa} is not known`);
    expect(unknown.body.issue[0].diagnostics).toBe(`Patient/${unknownId} is not known`);
    expect(other.body.issue[0].code).toBe(unknown.body.issue[0].code);
    const refused = (
      await db().query(`SELECT count(*)::int AS n FROM audit_event WHERE clinic_id = $1 AND action = 'refused' AND detail LIKE 'enrolment code%'`, [B.id])
    ).rows[0].n;
    expect(refused).toBe(2);
    expect((await db().query('SELECT count(*)::int AS n FROM enrolment_code WHERE clinic_id = $1', [B.id])).rows[0].n).toBe(0);
    const token = await patientToken(db(), pa);
    expect((await enrolmentCode(bridge.url, token, pa)).status).toBe(403);
    expect((await enrolmentCode(bridge.url, 'fab_wrong', pc)).status).toBe(401);
  });

  test('a code is single-use, sets the cookie, and a second code of the same person at another clinic joins the same account', async () => {
    const first = await enrolmentCode(bridge.url, A.apiKey, pa);
    const r = await authPost(bridge.url, '/auth/enrol/password', {
      code: first.code?.toLowerCase(),
      username: 'Mia.Keller',
      password: 'correct horse battery',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ signedIn: true });
    const setCookie = r.headers.get('set-cookie') as string;
    expect(setCookie).toMatch(/^fab_signin=fabs_[A-Za-z0-9_-]+; Path=\/auth; HttpOnly; SameSite=Strict; Max-Age=\d+$/); // no Secure over http
    const again = await authPost(bridge.url, '/auth/enrol/password', { code: first.code, username: 'mia2', password: 'correct horse battery' });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_code' } });
    expect(again.cookie).toBeUndefined();

    const session = await fetch(`${bridge.url}/auth/session`, { headers: { cookie: `fab_signin=${r.cookie}` } });
    expect(await session.json()).toEqual({ signedIn: true });
    expect(await (await fetch(`${bridge.url}/auth/session`)).json()).toEqual({ signedIn: false });

    // The Geneva record of the same person: one account, whichever credential is set with it.
    const second = await enrolmentCode(bridge.url, B.apiKey, pb);
    const auth = new SoftAuthenticator(bridge.url);
    const options = await authPost(bridge.url, '/auth/enrol/passkey/options', { code: second.code });
    const verified = await authPost(bridge.url, '/auth/enrol/passkey/verify', { code: second.code, response: auth.register(options.body) });
    expect(verified.status).toBe(200);
    expect(await accountOf(pb)).toBe(await accountOf(pa));
    expect((await db().query('SELECT count(DISTINCT account_id)::int AS n FROM patient_account_record WHERE patient_id = ANY($1)', [[pa, pb]])).rows[0].n).toBe(
      1,
    );
  });

  test('an expired code, an older code replaced by a newer one, and a malformed code are refused and set nothing', async () => {
    const old = await enrolmentCode(bridge.url, A.apiKey, pc);
    const current = await enrolmentCode(bridge.url, A.apiKey, pc);
    expect(await authPost(bridge.url, '/auth/enrol/password', { code: old.code, username: 'noah', password: 'long enough pass' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_code' },
    });
    await db().query(`UPDATE enrolment_code SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
      createHash('sha256')
        .update(current.code as string)
        .digest(),
    ]);
    expect(await authPost(bridge.url, '/auth/enrol/password', { code: current.code, username: 'noah', password: 'long enough pass' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_code' },
    });
    expect((await authPost(bridge.url, '/auth/enrol/passkey/options', { code: current.code })).status).toBe(400);
    expect((await authPost(bridge.url, '/auth/enrol/password', { code: 'nonsense', username: 'noah', password: 'long enough pass' })).status).toBe(400);
    expect(await accountOf(pc)).toBeUndefined();
    expect((await db().query('SELECT count(*)::int AS n FROM patient_password WHERE username = $1', ['noah'])).rows[0].n).toBe(0);
  });

  test('a taken username is refused 409 and the code stays usable; a too-short password is refused 400', async () => {
    const c = await enrolmentCode(bridge.url, A.apiKey, pc);
    expect(await authPost(bridge.url, '/auth/enrol/password', { code: c.code, username: 'mia.keller', password: 'another password' })).toMatchObject({
      status: 409,
      body: { error: 'username_taken' },
    });
    expect(await authPost(bridge.url, '/auth/enrol/password', { code: c.code, username: 'noah', password: 'short' })).toMatchObject({ status: 400 });
    expect((await authPost(bridge.url, '/auth/enrol/password', { code: c.code, username: 'noah.brun', password: 'another password' })).status).toBe(200);
  });
});

describe('password sign-in', () => {
  test('right password signs in; wrong password and unknown username answer the same 401; signing out ends the session', async () => {
    const ok = await authPost(bridge.url, '/auth/signin/password', { username: 'MIA.KELLER', password: 'correct horse battery' });
    expect(ok.status).toBe(200);
    const wrong = await authPost(bridge.url, '/auth/signin/password', { username: 'noah.brun', password: 'wrong password!' });
    const unknown = await authPost(bridge.url, '/auth/signin/password', { username: 'nobody.here', password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.cookie).toBeUndefined();
    const out = await authPost(bridge.url, '/auth/signout', {}, { cookie: ok.cookie });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^fab_signin=; Path=\/auth; HttpOnly; SameSite=Strict; Max-Age=0/);
    expect(await (await fetch(`${bridge.url}/auth/session`, { headers: { cookie: `fab_signin=${ok.cookie}` } })).json()).toEqual({ signedIn: false });
  });

  test(`after ${FAIL_LIMIT} failures for one username it is answered 429 (even the right password) while other accounts still sign in`, async () => {
    const c = await enrolmentCode(
      bridge.url,
      B.apiKey,
      (
        await api(
          bridge.url,
          B.apiKey,
          'POST',
          '/fhir',
          patientBundle({ id: 'lea-b', family: 'Roth', given: 'Lea', birthDate: '1970-02-02', ssn: '999-66-1111' }),
        )
      ).body.entry[0].response.location.split('/')[1],
    );
    await enrolPassword(bridge.url, c.code as string, 'lea.roth', 'lea password 123');
    for (let i = 0; i < FAIL_LIMIT; i++)
      expect((await authPost(bridge.url, '/auth/signin/password', { username: 'lea.roth', password: `guess ${i} guess` })).status).toBe(401);
    const blocked = await authPost(bridge.url, '/auth/signin/password', { username: 'lea.roth', password: 'lea password 123' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.cookie).toBeUndefined();
    expect((await authPost(bridge.url, '/auth/signin/password', { username: 'noah.brun', password: 'another password' })).status).toBe(200);
    // Unknown usernames are throttled alike: the 429 tells nothing about whether the account exists.
    for (let i = 0; i < FAIL_LIMIT; i++) await authPost(bridge.url, '/auth/signin/password', { username: 'ghost.user', password: `guess ${i} guess` });
    expect((await authPost(bridge.url, '/auth/signin/password', { username: 'ghost.user', password: 'whatever pass' })).status).toBe(429);
  });

  test('per address: after AUTH_FAIL_LIMIT failures from one address, new usernames are answered 429 unchecked', async () => {
    const other = await startTestBridge({ database: bridge.database, authFailLimit: 3, signinFailLimit: 100 });
    try {
      for (const u of ['x1.user', 'x2.user', 'x3.user'])
        expect((await authPost(other.url, '/auth/signin/password', { username: u, password: 'password guess' })).status).toBe(401);
      expect((await authPost(other.url, '/auth/signin/password', { username: 'noah.brun', password: 'another password' })).status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('CSRF', () => {
  test('a POST without Origin, from a foreign Origin, or not application/json is refused 403 and writes nothing', async () => {
    const count = async (): Promise<number> => (await db().query('SELECT count(*)::int AS n FROM signin_session')).rows[0].n;
    const before = await count();
    const body = { username: 'noah.brun', password: 'another password' };
    const cases = [
      await authPost(bridge.url, '/auth/signin/password', body, { origin: null }),
      await authPost(bridge.url, '/auth/signin/password', body, { origin: 'https://evil.example' }),
      await authPost(bridge.url, '/auth/signin/password', body, {
        contentType: 'application/x-www-form-urlencoded',
        raw: 'username=noah.brun&password=another+password',
      }),
      await authPost(bridge.url, '/auth/signin/password', body, { contentType: 'text/plain' }),
      await authPost(bridge.url, '/auth/signin/passkey/options', {}, { origin: 'null' }),
      await authPost(bridge.url, '/auth/signout', {}, { origin: 'https://evil.example' }),
    ];
    for (const r of cases) {
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('forbidden');
      expect(r.cookie).toBeUndefined();
    }
    expect(await count()).toBe(before);
  });
});

describe('passkeys (WebAuthn)', () => {
  let auth: SoftAuthenticator;
  let dana: string;
  beforeAll(async () => {
    dana = located(
      (
        await api(
          bridge.url,
          A.apiKey,
          'POST',
          '/fhir',
          patientBundle({ id: 'dana-a', family: 'Frei', given: 'Dana', birthDate: '1960-06-06', ssn: '999-77-2222' }),
        )
      ).body,
      0,
    ).split('/')[1];
    auth = new SoftAuthenticator(bridge.url);
  });

  test('registration options ask for a discoverable credential on the origin’s host; a response from another origin is refused and the code kept', async () => {
    const c = await enrolmentCode(bridge.url, A.apiKey, dana);
    const options = await authPost(bridge.url, '/auth/enrol/passkey/options', { code: c.code });
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ rp: { id: '127.0.0.1' }, attestation: 'none', authenticatorSelection: { residentKey: 'required' } });
    const phished = await authPost(bridge.url, '/auth/enrol/passkey/verify', {
      code: c.code,
      response: auth.register(options.body, { origin: 'https://evil.example' }),
    });
    expect(phished.status).toBe(400);
    // The challenge was used: the same response cannot be tried again, but the code still works with a fresh one.
    const fresh = await authPost(bridge.url, '/auth/enrol/passkey/options', { code: c.code });
    const ok = await authPost(bridge.url, '/auth/enrol/passkey/verify', { code: c.code, response: auth.register(fresh.body) });
    expect(ok).toMatchObject({ status: 200, body: { signedIn: true } });
    expect(ok.cookie).toBeDefined();
    const stored = (await db().query('SELECT account_id, counter FROM patient_passkey WHERE credential_id = $1', [auth.id])).rows;
    expect(stored).toEqual([{ account_id: await accountOf(dana), counter: 0 }]);
    // The code was consumed with the credential.
    expect((await authPost(bridge.url, '/auth/enrol/passkey/options', { code: c.code })).status).toBe(400);
  });

  test('sign-in with the discoverable credential: no username; a replayed, tampered or foreign-origin assertion is refused 401', async () => {
    const options = await authPost(bridge.url, '/auth/signin/passkey/options', {});
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials ?? []).toEqual([]);
    expect(options.body.rpId).toBe('127.0.0.1');
    const assertion = auth.assert(options.body);
    const ok = await authPost(bridge.url, '/auth/signin/passkey/verify', { response: assertion });
    expect(ok).toMatchObject({ status: 200, body: { signedIn: true } });
    expect(await (await fetch(`${bridge.url}/auth/session`, { headers: { cookie: `fab_signin=${ok.cookie}` } })).json()).toEqual({ signedIn: true });
    expect((await db().query('SELECT counter FROM patient_passkey WHERE credential_id = $1', [auth.id])).rows[0].counter).toBe(1);

    expect((await authPost(bridge.url, '/auth/signin/passkey/verify', { response: assertion })).status).toBe(401); // challenge used
    const o2 = await authPost(bridge.url, '/auth/signin/passkey/options', {});
    expect((await authPost(bridge.url, '/auth/signin/passkey/verify', { response: auth.assert(o2.body, { tamper: true }) })).status).toBe(401);
    const o3 = await authPost(bridge.url, '/auth/signin/passkey/options', {});
    expect((await authPost(bridge.url, '/auth/signin/passkey/verify', { response: auth.assert(o3.body, { origin: 'https://evil.example' }) })).status).toBe(
      401,
    );
    const o4 = await authPost(bridge.url, '/auth/signin/passkey/options', {});
    const stranger = new SoftAuthenticator(bridge.url);
    expect((await authPost(bridge.url, '/auth/signin/passkey/verify', { response: stranger.assert(o4.body) })).status).toBe(401);
    // Three failures with this credential: it is throttled now, even with a right assertion.
    const o5 = await authPost(bridge.url, '/auth/signin/passkey/options', {});
    expect((await authPost(bridge.url, '/auth/signin/passkey/verify', { response: auth.assert(o5.body) })).status).toBe(429);
  });
});

test('behind https (PUBLIC_BASE_URL): the cookie is Secure, the Origin must be the public origin, the WebAuthn RP ID is its host', async () => {
  const pub = await startTestBridge({ database: bridge.database, publicBaseUrl: 'https://bridge.example' });
  try {
    const c = await enrolmentCode(pub.url, A.apiKey, pc);
    expect((await authPost(pub.url, '/auth/enrol/passkey/options', { code: c.code })).status).toBe(403); // Origin is the socket's, not the public one
    const options = await authPost(pub.url, '/auth/enrol/passkey/options', { code: c.code }, { origin: 'https://bridge.example' });
    expect(options.body.rp.id).toBe('bridge.example');
    const auth = new SoftAuthenticator('https://bridge.example');
    const r = await authPost(
      pub.url,
      '/auth/enrol/passkey/verify',
      { code: c.code, response: auth.register(options.body) },
      { origin: 'https://bridge.example' },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toMatch(/; Secure$/);
  } finally {
    await pub.close();
  }
});
