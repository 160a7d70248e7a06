import { createHash } from 'node:crypto';
import { setBreakGlass, rotateKey } from '../../../bridge/access/admin';
import { admitAccessHeaders } from '../../../bridge/access/admission';
import { audit } from '../../../bridge/access/audit';
import { authenticateBearer } from '../../../bridge/access/authenticate';
import { accessServices, AccessServices } from '../../../bridge/access/services';
import { adminSession } from '../../../bridge/access/session';
import type { IngestPool } from '../../../bridge/ingest/ingest-pool';
import { createClinic } from '../../../bridge/store/clinics';
import { inTransaction } from '../../../bridge/store/db';
import { issueToken } from '../../../bridge/store/smart';
import { createTestDatabase, TestDatabase } from '../../helpers/db';

/**
 * Sessions over a real database: who a credential is (API key, SMART token, neither), break-glass admitted once
 * (refusals audited, admission itself not), and the one audit writer (hashed rows, inside the caller's transaction).
 */
let database: TestDatabase;
let svc: AccessServices;
let A: { id: string; apiKey: string; name: string };
const noIngest: IngestPool = { push: () => Promise.reject(new Error('no pushes here')), close: async () => undefined };
const GLASS = { breakGlass: 'unconscious in ER, no relatives reachable', purposeOfUse: 'ETREAT' };
const rows = async (clinicId: string | null) =>
  (
    await database.db.query(
      "SELECT action, outcome, break_glass, detail, canonical, encode(hash, 'hex') AS hash FROM audit_event WHERE clinic_id IS NOT DISTINCT FROM $1 ORDER BY seq",
      [clinicId],
    )
  ).rows;

beforeAll(async () => {
  database = await createTestDatabase();
  svc = accessServices({ db: database.db, ingest: noIngest, maxEntries: 100, personSystems: [], breakGlassLimit: 1 });
  A = { ...(await createClinic(database.db, 'Clinic A')), name: 'Clinic A' };
});
afterAll(async () => database?.drop());

test('an API key authenticates as its clinic, without scopes; a rotated-out or unknown key as nobody', async () => {
  expect(await authenticateBearer(svc, A.apiKey)).toEqual({ principal: { kind: 'clinic', clinicId: A.id, clinicName: 'Clinic A' }, credential: 'api-key' });
  expect(await authenticateBearer(svc, 'fab_not-a-key')).toBeNull();
  const B = await createClinic(database.db, 'Clinic B');
  const rotated = await rotateKey(svc, adminSession(), B.id, 0, 'admin-api');
  expect(await authenticateBearer(svc, B.apiKey)).toBeNull();
  expect((await authenticateBearer(svc, rotated!.apiKey))?.principal).toMatchObject({ clinicId: B.id });
});

test('a SMART access token authenticates as its clinic with exactly its scopes; an unknown token as nobody', async () => {
  const token = await issueToken(database.db, A.id, ['system/Observation.rs', 'system/Patient.r'], 300);
  expect(await authenticateBearer(svc, token)).toEqual({
    principal: { kind: 'clinic', clinicId: A.id, clinicName: 'Clinic A' },
    credential: 'smart-token',
    scopes: ['system/Observation.rs', 'system/Patient.r'],
  });
  expect(await authenticateBearer(svc, 'fabt_unknown')).toBeNull();
});

test('break-glass of a clinic not enabled: 403, one refusal audited; admitted once enabled, the admission itself not audited', async () => {
  const session = (await authenticateBearer(svc, A.apiKey))!;
  await expect(admitAccessHeaders(svc, session, GLASS)).rejects.toMatchObject({ status: 403 });
  expect(await rows(A.id)).toEqual([
    expect.objectContaining({ action: 'refused', outcome: 'refused', break_glass: false, detail: expect.stringMatching(/not enabled/) }),
  ]);
  expect(await setBreakGlass(svc, adminSession(), A.id, true, 'admin-api')).toBe(true);
  const admitted = await admitAccessHeaders(svc, session, GLASS);
  expect(admitted.breakGlass).toEqual({ purpose: 'ETREAT', reason: GLASS.breakGlass });
  expect(admitted.purpose).toBe('ETREAT');
  expect(await rows(A.id)).toHaveLength(1);
});

test('beyond the hourly limit (here 1 flagged read) admission is 429 with Retry-After, audited as refused', async () => {
  const session = (await authenticateBearer(svc, A.apiKey))!;
  await audit(database.db, { clinicId: A.id, action: 'read', outcome: 'success', breakGlass: true, purpose: 'ETREAT: test' });
  const refused = admitAccessHeaders(svc, session, GLASS);
  await expect(refused).rejects.toMatchObject({ status: 429 });
  await expect(refused.catch((e) => e.retryAfterSeconds)).resolves.toBeGreaterThan(0);
  expect((await rows(A.id)).at(-1)).toMatchObject({ action: 'refused', break_glass: false, detail: expect.stringMatching(/limit of 1/) });
});

test('the audit writer stores a hashed record, and inside a transaction that rolls back leaves nothing', async () => {
  const [a, b] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
  const stored = await audit(database.db, { clinicId: null, action: 'link', outcome: 'success', patientIds: [b, a, a], detail: 'x' });
  expect(stored.patientIds).toEqual([a, b]);
  const [row] = (await rows(null)).filter((r) => r.detail === 'x');
  expect(`0x${row.hash}`).toBe(stored.hash);
  expect(`0x${createHash('sha256').update(row.canonical, 'utf8').digest('hex')}`).toBe(stored.hash);
  const before = (await rows(null)).length;
  await expect(
    inTransaction(database.db, async (tx) => {
      await audit(tx, { clinicId: null, action: 'unlink', outcome: 'success', detail: 'rolled back' });
      throw new Error('abort');
    }),
  ).rejects.toThrow('abort');
  expect(await rows(null)).toHaveLength(before);
});

test('an admin change on an unknown clinic changes nothing and audits nothing', async () => {
  const before = (await rows(null)).length;
  expect(await setBreakGlass(svc, adminSession(), '00000000-0000-4000-8000-000000000000', true, 'cli')).toBe(false);
  expect(await rotateKey(svc, adminSession(), '00000000-0000-4000-8000-000000000000', 0, 'cli')).toBeNull();
  expect(await rows(null)).toHaveLength(before);
});

test('admin operations refuse a clinic session (403) and change nothing', async () => {
  const clinic = (await authenticateBearer(svc, A.apiKey))!;
  const before = (await rows(null)).length;
  await expect(setBreakGlass(svc, clinic, A.id, false, 'admin-api')).rejects.toMatchObject({ status: 403 });
  await expect(rotateKey(svc, clinic, A.id, 0, 'admin-api')).rejects.toMatchObject({ status: 403 });
  expect(await authenticateBearer(svc, A.apiKey)).not.toBeNull();
  expect(await rows(null)).toHaveLength(before);
});
