/**
 * Who a clinic request is: an API key (fab_…) or a SMART Backend Services access token (fabt_…, with scopes), looked
 * up on every request (no cache), so a key revoked or a token expired through any process sharing the database is
 * refused by all of them from the moment the change commits.
 */
import { findClinicByApiKey } from '../store/clinics';
import { findToken } from '../store/smart';
import type { AccessServices } from './services';
import { clinicSession, Session } from './session';

/** The session of a bearer credential, or null when it is no live API key or access token. */
export async function authenticateClinic(svc: AccessServices, bearer: string): Promise<Session | null> {
  if (bearer.startsWith('fabt_')) {
    const token = await findToken(svc.db, bearer);
    if (token) return clinicSession(token.clinic, 'smart-token', token.scopes);
  }
  const clinic = await findClinicByApiKey(svc.db, bearer);
  return clinic ? clinicSession(clinic, 'api-key') : null;
}
