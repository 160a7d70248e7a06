/**
 * The audit trail's plain data: what is recorded for every push, read, search, pull, export and refusal (written by
 * access/, stored by store/, rendered by fhir/audit-event.ts). Types only, so every layer may import them.
 */

/** `link`, `unlink`, `reject-link`: an admin's decision on person links; `key-rotate`, `key-revoke`: on a clinic's API keys (clinicId null); `break-glass-enable`, `break-glass-disable`: on a clinic's emergency access (clinicId null). */
export type AuditAction =
  | 'push'
  | 'read'
  | 'search'
  | 'everything'
  | 'summary'
  | 'history'
  | 'export'
  | 'refused'
  | 'link'
  | 'unlink'
  | 'reject-link'
  | 'key-rotate'
  | 'key-revoke'
  | 'break-glass-enable'
  | 'break-glass-disable'
  | 'match'
  /** A foreign clinic's consent request (Task), and a home clinic's decision on it (approve, decline). */
  | 'consent-request'
  | 'consent-decision'
  /** A patient's own Consent created, changed or revoked (clinicId null, agent the patient). */
  | 'consent'
  /** A home clinic issued an enrolment code for one of its Patient records; the admin registered a patient app. */
  | 'enrolment-code'
  | 'app-register';

export type AuditOutcome = 'success' | 'refused' | 'error';

/**
 * Who acted when it is not a clinic (clinicId null): a signed-in patient, or the recipient of a SMART Health Link
 * (no account: the name they gave). Neither (and no clinic): the bridge administrator.
 */
export type AuditAgent = { kind: 'patient'; accountId: string } | { kind: 'health-link'; linkId: string; recipient: string };

/** What the audit trail records for every push, read, search, pull, export and refusal. */
export interface AuditRecord {
  clinicId: string | null;
  /** The acting patient or Health Link recipient (clinicId null then). */
  agent?: AuditAgent | null;
  action: AuditAction;
  outcome: AuditOutcome;
  personId?: string | null;
  patientIds?: string[];
  resourceTypes?: string[];
  /** Purpose of use, or the break-glass reason. */
  purpose?: string | null;
  breakGlass?: boolean;
  detail?: string;
}

/** An audit row as stored, with the canonical JSON and hash that make it anchorable like a bundle. */
export interface StoredAudit {
  id: string;
  recorded: string;
  /** The agent: the clinic that acted; null for a patient or link recipient (`agent`), or the bridge administrator. */
  clinicId: string | null;
  agent: AuditAgent | null;
  action: AuditAction;
  outcome: AuditOutcome;
  /** Internal person id: never shown to a clinic (see access/audit-visibility.ts). */
  personId: string | null;
  patientIds: string[];
  resourceTypes: string[];
  purpose: string | null;
  breakGlass: boolean;
  detail: string | null;
  /** `0x` + 64 hex: SHA-256 of the canonical JSON. */
  hash: string;
}
