/**
 * normalizeResource: one FHIR R4 resource → universal clinical rows (+ demographics for a Patient).
 * Pure and deterministic; tolerant of missing fields. References are expected already rewritten to
 * bridge ids, so `Patient/<id>` yields the patient's bridge id.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import { normalizeAllergy } from './allergy';
import { patientIdFrom } from './common';
import { normalizeCondition } from './condition';
import { normalizeDiagnosticReport } from './diagnostic-report';
import { normalizeComposition, normalizeDocumentReference } from './document';
import { normalizeEncounter } from './encounter';
import { normalizeImmunization } from './immunization';
import { normalizeMedication } from './medication';
import { normalizeObservation } from './observation';
import { normalizePatient } from './patient';
import { normalizeProcedure } from './procedure';
import type { ClinicalRow, NormalizedResource } from './types';

export type * from './types';
export { canonicalSystem, pickCoding } from './codes';
export { toCanonicalQuantity } from './units';
export { fhirTimeRange, periodRange } from './time';

/**
 * Patient the resource is about (its Patient compartment): its own id for a Patient, else `subject`, `patient` or
 * (Coverage) `beneficiary` when it is `Patient/<id>`.
 */
export function patientRefOf(resource: Resource): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  const r = resource as { subject?: Reference; patient?: Reference; beneficiary?: Reference };
  return patientIdFrom(r.subject) ?? patientIdFrom(r.patient) ?? patientIdFrom(r.beneficiary);
}

function clinicalRows(resource: Resource): ClinicalRow[] {
  switch (resource.resourceType) {
    case 'Encounter':
      return normalizeEncounter(resource);
    case 'Condition':
      return normalizeCondition(resource);
    case 'Observation':
      return normalizeObservation(resource);
    case 'MedicationStatement':
    case 'MedicationRequest':
    case 'MedicationAdministration':
      return normalizeMedication(resource);
    case 'AllergyIntolerance':
      return normalizeAllergy(resource);
    case 'Immunization':
      return normalizeImmunization(resource);
    case 'Procedure':
      return normalizeProcedure(resource);
    case 'DiagnosticReport':
      return normalizeDiagnosticReport(resource);
    case 'DocumentReference':
      return normalizeDocumentReference(resource);
    case 'Composition':
      return normalizeComposition(resource);
    default:
      return [];
  }
}

export function normalizeResource(resource: Resource): NormalizedResource {
  const out: NormalizedResource = { clinical: clinicalRows(resource), patientRef: patientRefOf(resource) };
  if (resource.resourceType === 'Patient') out.patient = normalizePatient(resource);
  return out;
}
