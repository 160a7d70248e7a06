/**
 * Who a request is: a clinic's API key (fab_…) or SMART Backend Services access token (fabt_…, with scopes), or a
 * patient's access token (fapt_…, SMART App Launch, with patient scopes), looked
 * up on every request (no cache), so a key revoked or a token expired through any process sharing the database is
 * refused by all of them from the moment the change commits.
 */
import { findClinicByApiKey } from '../store/clinics';
import { findPatientToken, PATIENT_ACCESS_PREFIX } from '../store/patient-accounts';
import { findToken } from '../store/smart';
import type { AccessServices } from './services';
import { clinicSession, patientSession, Session } from './session';

/** Whether a bearer is a patient access token (its prefix routes it; the token itself is checked by authenticateBearer). */
export const isPatientBearer = (bearer: string | undefined): boolean => !!bearer && bearer.startsWith(PATIENT_ACCESS_PREFIX);

/** The session of a bearer credential, or null when it is no live API key or access token. */
export async function authenticateBearer(svc: AccessServices, bearer: string): Promise<Session | null> {
  if (bearer.startsWith(PATIENT_ACCESS_PREFIX)) {
    const token = await findPatientToken(svc.db, bearer, 'access');
    return token ? patientSession(token, token.scopes) : null;
  }
  if (bearer.startsWith('fabt_')) {
    const token = await findToken(svc.db, bearer);
    if (token) return clinicSession(token.clinic, 'smart-token', token.scopes);
  }
  const clinic = await findClinicByApiKey(svc.db, bearer);
  return clinic ? clinicSession(clinic, 'api-key') : null;
}
