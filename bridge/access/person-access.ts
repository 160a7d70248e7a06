import { outcomes, type FhirError } from '../fhir/outcome';
import { consentingPatients, patientGrants } from './consent-rules';
import { handleRecords, isMatchHandle } from './handle-access';
import type { Db } from '../store/db';
import { findPatientPerson, personPatients } from '../store/person-links';
import { audit } from './audit';
import { auditedAs, type PatientReader, type Reader } from './reader';
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
  patients: { patientId: string; clinicId: string; basis: AccessBasis | null; excludedLabels?: string[] }[];
}

/**
 * The basis on which the caller may read one patient record held by `holderClinicId` (null: it may not): its own
 * record; else an active Consent of the holder naming it; else an admitted break-glass. Pure.
 */
export function recordBasis(holderClinicId: string, callerClinicId: string, consented: boolean, breakGlass: boolean): AccessBasis | null {
  return holderClinicId === callerClinicId ? 'own' : consented ? 'consent' : breakGlass ? 'break-glass' : null;
}

/**
 * As recordBasis, with the person's own decision about the caller (patientGrant; null: none, clinic Consents apply).
 * A patient's decision governs: it grants (minus its withheld labels) or refuses, whatever the clinic Consents say.
 * An admitted break-glass reads a record the decision restricts or refuses in full (flagged, and the patient told). Pure.
 */
export function recordAccess(
  holderClinicId: string,
  callerClinicId: string,
  patient: { grants: boolean; excludedLabels: string[] } | null | undefined,
  clinicConsented: boolean,
  breakGlass: boolean,
): { basis: AccessBasis | null; excludedLabels?: string[] } {
  if (holderClinicId === callerClinicId) return { basis: 'own' };
  if (patient) {
    if (patient.grants && !patient.excludedLabels.length) return { basis: 'consent' };
    if (breakGlass) return { basis: 'break-glass' };
    return patient.grants ? { basis: 'consent', excludedLabels: patient.excludedLabels } : { basis: null };
  }
  return { basis: recordBasis(holderClinicId, callerClinicId, clinicConsented, breakGlass) };
}

/**
 * Who may read what of the person behind `patientId`, without refusing: the caller's own records (`own`), records
 * whose holding clinic has an active permit Consent naming the caller (`consent`), and with a break-glass reason
 * every other record (`break-glass`). Null when the patient is unknown.
 */
export async function evaluatePersonAccess(
  db: Db,
  callerClinicId: string,
  patientId: string,
  opts: PersonAccessOptions = {},
): Promise<PersonAccessEvaluation | null> {
  const start = await findPatientPerson(db, (await handleRecords(db, callerClinicId, patientId))?.[0] ?? patientId);
  if (!start) return null;
  const patients = await personPatients(db, start.personId);
  const foreign = patients.filter((p) => p.clinicId !== callerClinicId).map((p) => p.patientId);
  const [consented, decided] = await Promise.all([
    consentingPatients(db, callerClinicId, foreign, opts.now),
    patientGrants(db, callerClinicId, foreign, opts.now),
  ]);
  const glass = !!opts.breakGlassReason;
  return {
    personId: start.personId,
    patients: patients.map((p) => ({
      patientId: p.patientId,
      clinicId: p.clinicId,
      ...recordAccess(p.clinicId, callerClinicId, decided.get(p.patientId), consented.has(p.patientId), glass),
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

/**
 * The answer to a refusal: exactly the 404 of an unknown patient (same status, same diagnostics), so no answer tells
 * a clinic without access whether an id is a patient elsewhere; HAPI FHIR and Medplum answer resources outside the
 * caller's compartment the same way. The refusal itself is audited (auditRefusal).
 */
export function accessRefused(patientId: string): FhirError {
  return outcomes.notFound(`Patient/${patientId} is not known`);
}

/**
 * The records of the person behind `patientId` that `callerClinicId` may read, across every clinic holding that
 * person. Throws 404 (OperationOutcome) when the patient is unknown, and the same 404 when the caller has no own record,
 * no consent and no break-glass reason; both are recorded in the audit trail before throwing, as the same refusal
 * (the unknown one without person or patient ids), so the caller's own trail is no oracle either. Successful reads
 * are audited by the caller once it knows what it served (see `auditAccess`).
 */
export async function resolvePersonAccess(db: Db, callerClinicId: string, patientId: string, opts: PersonAccessOptions = {}): Promise<PersonAccess> {
  const evaluation = await evaluatePersonAccess(db, callerClinicId, patientId, opts);
  if (!evaluation) {
    await auditRefusal(db, callerClinicId, null, [], opts);
    throw accessRefused(patientId);
  }
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

/**
 * What a signed-in patient may pull: every record of their own person, at every clinic, on the basis `self` (their own
 * data, whatever the clinics' consents say). The record asked for must be one of them: any other id (another person's
 * record, a match handle, an unknown id) is refused exactly as an unknown id, and audited as the same refusal without
 * ids, so neither the answer nor the patient's own access log tells the two apart.
 */
export async function patientPersonAccess(db: Db, reader: PatientReader, patientId: string, opts: PersonAccessOptions = {}): Promise<PersonAccess> {
  const patients = await personPatients(db, reader.personId);
  if (!patients.some((p) => p.patientId === patientId)) {
    await auditRefusal(db, reader, null, [], opts);
    throw accessRefused(patientId);
  }
  return { personId: reader.personId, patients: patients.map((p) => ({ patientId: p.patientId, clinicId: p.clinicId, basis: 'self' as const })) };
}

/** The patient records of a patient reader's person (their compartment across clinics). */
export async function ownPatientIds(db: Db, reader: PatientReader): Promise<string[]> {
  return (await personPatients(db, reader.personId)).map((p) => p.patientId);
}

/**
 * Records a refusal. An unknown id is recorded through here too (personId null, no patient ids), so what the caller
 * is shown of the two entries (action, outcome, detail, resource types, purpose) is the same.
 */
export async function auditRefusal(db: Db, by: string | Reader, personId: string | null, patientIds: string[], opts: PersonAccessOptions): Promise<void> {
  await audit(db, {
    ...auditedAs(by),
    action: 'refused',
    outcome: 'refused',
    personId,
    patientIds,
    resourceTypes: opts.resourceTypes,
    purpose: opts.purpose ?? null,
    detail: `${opts.action ?? 'read'} refused: no consent`,
  });
}

/**
 * Records a successful access under `access` (a pull, export, read or search): the person, the patient records
 * reached, the resource types served, and the purpose or the break-glass reason (flagged when break-glass was used).
 */
export async function auditAccess(
  db: Db,
  by: string | Reader,
  access: PersonAccess,
  action: AuditRecord['action'],
  extra: { resourceTypes?: string[]; purpose?: string; detail?: string; patientIds?: string[] } = {},
): Promise<void> {
  const glass = !!access.breakGlassReason;
  await audit(db, {
    ...auditedAs(by),
    action,
    outcome: 'success',
    personId: access.personId,
    patientIds: extra.patientIds ?? access.patients.map((p) => p.patientId),
    resourceTypes: extra.resourceTypes,
    purpose: glass ? access.breakGlassReason : (extra.purpose ?? null),
    breakGlass: glass,
    detail: extra.detail,
  });
}
