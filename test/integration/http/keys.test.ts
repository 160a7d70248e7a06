import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Key revocation and rotation with two bridge apps on one database (what two processes behind a load balancer are):
 * a change made through either holds on both from the next request, with no cache to wait out.
 */
let a: TestBridge;
let b: TestBridge;
beforeAll(async () => {
  a = await startTestBridge();
  b = await startTestBridge({ database: a.database });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const admin = (bridge: TestBridge, method: string, pathname: string, body?: unknown) =>
  api(bridge.url, bridge.adminToken, method, pathname, body, body === undefined ? {} : { 'content-type': 'application/json' });
const read = (bridge: TestBridge, key: string) => api(bridge.url, key, 'GET', '/fhir/Patient?_count=1');
const keyAudits = async (clinicId: string) =>
  (
    await a.database.db.query(`SELECT action, outcome, clinic_id, detail FROM audit_event WHERE action LIKE 'key-%' AND detail LIKE $1 ORDER BY seq`, [
      `clinic ${clinicId}:%`,
    ])
  ).rows;

test('a key revoked through one process is refused at once by the other, which had just served it', async () => {
  const clinic = await a.clinic('Revoked');
  expect((await read(a, clinic.apiKey)).status).toBe(200);
  expect((await read(b, clinic.apiKey)).status).toBe(200);
  const del = await admin(a, 'DELETE', `/admin/clinics/${clinic.id}/keys/${clinic.keyId}`);
  expect(del.status).toBe(204);
  const onB = await read(b, clinic.apiKey);
  expect(onB.status).toBe(401);
  expect(onB.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
  expect((await read(a, clinic.apiKey)).status).toBe(401);
  // Revoking again is no error and changes nothing.
  expect((await admin(b, 'DELETE', `/admin/clinics/${clinic.id}/keys/${clinic.keyId}`)).status).toBe(204);
  const keys = await admin(b, 'GET', `/admin/clinics/${clinic.id}/keys`);
  expect(keys.body).toEqual([{ keyId: clinic.keyId, createdAt: expect.any(String), revokedAt: expect.any(String), active: false }]);
  expect(await keyAudits(clinic.id)).toEqual([
    { action: 'key-revoke', outcome: 'success', clinic_id: null, detail: `clinic ${clinic.id}: revoked ${clinic.keyId}; via admin-api` },
    { action: 'key-revoke', outcome: 'success', clinic_id: null, detail: `clinic ${clinic.id}: revoked none; via admin-api` },
  ]);
});

test('a rotated key works at once on both processes and the old one is refused on both', async () => {
  const clinic = await a.clinic('Rotated');
  expect((await read(a, clinic.apiKey)).status).toBe(200);
  expect((await read(b, clinic.apiKey)).status).toBe(200);
  const rotated = await admin(b, 'POST', `/admin/clinics/${clinic.id}/keys`);
  expect(rotated.status).toBe(201);
  expect(rotated.body).toMatchObject({ clinicId: clinic.id, apiKey: expect.stringMatching(/^fab_/), revoked: [{ keyId: clinic.keyId, active: false }] });
  for (const bridge of [a, b]) {
    expect((await read(bridge, rotated.body.apiKey)).status).toBe(200);
    expect((await read(bridge, clinic.apiKey)).status).toBe(401);
  }
  const audits = await keyAudits(clinic.id);
  expect(audits).toEqual([
    {
      action: 'key-rotate',
      outcome: 'success',
      clinic_id: null,
      detail: expect.stringContaining(`key ${rotated.body.keyId} issued; revoked ${clinic.keyId} until `),
    },
  ]);
  expect(JSON.stringify(audits)).not.toContain(rotated.body.apiKey);
});

test('a rotation with a grace period keeps the old key working until it ends or is revoked', async () => {
  const clinic = await a.clinic('Graceful');
  const rotated = await admin(a, 'POST', `/admin/clinics/${clinic.id}/keys`, { graceSeconds: 3600 });
  expect(rotated.status).toBe(201);
  const ends = Date.parse(rotated.body.revoked[0].revokedAt);
  expect(ends).toBeGreaterThan(Date.now() + 3000_000);
  for (const bridge of [a, b]) {
    expect((await read(bridge, clinic.apiKey)).status).toBe(200);
    expect((await read(bridge, rotated.body.apiKey)).status).toBe(200);
  }
  // Revoking everything now ends the grace period too.
  const all = await admin(b, 'POST', `/admin/clinics/${clinic.id}/revoke-keys`);
  expect(all.status).toBe(200);
  expect(all.body.revoked.map((k: { keyId: string }) => k.keyId).sort()).toEqual([clinic.keyId, rotated.body.keyId].sort());
  for (const bridge of [a, b]) {
    expect((await read(bridge, clinic.apiKey)).status).toBe(401);
    expect((await read(bridge, rotated.body.apiKey)).status).toBe(401);
  }
});

test('bad key requests get 4xx OperationOutcomes and change nothing', async () => {
  const clinic = await a.clinic('Untouched');
  const other = await a.clinic('Other');
  const before = (await a.database.db.query('SELECT id, revoked_at FROM clinic_key ORDER BY id')).rows;
  const audits = (await a.database.db.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n;
  const cases: [string, string, unknown, number][] = [
    ['POST', '/admin/clinics/00000000-0000-4000-8000-000000000000/keys', undefined, 404],
    ['POST', '/admin/clinics/not-a-uuid/keys', undefined, 404],
    ['POST', `/admin/clinics/${clinic.id}/keys`, { graceSeconds: -1 }, 400],
    ['POST', `/admin/clinics/${clinic.id}/keys`, { graceSeconds: 'soon' }, 400],
    ['POST', `/admin/clinics/${clinic.id}/keys`, { grace: 5 }, 400],
    ['DELETE', `/admin/clinics/${clinic.id}/keys/${other.keyId}`, undefined, 404],
    ['DELETE', `/admin/clinics/${clinic.id}/keys/nope`, undefined, 404],
    ['POST', '/admin/clinics/nope/revoke-keys', undefined, 404],
    ['GET', '/admin/clinics/nope/keys', undefined, 404],
  ];
  for (const [method, pathname, body, status] of cases) {
    const res = await admin(b, method, pathname, body);
    expect([method, pathname, res.status]).toEqual([method, pathname, status]);
    expect(res.body.resourceType).toBe('OperationOutcome');
  }
  expect((await api(a.url, clinic.apiKey, 'DELETE', `/admin/clinics/${clinic.id}/keys/${clinic.keyId}`)).status).toBe(401);
  expect((await a.database.db.query('SELECT id, revoked_at FROM clinic_key ORDER BY id')).rows).toEqual(before);
  expect((await a.database.db.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n).toBe(audits);
  expect((await read(a, clinic.apiKey)).status).toBe(200);
});

test('fhir-bridge clinic rotate-key and revoke-key act on the database the bridges share', async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['-r', 'ts-node/register/transpile-only', path.resolve(__dirname, '../../../bridge/cli.ts'), 'clinic', ...args], {
      env: { ...process.env, DATABASE_URL: a.database.url },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const clinic = await a.clinic('By CLI');
  expect((await read(b, clinic.apiKey)).status).toBe(200);
  const rotated = await cli('rotate-key', clinic.id);
  expect(rotated.code).toBe(0);
  const issued = JSON.parse(rotated.stdout);
  expect((await read(b, clinic.apiKey)).status).toBe(401);
  expect((await read(a, issued.apiKey)).status).toBe(200);
  const listed = await cli('keys', clinic.id);
  expect(JSON.parse(listed.stdout).map((k: { active: boolean }) => k.active)).toEqual([false, true]);
  const revoked = await cli('revoke-key', clinic.id, '--key', issued.keyId);
  expect(revoked.code).toBe(0);
  expect((await read(b, issued.apiKey)).status).toBe(401);
  expect((await keyAudits(clinic.id)).map((r) => [r.action, r.detail.endsWith('via cli')])).toEqual([
    ['key-rotate', true],
    ['key-revoke', true],
  ]);
  const unknown = await cli('revoke-key', '00000000-0000-4000-8000-000000000000');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/no clinic 00000000-0000-4000-8000-000000000000/);
});
