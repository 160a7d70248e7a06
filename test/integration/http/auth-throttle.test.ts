import { Writable } from 'node:stream';
import { createLogger } from '../../../bridge/log';
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/** Failed authentication: the client address is logged on each refusal, and repeated failures are throttled. */
const lines: string[] = [];
const logged = (): Record<string, unknown>[] => lines.map((l) => JSON.parse(l));
let bridge: TestBridge;
beforeAll(async () => {
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // One bridge per test below would do too; the tests use distinct client addresses (trusted X-Forwarded-For) so they stand alone.
  bridge = await startTestBridge({ log: createLogger('info', sink), authFailLimit: 5, authFailWindowMs: 60_000, trustProxy: 'loopback' });
});
afterAll(async () => bridge?.close());

const from = (address: string) => ({ 'x-forwarded-for': address });
const read = (key: string, address: string) => api(bridge.url, key, 'GET', '/fhir/Patient?_count=1', undefined, from(address));

test('wrong keys from one address: 401 up to the limit, then 429 with Retry-After; the known key is still served', async () => {
  const clinic = await bridge.clinic('Works');
  expect((await read(clinic.apiKey, '198.51.100.1')).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await read(`fab_wrong-${i}`, '198.51.100.1')).status).toBe(401);
  for (let i = 0; i < 50; i++) {
    const res = await read(`fab_still-wrong-${i}`, '198.51.100.1');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
  }
  // The clinic that authenticated from this address before is not slowed by the guesses.
  expect((await read(clinic.apiKey, '198.51.100.1')).status).toBe(200);
  // Another address is not affected, and a key never used from the throttled address waits like a guess (README).
  expect((await read('fab_wrong', '198.51.100.2')).status).toBe(401);
  const fresh = await bridge.clinic('New here');
  expect((await read(fresh.apiKey, '198.51.100.2')).status).toBe(200);
  expect((await read(fresh.apiKey, '198.51.100.1')).status).toBe(429);
  // The same address is throttled on every route that takes a clinic key.
  expect((await api(bridge.url, 'fab_x', 'GET', '/fhir/Patient/x/$everything', undefined, from('198.51.100.1'))).status).toBe(429);
  expect((await api(bridge.url, 'fab_x', 'GET', '/fhir/$export', undefined, from('198.51.100.1'))).status).toBe(429);
});

test('every refusal logs the client address; the throttle is logged once; no key is logged', async () => {
  const clinic = await bridge.clinic('Logged');
  expect((await read(clinic.apiKey, '198.51.100.9')).status).toBe(200);
  for (let i = 0; i < 7; i++) await read(`fab_secret-guess-${i}`, '203.0.113.7');
  const mine = logged().filter((l) => l.client === '203.0.113.7' && l.msg === 'request');
  expect(mine.map((l) => l.status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
  expect(logged().filter((l) => l.msg === 'failed authentication attempts throttled for this address' && l.client === '203.0.113.7')).toEqual([
    expect.objectContaining({ level: 40, kind: 'clinic' }),
  ]);
  // Served requests carry no address.
  expect(
    logged()
      .filter((l) => l.status === 200)
      .every((l) => l.client === undefined),
  ).toBe(true);
  expect(lines.join('\n')).not.toContain('fab_secret-guess');
});

test('the admin token is throttled the same way; the admin who signed in before still gets through', async () => {
  const admin = (token: string) => api(bridge.url, token, 'GET', '/admin/clinics', undefined, from('192.0.2.50'));
  expect((await admin(bridge.adminToken)).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await admin(`not-the-admin-token-${i}`)).status).toBe(401);
  const refused = await admin('not-the-admin-token-again');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect((await admin(bridge.adminToken)).status).toBe(200);
  expect(
    logged()
      .filter((l) => l.client === '192.0.2.50' && l.msg === 'request')
      .map((l) => l.status),
  ).toEqual([401, 401, 401, 401, 401, 429]);
});

test('X-Forwarded-For names the client only when TRUST_PROXY trusts the proxy', async () => {
  const direct = await startTestBridge({ database: bridge.database, authFailLimit: 2 });
  try {
    // Without TRUST_PROXY, a forged header changes nothing: the socket address is throttled.
    for (let i = 0; i < 2; i++) expect((await api(direct.url, `fab_w${i}`, 'GET', '/fhir/Patient', undefined, from(`10.9.9.${i}`))).status).toBe(401);
    expect((await api(direct.url, 'fab_w3', 'GET', '/fhir/Patient', undefined, from('10.9.9.3'))).status).toBe(429);
  } finally {
    await direct.close();
  }
});
