import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { api } from '../../helpers/fixtures';
import { located, patientBundle } from '../../helpers/people';
import { ADMIN_TOKEN, startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Emergency access over HTTP: only for a clinic an admin enabled, with a v3 ActReason purpose and a real reason,
 * at most BREAK_GLASS_LIMIT (here 3) break-glass reads per clinic and hour; every read and refusal audited.
 * B holds the patient; C, a clinic abroad, holds nobody. The tests run in order (the limit is used up on the way).
 */
let bridge: TestBridge;
type Clinic = { id: string; apiKey: string };
let B: Clinic, C: Clinic;
let pb: string, obsB: string;

const LIMIT = 3;
const REASON = 'unconscious in ER, no relatives reachable';
const glass = (purpose = 'ETREAT', reason = REASON) => ({ 'X-Break-Glass': reason, 'X-Purpose-Of-Use': purpose });
const get = (c: Clinic, path: string, headers: Record<string, string> = {}) => api(bridge.url, c.apiKey, 'GET', path, undefined, headers);
const admin = (method: string, path: string, token = ADMIN_TOKEN) => api(bridge.url, token, method, `/admin${path}`);
const rows = async (clinicId: string | null) =>
  (
    await bridge.database.db.query(
      'SELECT action, outcome, break_glass, purpose, detail FROM audit_event WHERE clinic_id IS NOT DISTINCT FROM $1 ORDER BY seq',
      [clinicId],
    )
  ).rows;

beforeAll(async () => {
  bridge = await startTestBridge({ breakGlassLimit: LIMIT });
  [B, C] = [await bridge.clinic('Clinic B'), await bridge.clinic('Clinic C abroad')];
  const b = await api(bridge.url, B.apiKey, 'POST', '/fhir', patientBundle({ id: 'g1', family: 'Weber', given: 'Lena', birthDate: '1970-02-02' }));
  expect(b.status).toBe(200);
  [pb, obsB] = [located(b.body, 0).slice(8), located(b.body, 1)];
});
afterAll(async () => bridge?.close());

test('a clinic not enabled for break-glass is refused with 403, audited as refused', async () => {
  const before = (await rows(C.id)).length;
  const res = await get(C, `/fhir/${obsB}`, glass());
  expect(res.status).toBe(403);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('forbidden');
  expect((await get(C, `/fhir/Patient/${pb}/$everything`, glass())).status).toBe(403);
  const added = (await rows(C.id)).slice(before);
  expect(added).toHaveLength(2);
  expect(added.every((r) => r.outcome === 'refused' && !r.break_glass && /not enabled/.test(r.detail))).toBe(true);
});

test('only the admin enables it, for a known clinic; the change is audited', async () => {
  expect((await admin('PUT', `/clinics/${C.id}/break-glass`, C.apiKey)).status).toBe(401);
  expect((await admin('PUT', '/clinics/00000000-0000-4000-8000-000000000000/break-glass')).status).toBe(404);
  expect((await admin('PUT', '/clinics/not-a-uuid/break-glass')).status).toBe(404);
  const on = await admin('PUT', `/clinics/${C.id}/break-glass`);
  expect(on.status).toBe(200);
  expect(on.body).toEqual({ clinicId: C.id, breakGlass: true });
  expect((await rows(null)).some((r) => r.action === 'break-glass-enable' && r.detail.includes(C.id))).toBe(true);
});

test('enabled: a short or overlong reason, or a purpose that is not a break-glass ActReason, is 400 and reads nothing', async () => {
  const before = (await rows(C.id)).length;
  for (const headers of [
    glass('ETREAT', 'help'),
    glass('ETREAT', '   short    '),
    glass('ETREAT', 'x'.repeat(1001)),
    glass('HMARKT'),
    glass('etreat'),
    glass('http://example.org/reasons|ETREAT'),
    { 'X-Break-Glass': REASON },
  ]) {
    const res = await get(C, `/fhir/${obsB}`, headers);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  }
  expect((await rows(C.id)).slice(before)).toHaveLength(0);
});

test('enabled with a coded purpose and a real reason: 200, flagged, and visible to the home clinic', async () => {
  const before = (await rows(C.id)).length;
  const res = await get(C, `/fhir/${obsB}`, glass('http://terminology.hl7.org/CodeSystem/v3-ActReason|ETREAT'));
  expect(res.status).toBe(200);
  expect(res.body.resourceType).toBe('Observation');
  const added = (await rows(C.id)).slice(before);
  expect(added).toEqual([expect.objectContaining({ action: 'read', outcome: 'success', break_glass: true, purpose: `ETREAT: ${REASON}` })]);
  const trail = await get(B, `/fhir/AuditEvent?patient=Patient/${pb}&_count=1000`);
  expect(trail.status).toBe(200);
  const event = trail.body.entry.map((e: any) => e.resource).find((e: any) => e.agent[0].who.reference === `Organization/${C.id}` && e.outcome === '0');
  expect(event.purposeOfEvent[0].coding.map((c: any) => c.code)).toEqual(['BTG', 'ETREAT']);
  expect(event.purposeOfEvent[0].text).toBe(REASON);
});

test(`beyond ${LIMIT} break-glass reads an hour: 429 with Retry-After, counted from the audit trail`, async () => {
  expect((await get(C, `/fhir/Observation?patient=Patient/${pb}`, glass('ERTREAT'))).status).toBe(200);
  expect((await get(C, `/fhir/Patient/${pb}/$everything`, glass('BTG'))).status).toBe(200);
  const over = await get(C, `/fhir/${obsB}`, glass());
  expect(over.status).toBe(429);
  expect(over.body.resourceType).toBe('OperationOutcome');
  const wait = Number(over.headers.get('retry-after'));
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(3600);
  expect((await rows(C.id)).filter((r) => r.break_glass)).toHaveLength(LIMIT);
  // A second bridge process on the same database counts the same reads.
  const other = await startTestBridge({ database: bridge.database, breakGlassLimit: LIMIT });
  try {
    expect((await api(other.url, C.apiKey, 'GET', `/fhir/${obsB}`, undefined, glass())).status).toBe(429);
  } finally {
    await other.close();
  }
  expect((await rows(C.id)).at(-1)).toMatchObject({ outcome: 'refused', break_glass: false });
  // Its own records need no break-glass, and the limit does not touch them.
  expect((await get(B, `/fhir/${obsB}`)).status).toBe(200);
});

test('disabled again: 403 again; enabling and disabling are idempotent', async () => {
  expect((await admin('PUT', `/clinics/${C.id}/break-glass`)).status).toBe(200);
  expect((await admin('DELETE', `/clinics/${C.id}/break-glass`)).body).toEqual({ clinicId: C.id, breakGlass: false });
  expect((await admin('DELETE', `/clinics/${C.id}/break-glass`)).status).toBe(200);
  expect((await get(C, `/fhir/${obsB}`, glass())).status).toBe(403);
  expect((await rows(null)).filter((r) => r.action === 'break-glass-disable')).toHaveLength(2);
});

test('fhir-bridge clinic break-glass --enable / --disable acts on the database the bridge serves', async () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.resolve(__dirname, '../../../bridge/cli.ts'), 'clinic', 'break-glass', ...args],
      { env: { ...process.env, DATABASE_URL: bridge.database.url } },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const D = await bridge.clinic('Clinic D by CLI');
  expect((await get(D, `/fhir/${obsB}`, glass())).status).toBe(403);
  const on = await cli(D.id, '--enable');
  expect(on.code).toBe(0);
  expect(JSON.parse(on.stdout)).toEqual({ clinicId: D.id, breakGlass: true });
  expect((await get(D, `/fhir/${obsB}`, glass())).status).toBe(200);
  expect((await cli(D.id, '--disable')).code).toBe(0);
  expect((await get(D, `/fhir/${obsB}`, glass())).status).toBe(403);
  const neither = await cli(D.id);
  expect(neither.code).toBe(1);
  expect(neither.stderr).toMatch(/exactly one of --enable, --disable/);
  const unknown = await cli('00000000-0000-4000-8000-000000000000', '--enable');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/no clinic/);
  expect((await rows(null)).filter((r) => r.detail?.includes(D.id)).map((r) => [r.action, r.detail.endsWith('via cli')])).toEqual([
    ['break-glass-enable', true],
    ['break-glass-disable', true],
  ]);
}, 60_000);
