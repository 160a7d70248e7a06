/**
 * MedicationStatement / MedicationRequest / MedicationAdministration → one `medication` row.
 * medicationCodeableConcept gives the code (RxNorm preferred); a medicationReference to a contained
 * Medication uses that Medication's code, any other reference is kept as `medicationRef` (the Medication is a
 * shared entity stored on its own). The first dose quantity fills the value columns.
 */
import type {
  CodeableConcept,
  Dosage,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Quantity,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { conceptCode, conceptLabel } from './codes';
import { baseRow, notesText, quantityValue, refString } from './common';
import { choiceRange, fhirTimeRange } from './time';
import type { MedicationRow } from './types';

export type MedicationResource = MedicationStatement | MedicationRequest | MedicationAdministration;

/** The concept naming the drug: inline, or the code of a contained Medication; display of the reference otherwise. */
function drugConcept(r: { contained?: Resource[]; medicationCodeableConcept?: CodeableConcept; medicationReference?: Reference }): {
  concept: CodeableConcept | undefined;
  ref: string | null;
} {
  if (r.medicationCodeableConcept) return { concept: r.medicationCodeableConcept, ref: null };
  const ref = r.medicationReference;
  if (!ref) return { concept: undefined, ref: null };
  if (ref.reference?.startsWith('#')) {
    const id = ref.reference.slice(1);
    const med = (r.contained ?? []).find((c): c is Medication => c?.resourceType === 'Medication' && c.id === id);
    if (med?.code) return { concept: med.code, ref: null };
  }
  return { concept: ref.display ? { text: ref.display } : undefined, ref: refString(ref) };
}

function dosageText(d: Dosage[] | undefined): string | null {
  const texts = (d ?? []).map((x) => x?.text).filter((t): t is string => !!t);
  return texts.length ? texts.join('; ') : null;
}

export function normalizeMedication(r: MedicationResource): MedicationRow[] {
  const { concept, ref } = drugConcept(r);
  let time = { start: null as string | null, end: null as string | null };
  let dosage: Dosage[] | undefined;
  let intent: string | null = null;
  let category: string | null = null;
  let encounterRef: string | null = null;
  let dose: Quantity | undefined;
  let route: string | null = null;
  let text: string | null = notesText(r.note);
  switch (r.resourceType) {
    case 'MedicationRequest':
      // A request is dated by when it was written; its validity period, if any, bounds it.
      time = { start: fhirTimeRange(r.authoredOn).start, end: fhirTimeRange(r.dispenseRequest?.validityPeriod?.end).end };
      dosage = r.dosageInstruction;
      intent = r.intent ?? null;
      category = conceptCode(r.category?.[0]);
      encounterRef = refString(r.encounter);
      break;
    case 'MedicationStatement':
      time = choiceRange(r.effectiveDateTime, r.effectivePeriod);
      dosage = r.dosage;
      category = conceptCode(r.category);
      encounterRef = refString(r.context);
      break;
    case 'MedicationAdministration':
      time = choiceRange(r.effectiveDateTime, r.effectivePeriod);
      dose = r.dosage?.dose;
      route = conceptLabel(r.dosage?.route);
      text = text ?? r.dosage?.text ?? null;
      category = conceptCode(r.category);
      encounterRef = refString(r.context);
      break;
  }
  const d0 = dosage?.[0];
  dose = dose ?? d0?.doseAndRate?.find((x) => x?.doseQuantity)?.doseQuantity;
  return [
    {
      ...baseRow(r.resourceType, 'medication', r.status, concept, time, text),
      ...(dose ? quantityValue(dose) : {}),
      domain: 'medication',
      intent,
      medicationRef: ref,
      dosageText: r.resourceType === 'MedicationAdministration' ? (r.dosage?.text ?? null) : dosageText(dosage),
      route: route ?? conceptLabel(d0?.route),
      category,
      encounterRef,
    },
  ];
}
