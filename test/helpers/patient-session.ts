/**
 * A patient's access token for tests of what patients may do, without going through sign-in: the account enrolled on
 * `patientId` (created if needed) and a live token with `scopes`. Sign-in itself is tested by the identity tests.
 */
import type { Db } from '../../bridge/store/db';
import { inTransaction } from '../../bridge/store/db';
import { enrolRecord, issuePatientToken } from '../../bridge/store/patient-accounts';

export const PATIENT_READ_SCOPES = ['patient/*.rs', 'launch/patient', 'openid', 'fhirUser'];

export async function patientToken(db: Db, patientId: string, scopes: string[] = PATIENT_READ_SCOPES, lifetimeSeconds = 3600): Promise<string> {
  const accountId = await inTransaction(db, (tx) => enrolRecord(tx, patientId));
  return (await issuePatientToken(db, { accountId, kind: 'access', clientId: 'test', scopes, lifetimeSeconds })).token;
}
