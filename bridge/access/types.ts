/**
 * Who may see whose records: the contract between access control (consent, break-glass, audit) and the pull
 * operations ($everything, $summary, timeline, export).
 */

/**
 * Why a reader may read a person's records: a clinic its own (`own`), others' under `consent` or `break-glass`; the
 * patient every record of their own person (`self`, whatever the clinics' consents say).
 */
export type AccessBasis = 'own' | 'consent' | 'break-glass' | 'self';

export interface PersonAccess {
  /** The person (one human across clinics) the request is about. */
  personId: string;
  /** Patient records (bridge Patient ids) of that person the caller may read, with the clinic holding each. */
  patients: {
    patientId: string;
    clinicId: string;
    basis: AccessBasis;
    /**
     * Sensitivity labels withheld from this record (a patient's restricted Consent, normalize/sensitivity.ts);
     * absent or empty: nothing withheld. Every pull, read, search and export filters them (store/pull.ts withheldSql).
     */
    excludedLabels?: string[];
  }[];
  /** Set when the caller read without consent under `X-Break-Glass: <reason>`. */
  breakGlassReason?: string;
}

/** What the audit trail records (bridge/model/audit.ts, shared with the store). */
export type { AuditRecord } from '../model/audit';
