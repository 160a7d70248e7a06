/**
 * Patients as principals (issue 10): a patient access token authenticates as the person of its enrolled records, one
 * account per person across clinics, refused once expired or revoked; every clinic operation answers it 403 (the
 * access layer's actingClinic), never a clinic's view. Real PostgreSQL, the real bridge over HTTP.
 */
import { authenticateBearer } from '../../../bridge/access/authenticate';
import { accessServices } from '../../../bridge/access/services';
import type { IngestPool } from '../../../bridge/ingest/ingest-pool';
import { inTransaction } from '../../../bridge/store/db';
import { enrolRecord, issuePatientToken, revokeTokenFamily } from '../../../bridge/store/patient-accounts';
import { api } from '../../helpers/fixtures';
import { located, patientBundle, SSN } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let A: { id: string; apiKey: string }, B: { id: string; apiKey: string };
let pa: string, pb: string;
const noIngest: IngestPool = { push: () => Promise.reject(new Error('no pushes here')), close: async () => undefined };
const svc = () => accessServices({ db: bridge.database.db, ingest: noIngest, maxEntries: 100, personSystems: [SSN] });
const person = { family: 'Weber', given: 'Anna', birthDate: '1985-03-14', ssn: '999-10-2020' };

beforeAll(async () => {
  bridge = await startTestBridge();
  A = await bridge.clinic('Berlin');
  B = await bridge.clinic('Munich');
  pa = located((await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'anna-a', ...person }))).body, 0).split('/')[1];
  pb = located((await api(bridge.url, B.apiKey, 'POST', '/fhir', patientBundle({ id: 'anna-b', ...person }))).body, 0).split('/')[1];
});
afterAll(async () => bridge?.close());

test('one account per person: enrolling the second clinic record of the same person joins the first account', async () => {
  const db = bridge.database.db;
  const first = await inTransaction(db, (tx) => enrolRecord(tx, pa));
  expect(await inTransaction(db, (tx) => enrolRecord(tx, pb))).toBe(first);
  expect(await inTransaction(db, (tx) => enrolRecord(tx, pa))).toBe(first);
  const person = (await db.query('SELECT person_id FROM patient WHERE id = $1', [pa])).rows[0].person_id;
  const { token, family } = await issuePatientToken(db, { accountId: first, kind: 'access', clientId: 'test', scopes: ['patient/*.rs'], lifetimeSeconds: 60 });
  expect(await authenticateBearer(svc(), token)).toEqual({
    principal: { kind: 'patient', accountId: first, personId: person, patientId: pa },
    credential: 'patient-token',
    scopes: ['patient/*.rs'],
  });
  await revokeTokenFamily(db, family);
  expect(await authenticateBearer(svc(), token)).toBeNull();
});

test('an expired, a refresh (not access) or an unknown patient token authenticates as nobody', async () => {
  const db = bridge.database.db;
  const accountId = await inTransaction(db, (tx) => enrolRecord(tx, pa));
  const expired = await issuePatientToken(db, { accountId, kind: 'access', clientId: 'test', scopes: ['patient/*.rs'], lifetimeSeconds: -1 });
  const refresh = await issuePatientToken(db, { accountId, kind: 'refresh', clientId: 'test', scopes: ['patient/*.rs'], lifetimeSeconds: 60 });
  expect(await authenticateBearer(svc(), expired.token)).toBeNull();
  expect(await authenticateBearer(svc(), refresh.token)).toBeNull();
  expect(await authenticateBearer(svc(), 'fapt_unknown')).toBeNull();
  const res = await api(bridge.url, expired.token, 'GET', '/fhir/metadata');
  expect(res.status).toBe(200); // metadata needs no credential
  expect((await api(bridge.url, expired.token, 'GET', '/fhir/AuditEvent')).status).toBe(401);
});

test('clinic operations answer a patient token 403 with an OperationOutcome and write nothing', async () => {
  const db = bridge.database.db;
  const accountId = await inTransaction(db, (tx) => enrolRecord(tx, pa));
  const { token } = await issuePatientToken(db, { accountId, kind: 'access', clientId: 'test', scopes: ['patient/*.cruds'], lifetimeSeconds: 60 });
  const before = (await db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n;
  const attempts: [string, string, unknown?, Record<string, string>?][] = [
    ['POST', '/fhir', patientBundle({ id: 'intruder', family: 'X', given: 'Y', birthDate: '1990-01-01' })],
    [
      'POST',
      '/fhir/Patient/$match',
      { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', name: [{ family: 'Weber' }] } }] },
    ],
    ['GET', '/fhir/$export', undefined, { Prefer: 'respond-async' }],
  ];
  for (const [method, path, body, headers] of attempts) {
    const res = await api(bridge.url, token, method, path, body, headers);
    expect({ path, status: res.status, type: res.body?.resourceType }).toEqual({ path, status: 403, type: 'OperationOutcome' });
  }
  expect((await db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n).toBe(before);
});
