/**
 * The session every request runs as: who (a clinic, a patient, an admin), on which credential, with which SMART
 * scopes, for which purpose of use, and with which emergency grant. It is built once per request at the HTTP edge
 * (bridge/http/auth.ts) and passed to every access decision; policy functions take it instead of raw request parts, so
 * who may see what is decided, and audited, in bridge/access only (Medplum's request-scoped repository is the model).
 */
import { outcomes } from '../fhir/outcome';
import type { BreakGlassRequest } from './break-glass';

/**
 * A patient principal reaches the person of its enrolled records (bridge/store/patient-accounts.ts) and nothing else;
 * `patientId` is its SMART launch context (the oldest enrolled record).
 */
export type Principal =
  { kind: 'clinic'; clinicId: string; clinicName: string } | { kind: 'patient'; accountId: string; personId: string; patientId: string } | { kind: 'admin' };

export type PatientPrincipal = Extract<Principal, { kind: 'patient' }>;

export type Credential = 'api-key' | 'smart-token' | 'patient-token' | 'admin-token';

export interface Session {
  principal: Principal;
  credential: Credential;
  /** SMART scopes of the access token; undefined for an API key, which may do everything its clinic may. */
  scopes?: readonly string[];
  /** `X-Purpose-Of-Use` as given (free text outside break-glass), recorded with every access. */
  purpose?: string;
  /** A break-glass request admitted by `admitBreakGlass` (enabled clinic, coded purpose, within the hourly limit). */
  breakGlass?: BreakGlassRequest;
}

/** The clinic a session acts for; patient and admin sessions act for none. */
export const sessionClinicId = (s: Session): string | null => (s.principal.kind === 'clinic' ? s.principal.clinicId : null);

/** A clinic's session on an API key or a SMART access token (whose scopes it carries). */
export function clinicSession(clinic: { id: string; name: string }, credential: 'api-key' | 'smart-token', scopes?: readonly string[]): Session {
  return {
    principal: { kind: 'clinic', clinicId: clinic.id, clinicName: clinic.name },
    credential,
    ...(credential === 'smart-token' ? { scopes: [...(scopes ?? [])] } : {}),
  };
}

/** A patient's session on a patient access token (SMART App Launch, `patient/` scopes). */
export function patientSession(p: { accountId: string; personId: string; patientId: string }, scopes: readonly string[]): Session {
  return {
    principal: { kind: 'patient', accountId: p.accountId, personId: p.personId, patientId: p.patientId },
    credential: 'patient-token',
    scopes: [...scopes],
  };
}

/** The session of a request on the bridge's admin token (or of the CLI, which holds the database). */
export const adminSession = (): Session => ({ principal: { kind: 'admin' }, credential: 'admin-token' });

/** The clinic a clinic session acts for; 403 for any other session (a clinic operation needs a clinic). */
export function actingClinic(s: Session): string {
  if (s.principal.kind !== 'clinic') throw outcomes.forbidden('this operation is for clinics (a clinic API key or SMART access token)');
  return s.principal.clinicId;
}

/** The patient a patient session is; 403 for any other session (a patient operation needs a signed-in patient). */
export function actingPatient(s: Session): PatientPrincipal {
  if (s.principal.kind !== 'patient') throw outcomes.forbidden('this operation is for patients (a patient access token)');
  return s.principal;
}

/** 403 unless the session is the admin's (admin operations, bridge/access/admin.ts). */
export function actingAdmin(s: Session): void {
  if (s.principal.kind !== 'admin') throw outcomes.forbidden('this operation is for the bridge admin');
}
