import type { Db } from '../store/db';
import { findPatientPerson, resourceCompartment } from '../store/person-links';
import { SHARED_TYPES } from '../store/resources';
import { resourceSensitivity } from '../store/sensitivity';
import { isWithheld } from '../normalize/sensitivity';
import { auditRefusal, evaluatePersonAccess, PersonAccessOptions } from './person-access';
import type { PatientReader, Reader } from './reader';
import type { AccessBasis } from './types';

/** How a plain read (read, vread, _history) of one resource is allowed. */
export interface ReadGrant {
  /** The clinic whose records the store reads as (the caller, or the holder of a consented / break-glass record). */
  readAs: string;
  basis: AccessBasis | 'shared';
  personId: string | null;
  patientId: string | null;
  /** Labels a patient's restricted Consent withholds from this record (versions carrying them are not served). */
  excludedLabels?: string[];
}

/**
 * Decides a plain read of `Type/id` by `callerClinicId`: its own resources and shared entities as before; another
 * clinic's resource in a Patient compartment under an active Consent or a break-glass reason. Null when there is
 * nothing the caller may read there: unknown, another clinic's resource outside any compartment, or in the compartment
 * of a patient the caller may not read (that refusal is audited); the route answers all three with the same 404, so
 * a read is no oracle for which ids are records elsewhere. All three are audited as the same refusal (the first two
 * without person or patient ids), so neither is the caller's own audit trail.
 */
export async function authorizeRead(
  db: Db,
  callerClinicId: string,
  resourceType: string,
  id: string,
  opts: PersonAccessOptions = {},
): Promise<ReadGrant | null> {
  const owner = await resourceCompartment(db, resourceType, id);
  const unknown = async (): Promise<null> => {
    await auditRefusal(db, callerClinicId, null, [], { ...opts, resourceTypes: [resourceType] });
    return null;
  };
  if (!owner) return unknown();
  const about = { personId: owner.personId, patientId: owner.patientId };
  if (owner.clinicId === callerClinicId) return { readAs: callerClinicId, basis: 'own', ...about };
  if (SHARED_TYPES.includes(resourceType)) return { readAs: callerClinicId, basis: 'shared', ...about };
  if (!owner.patientId) return unknown();
  const evaluation = await evaluatePersonAccess(db, callerClinicId, owner.patientId, opts);
  const record = evaluation?.patients.find((p) => p.patientId === owner.patientId);
  const basis = record?.basis ?? null;
  // A resource the patient withheld from the caller answers like one it may not read (the same 404).
  const withheld = !!record?.excludedLabels?.length && isWithheld(await resourceSensitivity(db, id), record.excludedLabels);
  if (!basis || withheld) {
    await auditRefusal(db, callerClinicId, owner.personId, [owner.patientId], { ...opts, resourceTypes: [resourceType] });
    return null;
  }
  return { readAs: owner.clinicId, basis, ...about, ...(record?.excludedLabels?.length ? { excludedLabels: record.excludedLabels } : {}) };
}

/**
 * Decides a plain read of `Type/id` by a signed-in patient: a resource in the compartment of any record of their own
 * person (at any clinic), and shared entities (Organization, Practitioner, Location, Medication: what their records
 * reference, about no person). Anything else (another person's resource, a resource outside every compartment, an
 * unknown or malformed id) is null, audited as one refusal without ids, so the answer (the route's 404) and the
 * patient's own access log are the same for all of them: no oracle.
 */
export async function authorizePatientRead(
  db: Db,
  reader: PatientReader,
  resourceType: string,
  id: string,
  opts: PersonAccessOptions = {},
): Promise<ReadGrant | null> {
  const owner = await resourceCompartment(db, resourceType, id);
  if (owner && SHARED_TYPES.includes(resourceType)) return { readAs: owner.clinicId, basis: 'shared', personId: null, patientId: null };
  // A Patient row written before Patients were filed in their own compartment has no patient_id: it is its own.
  const patientId = owner?.patientId ?? (owner && resourceType === 'Patient' ? id : null);
  const personId = owner?.personId ?? (patientId ? ((await findPatientPerson(db, patientId))?.personId ?? null) : null);
  if (!owner || !patientId || personId !== reader.personId) {
    await auditRefusal(db, reader, null, [], { ...opts, resourceTypes: [resourceType] });
    return null;
  }
  return { readAs: owner.clinicId, basis: 'self', personId, patientId };
}

/** A plain read as `reader`: authorizeRead for a clinic (the id it chose or a bridge id), authorizePatientRead for a patient. */
export function authorizeReadAs(db: Db, reader: Reader, resourceType: string, id: string, opts: PersonAccessOptions = {}): Promise<ReadGrant | null> {
  return reader.kind === 'clinic' ? authorizeRead(db, reader.clinicId, resourceType, id, opts) : authorizePatientRead(db, reader, resourceType, id, opts);
}

/**
 * Which of the patients a search names (`patient`/`subject`, or `_id` of a Patient search) belonging to other
 * clinics the caller may search under consent or break-glass; the others are excluded from the results (and audited,
 * unknown ids with them: one refusal entry whenever any named id was not granted, so it tells neither apart).
 */
export async function authorizeSearchPatients(
  db: Db,
  callerClinicId: string,
  patientIds: string[],
  opts: PersonAccessOptions = {},
): Promise<{
  granted: { patientId: string; personId: string; basis: AccessBasis; excludedLabels?: string[] }[];
  refused: { patientId: string; personId: string }[];
}> {
  const granted: { patientId: string; personId: string; basis: AccessBasis; excludedLabels?: string[] }[] = [];
  const refused: { patientId: string; personId: string }[] = [];
  let unknown = false;
  for (const patientId of [...new Set(patientIds)].slice(0, 100)) {
    const evaluation = await evaluatePersonAccess(db, callerClinicId, patientId, opts);
    if (!evaluation) {
      unknown = true;
      continue;
    }
    const record = evaluation.patients.find((p) => p.patientId === patientId);
    const basis = record?.basis ?? null;
    if (basis) granted.push({ patientId, personId: evaluation.personId, basis, ...(record?.excludedLabels ? { excludedLabels: record.excludedLabels } : {}) });
    else refused.push({ patientId, personId: evaluation.personId });
  }
  if (refused.length || unknown) {
    const persons = [...new Set(refused.map((r) => r.personId))];
    await auditRefusal(
      db,
      callerClinicId,
      persons.length === 1 ? persons[0] : null,
      refused.map((r) => r.patientId),
      { ...opts, action: 'search' },
    );
  }
  return { granted, refused };
}
