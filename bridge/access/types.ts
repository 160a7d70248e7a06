/**
 * Who may see whose records: the contract between access control (consent, break-glass, audit) and the pull
 * operations ($everything, $summary, timeline, export).
 */

/** Why a clinic may read a person's records from other clinics. */
export type AccessBasis = 'own' | 'consent' | 'break-glass';

export interface PersonAccess {
  /** The person (one human across clinics) the request is about. */
  personId: string;
  /** Patient records (bridge Patient ids) of that person the caller may read, with the clinic holding each. */
  patients: { patientId: string; clinicId: string; basis: AccessBasis }[];
  /** Set when the caller read without consent under `X-Break-Glass: <reason>`. */
  breakGlassReason?: string;
}

/** What the audit trail records for every push, read, search, pull, export and refusal. */
export interface AuditRecord {
  clinicId: string | null;
  /** `link`, `unlink`, `reject-link`: an admin's decision on person links; `key-rotate`, `key-revoke`: on a clinic's API keys (clinicId null); `break-glass-enable`, `break-glass-disable`: on a clinic's emergency access (clinicId null). */
  action: 'push' | 'read' | 'search' | 'everything' | 'summary' | 'history' | 'export' | 'refused' | 'link' | 'unlink' | 'reject-link' | 'key-rotate' | 'key-revoke'
    | 'break-glass-enable' | 'break-glass-disable'
    /** A foreign clinic's consent request (Task), and a home clinic's decision on it (approve, decline). */
    | 'consent-request' | 'consent-decision';
  outcome: 'success' | 'refused' | 'error';
  personId?: string | null;
  patientIds?: string[];
  resourceTypes?: string[];
  /** Purpose of use, or the break-glass reason. */
  purpose?: string | null;
  breakGlass?: boolean;
  detail?: string;
}
