import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * SMART Backend Services end to end over HTTP, with `jose` as the client library: an ES384 key pair, its public JWKS
 * registered by the admin, a client assertion exchanged for a token, the token's scopes enforced. Two bridges share
 * one database (two processes): a token or a jti from one holds on the other.
 */
let a: TestBridge;
let b: TestBridge;
let clinic: { id: string; apiKey: string };
let clientId: string;
let privateKey: KeyLike;
beforeAll(async () => {
  a = await startTestBridge();
  b = await startTestBridge({ database: a.database });
  clinic = await a.clinic('Smart clinic');
  const pair = await generateKeyPair('ES384');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384' };
  const reg = await api(
    a.url,
    a.adminToken,
    'PUT',
    `/admin/clinics/${clinic.id}/smart-client`,
    { jwks: { keys: [jwk] } },
    { 'content-type': 'application/json' },
  );
  expect(reg.status).toBe(200);
  clientId = reg.body.client_id;
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

interface AssertionOpts {
  aud?: string;
  exp?: number;
  jti?: string;
  iss?: string;
  key?: KeyLike;
}
const now = (): number => Math.floor(Date.now() / 1000);
const assertion = (bridge: TestBridge, o: AssertionOpts = {}): Promise<string> =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
    .setIssuer(o.iss ?? clientId)
    .setSubject(o.iss ?? clientId)
    .setAudience(o.aud ?? `${bridge.url}/auth/token`)
    .setExpirationTime(o.exp ?? now() + 240)
    .setJti(o.jti ?? randomUUID())
    .sign(o.key ?? privateKey);

async function tokenRequest(bridge: TestBridge, form: Record<string, string>) {
  const res = await fetch(`${bridge.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}
const grant = async (bridge: TestBridge, scope: string, o: AssertionOpts = {}) =>
  tokenRequest(bridge, {
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(bridge, o),
  });
const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:test:smart', value: randomUUID() }], name: [{ family: 'Smart' }] };

test('discovery documents are served without authentication', async () => {
  for (const p of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
    const res = await fetch(`${a.url}${p}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { capabilities: string[] };
    expect(doc).toMatchObject({
      token_endpoint: `${a.url}/auth/token`,
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    expect(doc.capabilities).toEqual(expect.arrayContaining(['client-confidential-asymmetric', 'permission-v2', 'permission-v1']));
  }
  const meta = (await api(a.url, '', 'GET', '/fhir/metadata')).body;
  expect(meta.rest[0].security.service[0].coding[0].code).toBe('SMART-on-FHIR');
  expect(meta.rest[0].security.extension[0].extension).toEqual([
    { url: 'token', valueUri: `${a.url}/auth/token` },
    { url: 'authorize', valueUri: `${a.url}/auth/authorize` },
    { url: 'revoke', valueUri: `${a.url}/auth/revoke` },
  ]);
});

test('a token with write and read scopes writes and reads, on either process', async () => {
  const t = await grant(a, 'system/*.cruds launch');
  expect(t.status).toBe(200);
  expect(t.headers.get('cache-control')).toBe('no-store');
  expect(t.body).toEqual({ access_token: expect.stringMatching(/^fabt_/), token_type: 'bearer', expires_in: 300, scope: 'system/*.cruds' });
  const created = await api(a.url, t.body.access_token, 'POST', '/fhir/Patient', patient);
  expect(created.status).toBe(201);
  expect((await api(b.url, t.body.access_token, 'GET', `/fhir/Patient/${created.body.id}`)).status).toBe(200);
});

test('a read-only token reads (200) and is refused writes and pushes (403), nothing written', async () => {
  const t = await grant(a, 'system/*.rs');
  expect(t.body.scope).toBe('system/*.rs');
  const key = t.body.access_token;
  expect((await api(a.url, key, 'GET', '/fhir/Patient?_count=1')).status).toBe(200);
  const write = await api(a.url, key, 'POST', '/fhir/Patient', patient);
  expect(write.status).toBe(403);
  expect(write.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient, request: { method: 'POST', url: 'Patient' } }] };
  expect((await api(a.url, key, 'POST', '/fhir', bundle)).status).toBe(403);
  const stored = await a.database.db.query(`SELECT count(*)::int AS n FROM bundle WHERE clinic_id = $1`, [clinic.id]);
  expect(stored.rows[0].n).toBe(1); // only the previous test's write
});

test('per-type scopes: Patient create only refuses an Observation in the same bundle', async () => {
  const t = await grant(a, 'system/Patient.c');
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: patient, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
    ],
  };
  const res = await api(a.url, t.body.access_token, 'POST', '/fhir', bundle);
  expect(res.status).toBe(403);
  expect(res.body.issue[0].diagnostics).toContain('Observation');
  const refusals = await a.database.db.query(
    `SELECT resource_types::text[] AS types, detail FROM audit_event WHERE clinic_id = $1 AND action = 'refused' ORDER BY seq DESC LIMIT 1`,
    [clinic.id],
  );
  expect(refusals.rows).toEqual([{ types: ['Observation'], detail: 'create refused: token scope (system/Patient.c)' }]);
  expect((await api(a.url, t.body.access_token, 'GET', '/fhir/Patient')).status).toBe(403);
  expect((await api(a.url, t.body.access_token, 'GET', '/fhir/$export', undefined, { prefer: 'respond-async' })).status).toBe(403);
  const patientRead = (await grant(a, 'system/Patient.rs system/Observation.cu')).body.access_token;
  const created = await api(a.url, clinic.apiKey, 'POST', '/fhir/Patient', { ...patient, identifier: [{ system: 'urn:test:smart', value: randomUUID() }] });
  expect((await api(a.url, patientRead, 'GET', `/fhir/Patient/${created.body.id}`)).status).toBe(200);
  expect((await api(a.url, patientRead, 'GET', `/fhir/Patient/${created.body.id}/$everything`)).status).toBe(403); // every type
  expect((await api(a.url, patientRead, 'DELETE', `/fhir/Patient/${created.body.id}`)).status).toBe(403);
  expect((await api(a.url, patientRead, 'GET', '/fhir/Patient/$export?_type=Patient', undefined, { prefer: 'respond-async' })).status).toBe(202);
  expect((await api(a.url, patientRead, 'GET', '/fhir/$export?_type=Patient,Observation', undefined, { prefer: 'respond-async' })).status).toBe(403);
  // The same in a bundle: operation entries are checked as their routes are, history and $meta of the system need every type.
  const entries = (...urls: string[]) => ({ resourceType: 'Bundle', type: 'batch', entry: urls.map((url) => ({ request: { method: 'GET', url } })) });
  const inBundle = await api(
    a.url,
    patientRead,
    'POST',
    '/fhir',
    entries(`Patient/${created.body.id}/$everything`, `Patient/${created.body.id}/$meta`, '$meta'),
  );
  expect(inBundle.body.entry.map((e: any) => e.response.status)).toEqual(['403', '200 OK', '403']);
  expect((await api(a.url, patientRead, 'GET', '/fhir/_history')).status).toBe(403);
  expect((await api(a.url, patientRead, 'GET', '/fhir/Patient/_history')).status).toBe(200);
  expect((await api(a.url, patientRead, 'GET', '/fhir/Observation/_history')).status).toBe(403);
  const all = (await grant(a, 'system/*.read')).body.access_token;
  expect((await api(a.url, all, 'GET', `/fhir/Patient/${created.body.id}/$everything`)).status).toBe(200);
  expect((await api(a.url, all, 'POST', '/fhir', entries(`Patient/${created.body.id}/$everything`))).body.entry[0].response.status).toBe('200 OK');
  expect((await api(a.url, all, 'GET', '/fhir/_history')).status).toBe(200);
  expect((await api(a.url, all, 'GET', '/fhir/$export', undefined, { prefer: 'respond-async' })).status).toBe(202);
});

test('a replayed assertion is refused on the other process too (invalid_client)', async () => {
  const jti = randomUUID();
  expect((await grant(a, 'system/*.rs', { jti })).status).toBe(200);
  const again = await grant(b, 'system/*.rs', { jti, aud: `${b.url}/auth/token` });
  expect(again.status).toBe(401);
  expect(again.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('jti') });
});

test('wrong aud, expired, too long-lived, unknown client, wrong key: invalid_client, no token', async () => {
  const other = await generateKeyPair('ES384');
  const cases: AssertionOpts[] = [
    { aud: 'https://elsewhere.example/auth/token' },
    { exp: now() - 10 },
    { exp: now() + 3600 },
    { iss: 'fabc_unknown' },
    { key: other.privateKey },
  ];
  for (const c of cases) {
    const res = await grant(a, 'system/*.rs', c);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.body.access_token).toBeUndefined();
  }
});

test('request errors: grant type, assertion type, scope (RFC 6749 §5.2)', async () => {
  const base = {
    grant_type: 'client_credentials',
    scope: 'system/*.rs',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(a),
  };
  expect(await tokenRequest(a, { ...base, grant_type: 'password' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  expect(await tokenRequest(a, { ...base, client_assertion_type: 'x' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  expect(await tokenRequest(a, { ...base, client_assertion: 'not-a-jwt' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  expect(await tokenRequest(a, { ...base, scope: 'patient/*.read openid' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
});

test('a token after its expiry is refused (401); API keys still work', async () => {
  const t = await grant(a, 'system/*.rs');
  expect((await api(a.url, t.body.access_token, 'GET', '/fhir/Patient')).status).toBe(200);
  // Expiry is the database clock's: move this token's end into the past rather than wait five minutes.
  await a.database.db.query(`UPDATE smart_token SET expires_at = now() - interval '1 second'`);
  const late = await api(b.url, t.body.access_token, 'GET', '/fhir/Patient');
  expect(late.status).toBe(401);
  expect(late.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
  expect((await api(a.url, clinic.apiKey, 'POST', '/fhir/Patient', patient)).status).toBe(201);
});

test('an RS384 client of another clinic gets its own token, for its own clinic', async () => {
  const other = await a.clinic('RSA clinic');
  const pair = await generateKeyPair('RS384');
  const reg = await api(
    a.url,
    a.adminToken,
    'PUT',
    `/admin/clinics/${other.id}/smart-client`,
    { jwks: { keys: [await exportJWK(pair.publicKey)] } },
    { 'content-type': 'application/json' },
  );
  expect(reg.status).toBe(200);
  const signed = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS384' })
    .setIssuer(reg.body.client_id)
    .setSubject(reg.body.client_id)
    .setAudience(`${a.url}/auth/token`)
    .setExpirationTime(now() + 60)
    .setJti(randomUUID())
    .sign(pair.privateKey);
  const t = await tokenRequest(a, {
    grant_type: 'client_credentials',
    scope: 'system/Patient.read',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: signed,
  });
  expect(t).toMatchObject({ status: 200, body: { scope: 'system/Patient.read' } });
  const created = await api(a.url, t.body.access_token, 'POST', '/fhir/Patient', patient);
  expect(created.status).toBe(403);
  const found = await api(a.url, t.body.access_token, 'GET', '/fhir/Patient');
  expect(found.status).toBe(200);
  expect(found.body.total ?? found.body.entry?.length ?? 0).toBe(0); // the other clinic's patients are not its own
});

test('registration refuses private keys, bad JWKS and unknown clinics', async () => {
  const pair = await generateKeyPair('ES384', { extractable: true });
  const put = (id: string, body: unknown) => api(a.url, a.adminToken, 'PUT', `/admin/clinics/${id}/smart-client`, body, { 'content-type': 'application/json' });
  expect((await put(clinic.id, { jwks: { keys: [await exportJWK(pair.privateKey)] } })).status).toBe(400);
  expect((await put(clinic.id, { jwks: { keys: [] } })).status).toBe(400);
  expect((await put(clinic.id, { jwks: { keys: [{ kty: 'oct', k: 'abc' }] } })).status).toBe(400);
  expect((await put(clinic.id, {})).status).toBe(400);
  expect((await put(randomUUID(), { jwks: { keys: [await exportJWK(pair.publicKey)] } })).status).toBe(404);
  // Replacing the keys keeps the client_id.
  const again = await put(clinic.id, { jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k2' }] } });
  expect(again.body.client_id).toBe(clientId);
  const audits = (
    await a.database.db.query(`SELECT detail FROM audit_event WHERE action = 'key-rotate' AND detail LIKE $1 ORDER BY seq`, [`clinic ${clinic.id}:%`])
  ).rows;
  expect(audits.map((r) => r.detail)).toEqual([
    `clinic ${clinic.id}: SMART client ${clientId} public keys set (kids k1); via admin-api`,
    `clinic ${clinic.id}: SMART client ${clientId} public keys set (kids k2); via admin-api`,
  ]);
});

test('fhir-bridge clinic smart-client --jwks registers on the shared database; the client gets a token', async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.resolve(__dirname, '../../../bridge/cli.ts'), 'clinic', 'smart-client', ...args],
      { env: { ...process.env, DATABASE_URL: a.database.url } },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const byCli = await a.clinic('CLI smart');
  const pair = await generateKeyPair('ES384');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
  const file = path.join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [await exportJWK(pair.publicKey)] }));
  const out = await cli(byCli.id, '--jwks', file);
  expect(out.code).toBe(0);
  const { client_id: id } = JSON.parse(out.stdout);
  const signed = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(`${b.url}/auth/token`)
    .setExpirationTime(now() + 60)
    .setJti(randomUUID())
    .sign(pair.privateKey);
  const t = await tokenRequest(b, {
    grant_type: 'client_credentials',
    scope: 'system/*.read',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: signed,
  });
  expect(t.status).toBe(200);
  writeFileSync(file, JSON.stringify({ keys: [await exportJWK(pair.privateKey)] }));
  const refused = await cli(byCli.id, '--jwks', file);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/private key material/);
});

test('failed assertions from one address are throttled like wrong API keys (429), the known client still served', async () => {
  const t = await startTestBridge({ database: a.database, authFailLimit: 3, authFailWindowMs: 60_000 });
  try {
    // Its own client: the registration test above replaced the shared client's keys.
    const own = await t.clinic('Throttled');
    const pair = await generateKeyPair('ES384');
    const reg = await api(
      t.url,
      t.adminToken,
      'PUT',
      `/admin/clinics/${own.id}/smart-client`,
      { jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] } },
      { 'content-type': 'application/json' },
    );
    const good = { aud: `${t.url}/auth/token`, iss: reg.body.client_id as string, key: pair.privateKey };
    expect((await grant(t, 'system/*.rs', good)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await grant(t, 'system/*.rs', { ...good, iss: `fabc_guess${i}` })).status).toBe(401);
    const throttled = await grant(t, 'system/*.rs', { ...good, iss: 'fabc_guess9' });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('temporarily_unavailable');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await grant(t, 'system/*.rs', good)).status).toBe(200);
  } finally {
    await t.close();
  }
});

test('a client registered by jwksUrl: its keys are fetched and verify its assertions', async () => {
  const own = await a.clinic('By URL');
  const first = await generateKeyPair('ES384');
  const keys = [{ ...(await exportJWK(first.publicKey)), kid: 'u1' }];
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    const put = (body: unknown) => api(a.url, a.adminToken, 'PUT', `/admin/clinics/${own.id}/smart-client`, body, { 'content-type': 'application/json' });
    expect((await put({ jwksUrl: 'http://example.com/jwks.json' })).status).toBe(400); // plain http off loopback
    const reg = await put({ jwksUrl });
    expect(reg.status).toBe(200);
    const sign = (key: KeyLike, kid: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES384', kid })
        .setIssuer(reg.body.client_id)
        .setSubject(reg.body.client_id)
        .setAudience(`${a.url}/auth/token`)
        .setExpirationTime(now() + 60)
        .setJti(randomUUID())
        .sign(key);
    const form = async (signed: string) =>
      tokenRequest(a, {
        grant_type: 'client_credentials',
        scope: 'system/*.rs',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: signed,
      });
    expect((await form(await sign(first.privateKey, 'u1'))).status).toBe(200);
    const other = await generateKeyPair('ES384');
    expect((await form(await sign(other.privateKey, 'u1'))).status).toBe(401); // not the key published for that kid
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
