import type { Resource } from '@medplum/fhirtypes';
import { fhirTimeRange } from '../normalize/time';
import { patientRefOf } from '../normalize';

/** What search needs of a resource, extracted once at write time (pure). */
export interface SearchIndex {
  tokens: { param: 'identifier' | 'code'; system: string | null; code: string }[];
  dateStart: string | null;
  dateEnd: string | null;
  /** Bridge id of the Patient whose compartment holds the resource. */
  patientId: string | null;
}

type Json = Record<string, unknown>;
interface Coding {
  system?: string;
  code?: string;
}

/** The element carrying the resource's main code (searched by `code`). */
const CODE_ELEMENT: Record<string, string> = {
  Observation: 'code',
  Condition: 'code',
  Procedure: 'code',
  AllergyIntolerance: 'code',
  DiagnosticReport: 'code',
  MedicationRequest: 'medicationCodeableConcept',
  MedicationStatement: 'medicationCodeableConcept',
  MedicationAdministration: 'medicationCodeableConcept',
  MedicationDispense: 'medicationCodeableConcept',
  Immunization: 'vaccineCode',
  Medication: 'code',
  DocumentReference: 'type',
  Encounter: 'type',
  CarePlan: 'category',
  ServiceRequest: 'code',
  Device: 'type',
  Composition: 'type',
  Consent: 'category',
};

/** Elements holding the clinically relevant time, in preference order (searched by `date`). */
const DATE_ELEMENTS = [
  'effectiveDateTime',
  'effectivePeriod',
  'effectiveInstant',
  'onsetDateTime',
  'onsetPeriod',
  'performedDateTime',
  'performedPeriod',
  'occurrenceDateTime',
  'period',
  'authoredOn',
  'recordedDate',
  'billablePeriod',
  'date',
  'issued',
  'created',
  'birthDate',
  'dateTime',
];

function codings(value: unknown): Coding[] {
  if (Array.isArray(value)) return value.flatMap(codings);
  if (value && typeof value === 'object') {
    const coding = (value as { coding?: unknown }).coding;
    return Array.isArray(coding) ? (coding as Coding[]).filter((c) => c && typeof c.code === 'string' && c.code) : [];
  }
  return [];
}

/** FHIR date/dateTime/instant → [start, end] UTC instants (a partial date covers its whole year/month/day). */
export function dateRange(value: string): [string, string] | null {
  const r = fhirTimeRange(value);
  return r.start && r.end ? [r.start, r.end] : null;
}

function dates(resource: Json): [string | null, string | null] {
  for (const element of DATE_ELEMENTS) {
    const v = resource[element];
    if (typeof v === 'string') {
      const r = dateRange(v);
      if (r) return r;
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const p = v as { start?: string; end?: string };
      const s = p.start ? dateRange(p.start) : null;
      const e = p.end ? dateRange(p.end) : null;
      if (s || e) return [s?.[0] ?? null, e?.[1] ?? null];
    }
  }
  return [null, null];
}

/** Index entries of a resource whose references already point at bridge ids. */
export function searchIndex(resource: Resource, canonicalSystem: (s: string) => string = (s) => s): SearchIndex {
  const r = resource as unknown as Json;
  const tokens: SearchIndex['tokens'] = [];
  // identifier is 0..* on most resources but 0..1 (one object) on Composition, Bundle, QuestionnaireResponse ...
  const identifiers = r.identifier === undefined ? [] : Array.isArray(r.identifier) ? r.identifier : [r.identifier];
  for (const id of identifiers as { system?: string; value?: string }[]) {
    if (id.value) tokens.push({ param: 'identifier', system: id.system ?? null, code: id.value });
  }
  const codeElement = CODE_ELEMENT[resource.resourceType];
  if (codeElement) {
    for (const c of codings(r[codeElement])) tokens.push({ param: 'code', system: c.system ? canonicalSystem(c.system) : null, code: c.code as string });
  }
  const [dateStart, dateEnd] = dates(r);
  return { tokens, dateStart, dateEnd, patientId: patientRefOf(resource) };
}
