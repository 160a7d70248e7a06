/**
 * The patients' authorization server (SMART App Launch 2.0 standalone patient launch): /auth/authorize with PKCE S256
 * only and exact redirect URIs, the token endpoint's authorization_code and refresh_token grants (rotation; reuse
 * revokes the family), RFC 7009 revocation, id_tokens verifiable with /auth/jwks, sign-out revoking the session's
 * tokens, and the discovery document. Real PostgreSQL, the real bridge over HTTP.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { api } from '../../helpers/fixtures';
import { located, patientBundle } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { authPost, enrolmentCode, enrolPassword, pkce } from '../../helpers/signin';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };
let patientId: string;
let cookie: string;
let clientId: string;
const REDIRECT = 'http://127.0.0.1:9/callback';

beforeAll(async () => {
  bridge = await startTestBridge();
  clinic = await bridge.clinic('Lyon');
  patientId = located(
    (
      await api(
        bridge.url,
        clinic.apiKey,
        'POST',
        '/fhir',
        patientBundle({ id: 'eva', family: 'Morel', given: 'Eva', birthDate: '1988-08-08', ssn: '999-88-3333' }),
      )
    ).body,
    0,
  ).split('/')[1];
  const c = await enrolmentCode(bridge.url, clinic.apiKey, patientId);
  cookie = await enrolPassword(bridge.url, c.code as string, 'eva.morel', 'eva password 123');
  const app = await api(
    bridge.url,
    bridge.adminToken,
    'POST',
    '/admin/apps',
    { name: 'Health app', redirectUris: [REDIRECT] },
    { 'content-type': 'application/json' },
  );
  expect(app.status).toBe(201);
  clientId = app.body.clientId;
});
afterAll(async () => bridge?.close());

const fhirBase = () => `${bridge.url}/fhir`;

function authorizeUrl(p: Record<string, string | undefined>): string {
  const u = new URL(`${bridge.url}/auth/authorize`);
  for (const [k, v] of Object.entries(p)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}
const params = (challenge: string, over: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: REDIRECT,
  scope: 'launch/patient openid fhirUser offline_access patient/*.cruds',
  state: 'st-123',
  aud: fhirBase(),
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...over,
});

async function get(url: string, withCookie?: string): Promise<{ status: number; location: string | null; body: any }> {
  const res = await fetch(url, { redirect: 'manual', headers: withCookie ? { cookie: `fab_signin=${withCookie}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, location: res.headers.get('location'), body };
}

async function codeFor(challenge: string, over: Record<string, string | undefined> = {}, withCookie = cookie): Promise<string> {
  const r = await get(authorizeUrl(params(challenge, over)), withCookie);
  expect(r.status).toBe(302);
  const loc = new URL(r.location as string);
  expect(loc.searchParams.get('state')).toBe('st-123');
  return loc.searchParams.get('code') as string;
}

const token = (form: Record<string, string>) =>
  fetch(`${bridge.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as any, headers: r.headers }),
  );
const exchange = (code: string, verifier: string, over: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, ...over });
const patientRoute = async (accessToken: string): Promise<number> => (await api(bridge.url, accessToken, 'GET', '/fhir/Patient')).status;

test('the discovery document lists exactly the patient launch that is implemented, and Backend Services', async () => {
  const res = await get(`${fhirBase()}/.well-known/smart-configuration`);
  expect(res.body).toMatchObject({
    authorization_endpoint: `${bridge.url}/auth/authorize`,
    token_endpoint: `${bridge.url}/auth/token`,
    revocation_endpoint: `${bridge.url}/auth/revoke`,
    jwks_uri: `${bridge.url}/auth/jwks`,
    code_challenge_methods_supported: ['S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  expect(res.body.capabilities).toEqual(
    expect.arrayContaining([
      'launch-standalone',
      'context-standalone-patient',
      'client-public',
      'permission-patient',
      'permission-offline',
      'sso-openid-connect',
      'permission-v2',
    ]),
  );
  expect(res.body.capabilities).not.toContain('launch-ehr');
  expect(res.body.capabilities).not.toContain('client-confidential-symmetric');
});

test('not signed in: the portal signs the patient in, then /auth/authorize?request= completes once; the request id is single use', async () => {
  const { challenge, verifier } = pkce();
  const first = await get(authorizeUrl(params(challenge)));
  expect(first.status).toBe(302);
  const m = /^(.*)\/portal\/#\/signin\?request=([A-Za-z0-9_-]+)$/.exec(first.location as string);
  expect(m?.[1]).toBe(bridge.url);
  const request = m?.[2] as string;
  const described = await get(`${bridge.url}/auth/request/${request}`);
  expect(described.body).toEqual({
    client: 'Health app',
    scopes: ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs', 'patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u'],
  });
  // Still not signed in: sent back to the sign-in page with the same request.
  expect((await get(`${bridge.url}/auth/authorize?request=${request}`)).location).toBe(first.location);
  const done = await get(`${bridge.url}/auth/authorize?request=${request}`, cookie);
  expect(done.status).toBe(302);
  const back = new URL(done.location as string);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe('st-123');
  const again = await get(`${bridge.url}/auth/authorize?request=${request}`, cookie);
  expect(again.status).toBe(400);
  expect(again.location).toBeNull();

  const t = await exchange(back.searchParams.get('code') as string, verifier);
  expect(t.status).toBe(200);
  expect(t.headers.get('cache-control')).toBe('no-store');
  expect(t.body).toMatchObject({
    token_type: 'Bearer',
    patient: patientId,
    scope: 'launch/patient openid fhirUser offline_access patient/*.rs patient/Consent.cud patient/Subscription.cd patient/Task.u',
    expires_in: 3600,
  });
  expect(t.body.access_token).toMatch(/^fapt_/);
  expect(t.body.refresh_token).toMatch(/^fapr_/);
  const { payload } = await jwtVerify(t.body.id_token, createRemoteJWKSet(new URL(`${bridge.url}/auth/jwks`)), { issuer: fhirBase(), audience: clientId });
  expect(payload.fhirUser).toBe(`${fhirBase()}/Patient/${patientId}`);
  // A live patient token is authenticated (403 until patient reads land is not 401).
  expect(await patientRoute(t.body.access_token)).not.toBe(401);
});

test('an unknown client or a redirect_uri not registered is answered 400, never redirected', async () => {
  const { challenge } = pkce();
  for (const over of [{ client_id: 'nobody' }, { redirect_uri: 'http://127.0.0.1:9/other' }, { redirect_uri: `${REDIRECT}/` }, { redirect_uri: undefined }]) {
    const r = await get(authorizeUrl(params(challenge, over)), cookie);
    expect(r.status).toBe(400);
    expect(r.location).toBeNull();
    expect(r.body.error).toMatch(/invalid_(client|request)/);
  }
  // The built-in portal client accepts only <origin>/portal/.
  expect((await get(authorizeUrl(params(challenge, { client_id: 'portal', redirect_uri: REDIRECT })), cookie)).status).toBe(400);
  expect((await get(authorizeUrl(params(challenge, { client_id: 'portal', redirect_uri: `${bridge.url}/portal/` })), cookie)).status).toBe(302);
});

test('PKCE plain or missing, a wrong aud, a response_type other than code, no grantable scope: redirected back with an RFC 6749 error', async () => {
  const { challenge, verifier } = pkce();
  const cases: [Record<string, string | undefined>, string][] = [
    [{ code_challenge_method: 'plain', code_challenge: verifier }, 'invalid_request'],
    [{ code_challenge_method: undefined }, 'invalid_request'],
    [{ code_challenge: undefined }, 'invalid_request'],
    [{ aud: 'https://other.example/fhir' }, 'invalid_request'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'patient/Observation.cud user/*.rs' }, 'invalid_scope'],
    [{ state: undefined }, 'invalid_request'],
  ];
  for (const [over, error] of cases) {
    const r = await get(authorizeUrl(params(challenge, over)), cookie);
    expect(r.status).toBe(302);
    const loc = new URL(r.location as string);
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    expect(loc.searchParams.get('error')).toBe(error);
    expect(loc.searchParams.get('code')).toBeNull();
  }
});

test('a wrong code_verifier or redirect_uri at the token endpoint is invalid_grant, and the code is spent', async () => {
  const a = pkce();
  const codeA = await codeFor(a.challenge);
  expect(await exchange(codeA, pkce().verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchange(codeA, a.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  const b = pkce();
  const codeB = await codeFor(b.challenge);
  expect(await exchange(codeB, b.verifier, { redirect_uri: 'http://127.0.0.1:9/other' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchange('nonsense', b.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchange(codeB, 'short')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
});

test('a code used twice is refused and revokes the tokens issued from it', async () => {
  const p = pkce();
  const code = await codeFor(p.challenge);
  const t = await exchange(code, p.verifier);
  expect(t.status).toBe(200);
  expect(await patientRoute(t.body.access_token)).not.toBe(401);
  expect(await exchange(code, p.verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await patientRoute(t.body.access_token)).toBe(401);
  expect((await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: clientId })).status).toBe(400);
});

test('refresh tokens rotate; a reused refresh token revokes the whole family', async () => {
  const p = pkce();
  const t = await exchange(await codeFor(p.challenge), p.verifier);
  const r1 = await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: clientId });
  expect(r1.status).toBe(200);
  expect(r1.body).toMatchObject({ patient: patientId, scope: t.body.scope });
  expect(r1.body.refresh_token).not.toBe(t.body.refresh_token);
  // Narrowing is allowed, widening is not.
  const narrowed = await token({
    grant_type: 'refresh_token',
    refresh_token: r1.body.refresh_token,
    client_id: clientId,
    scope: 'patient/*.rs offline_access',
  });
  expect(narrowed).toMatchObject({ status: 200, body: { scope: 'patient/*.rs offline_access' } });
  expect(
    (
      await token({
        grant_type: 'refresh_token',
        refresh_token: narrowed.body.refresh_token,
        client_id: clientId,
        scope: 'patient/*.rs offline_access launch/patient',
      })
    ).body.error,
  ).toBe('invalid_scope');
  // The first refresh token again: the family (every token since) is revoked.
  expect(await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: clientId })).toMatchObject({
    status: 400,
    body: { error: 'invalid_grant' },
  });
  expect(await patientRoute(narrowed.body.access_token)).toBe(401);
  expect(await patientRoute(r1.body.access_token)).toBe(401);
  expect((await token({ grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token, client_id: clientId })).status).toBe(400);
});

test('RFC 7009: revoking an access token ends it and its refresh token; unknown tokens are answered 200 alike', async () => {
  const p = pkce();
  const t = await exchange(await codeFor(p.challenge), p.verifier);
  const revoke = (form: Record<string, string>) =>
    fetch(`${bridge.url}/auth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  expect((await revoke({ token: 'fapt_unknown', client_id: clientId })).status).toBe(200);
  expect((await revoke({ token: t.body.access_token, client_id: 'another' })).status).toBe(200);
  expect(await patientRoute(t.body.access_token)).not.toBe(401); // another client cannot revoke it
  expect((await revoke({ token: t.body.access_token, client_id: clientId })).status).toBe(200);
  expect(await patientRoute(t.body.access_token)).toBe(401);
  const after = await api(bridge.url, t.body.access_token, 'GET', `/fhir/Patient/${patientId}`);
  expect(after.status).toBe(401);
  expect(after.body.resourceType).toBe('OperationOutcome');
  expect((await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: clientId })).status).toBe(400);
  expect((await revoke({ client_id: clientId })).status).toBe(400);
});

test('online_access: signing out revokes the sign-in session and every token issued through it', async () => {
  const signed = await authPost(bridge.url, '/auth/signin/password', { username: 'eva.morel', password: 'eva password 123' });
  const p = pkce();
  const code = await codeFor(p.challenge, { scope: 'launch/patient online_access patient/Observation.rs' }, signed.cookie);
  const t = await exchange(code, p.verifier);
  expect(t.body).toMatchObject({ scope: 'launch/patient online_access patient/Observation.rs', patient: patientId });
  expect(t.body.id_token).toBeUndefined();
  expect(t.body.refresh_token).toBeDefined();
  expect((await authPost(bridge.url, '/auth/signout', {}, { cookie: signed.cookie })).status).toBe(200);
  expect(await patientRoute(t.body.access_token)).toBe(401);
  expect((await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: clientId })).status).toBe(400);
  // A code issued before the sign-out cannot be exchanged after it.
  const again = await authPost(bridge.url, '/auth/signin/password', { username: 'eva.morel', password: 'eva password 123' });
  const q = pkce();
  const late = await codeFor(q.challenge, {}, again.cookie);
  await authPost(bridge.url, '/auth/signout', {}, { cookie: again.cookie });
  expect((await exchange(late, q.verifier)).body.error).toBe('invalid_grant');
});

test('admin app registration validates redirect URIs; the token endpoint still refuses unknown grant types', async () => {
  const bad = await api(
    bridge.url,
    bridge.adminToken,
    'POST',
    '/admin/apps',
    { name: 'x', redirectUris: ['http://example.com/cb'] },
    { 'content-type': 'application/json' },
  );
  expect(bad.status).toBe(400);
  const frag = await api(
    bridge.url,
    bridge.adminToken,
    'POST',
    '/admin/apps',
    { name: 'x', redirectUris: ['https://example.com/cb#x'] },
    { 'content-type': 'application/json' },
  );
  expect(frag.status).toBe(400);
  expect(
    (
      await api(
        bridge.url,
        'wrong-admin-token-000000',
        'POST',
        '/admin/apps',
        { name: 'x', redirectUris: ['https://example.com/cb'] },
        { 'content-type': 'application/json' },
      )
    ).status,
  ).toBe(401);
  expect(await token({ grant_type: 'password', username: 'eva.morel', password: 'eva password 123' })).toMatchObject({
    status: 400,
    body: { error: 'unsupported_grant_type' },
  });
  const audited = (await bridge.database.db.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'app-register'`)).rows[0].n;
  expect(audited).toBe(1);
});
