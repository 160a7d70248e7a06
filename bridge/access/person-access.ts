import { FhirError, outcomes } from '../fhir/outcome';
import { recordAudit } from '../store/audit';
import { consentingPatients } from './consent-rules';
import { handleRecords, isMatchHandle } from './handle-access';
import type { Db } from '../store/db';
import { findPatientPerson, personPatients } from '../store/person-links';
import type { AccessBasis, AuditRecord, PersonAccess } from './types';

export interface PersonAccessOptions {
  /** `X-Break-Glass` reason: emergency access without consent, flagged in the audit trail. */
  breakGlassReason?: string;
  /** Recorded with a refusal: what the caller tried (default `read`) and on which resource types. */
  action?: AuditRecord['action'];
  resourceTypes?: string[];
  purpose?: string;
  /** Instant the consent periods are checked at (default now). */
  now?: Date;
}

/** Every patient record of the person, with the basis the caller may read it on (null: it may not). */
export interface PersonAccessEvaluation {
  personId: string;
  patients: { patientId: string; clinicId: string; basis: AccessBasis | null }[];
}

/**
 * Who may read what of the person behind `patientId`, without refusing: the caller's own records (`own`), records
 * whose holding clinic has an active permit Consent naming the caller (`consent`), and with a break-glass reason
 * every other record (`break-glass`). Null when the patient is unknown.
 */
export async function evaluatePersonAccess(db: Db, callerClinicId: string, patientId: string, opts: PersonAccessOptions = {}): Promise<PersonAccessEvaluation | null> {
  const start = await findPatientPerson(db, (await handleRecords(db, callerClinicId, patientId))?.[0] ?? patientId);
  if (!start) return null;
  const patients = await personPatients(db, start.personId);
  const foreign = patients.filter((p) => p.clinicId !== callerClinicId).map((p) => p.patientId);
  const consented = await consentingPatients(db, callerClinicId, foreign, opts.now);
  const glass = !!opts.breakGlassReason;
  return {
    personId: start.personId,
    patients: patients.map((p) => ({
      patientId: p.patientId,
      clinicId: p.clinicId,
      basis: p.clinicId === callerClinicId ? 'own' : consented.has(p.patientId) ? 'consent' : glass ? 'break-glass' : null,
    })),
  };
}

/** The granted part of an evaluation, as the contract's PersonAccess (null when nothing is granted). */
export function grantedAccess(e: PersonAccessEvaluation, breakGlassReason?: string): PersonAccess | null {
  const patients = e.patients.filter((p): p is PersonAccess['patients'][number] => p.basis !== null);
  if (!patients.length) return null;
  const usedGlass = patients.some((p) => p.basis === 'break-glass');
  return { personId: e.personId, patients, ...(usedGlass && breakGlassReason ? { breakGlassReason } : {}) };
}

/** The 403 every refusal answers with (it names neither the person nor the holding clinics). */
export function accessRefused(patientId: string): FhirError {
  return new FhirError(403, [{
    code: 'forbidden',
    diagnostics: `no access to the records of Patient/${patientId}: no own record, no active Consent naming this clinic, no X-Break-Glass reason`,
  }]);
}

/**
 * The records of the person behind `patientId` that `callerClinicId` may read, across every clinic holding that
 * person. Throws 404 (OperationOutcome) when the patient is unknown, and 403 when the caller has no own record, no
 * consent and no break-glass reason; a refusal is recorded in the audit trail before throwing. Successful reads are
 * audited by the caller once it knows what it served (see `auditAccess`).
 */
export async function resolvePersonAccess(db: Db, callerClinicId: string, patientId: string, opts: PersonAccessOptions = {}): Promise<PersonAccess> {
  const evaluation = await evaluatePersonAccess(db, callerClinicId, patientId, opts);
  if (!evaluation) throw new FhirError(404, [{ code: 'not-found', diagnostics: `Patient/${patientId} is not known` }]);
  const access = grantedAccess(evaluation, opts.breakGlassReason);
  if (isMatchHandle(patientId) && !access?.patients.some((p) => p.basis !== 'own')) {
    await auditRefusal(db, callerClinicId, evaluation.personId, [], opts);
    throw outcomes.notFound(`Patient/${patientId} is not known`);
  }
  if (!access) {
    await auditRefusal(db, callerClinicId, evaluation.personId, [patientId], opts);
    throw accessRefused(patientId);
  }
  return access;
}

export async function auditRefusal(db: Db, clinicId: string, personId: string | null, patientIds: string[], opts: PersonAccessOptions): Promise<void> {
  await recordAudit(db, {
    clinicId, action: 'refused', outcome: 'refused', personId, patientIds, resourceTypes: opts.resourceTypes,
    purpose: opts.purpose ?? null, detail: `${opts.action ?? 'read'} refused: no consent`,
  });
}

/**
 * Records a successful access under `access` (a pull, export, read or search): the person, the patient records
 * reached, the resource types served, and the purpose or the break-glass reason (flagged when break-glass was used).
 */
export async function auditAccess(
  db: Db,
  callerClinicId: string,
  access: PersonAccess,
  action: AuditRecord['action'],
  extra: { resourceTypes?: string[]; purpose?: string; detail?: string; patientIds?: string[] } = {},
): Promise<void> {
  const glass = !!access.breakGlassReason;
  await recordAudit(db, {
    clinicId: callerClinicId, action, outcome: 'success', personId: access.personId,
    patientIds: extra.patientIds ?? access.patients.map((p) => p.patientId), resourceTypes: extra.resourceTypes,
    purpose: glass ? access.breakGlassReason : extra.purpose ?? null, breakGlass: glass, detail: extra.detail,
  });
}
