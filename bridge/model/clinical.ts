/**
 * Row shapes produced by normalization (FHIR resource → universal clinical rows).
 * Field names are camelCase here; bridge/store/clinical.ts maps them to the snake_case columns of
 * migrations/002_clinical.sql. Every field is present on every row (null when the source lacks it),
 * so a row maps to one INSERT record without guessing.
 */

export type Domain = 'encounter' | 'condition' | 'observation' | 'medication' | 'allergy' | 'immunization' | 'procedure' | 'diagnostic_report' | 'document';

/** Every coding of a CodeableConcept exactly as sent, plus its text: nothing the clinic said is lost. */
export interface OriginalCodes {
  coding: Array<{ system: string | null; version?: string; code: string | null; display: string | null }>;
  text: string | null;
}

/** A code picked from a concept, with its system made canonical. */
export interface NormalizedCode {
  system: string | null;
  code: string | null;
  display: string | null;
}

export interface PickedCode extends NormalizedCode {
  originalCodes: OriginalCodes | null;
}

/** Why a quantity was or was not converted. */
export type UnitStatus =
  | 'converted' // value_num/value_unit hold the canonical value
  | 'annotation' // unit carries a {annotation} (e.g. {score}): kept as sent
  | 'arbitrary' // UCUM arbitrary unit ([IU], [arb'U]): not convertible
  | 'non_ucum' // unit system is not UCUM (custom code system)
  | 'unknown_unit' // code does not parse as UCUM
  | 'no_canonical' // valid UCUM, but no canonical unit for its dimension (e.g. non-affine special units)
  | 'no_unit'; // a bare number without unit

export interface CanonicalQuantity {
  /** Value in the canonical unit; equals `valueOrig` when not converted. */
  value: number | null;
  /** Canonical UCUM unit, or the unit as sent when not converted. */
  unit: string | null;
  valueOrig: number | null;
  unitOrig: string | null;
  status: UnitStatus;
}

/** The value columns shared by every domain table (null where a domain has no value). */
export interface ValueFields {
  /** FHIR value[x] type name without the `value` prefix: Quantity, CodeableConcept, string, boolean, ... */
  valueType: string | null;
  valueNum: number | null;
  valueUnit: string | null;
  valueOrig: number | null;
  unitOrig: string | null;
  unitStatus: UnitStatus | null;
  /** Quantity.comparator (<, <=, >=, >) as sent. */
  valueComparator: string | null;
  valueText: string | null;
  valueCodeSystem: string | null;
  valueCode: string | null;
  valueCodeDisplay: string | null;
  /** Structured values with no scalar form (Range, Ratio, SampledData, Period), canonicalized where possible. */
  valueJson: unknown;
}

/** Columns common to all clinical domain tables. */
export interface ClinicalBase extends ValueFields {
  /** FHIR resourceType of the source (several types feed `medication` and `document`). */
  resourceType: string;
  status: string | null;
  codeSystem: string | null;
  code: string | null;
  codeDisplay: string | null;
  originalCodes: OriginalCodes | null;
  /** UTC ISO-8601 timestamps (see time.ts for partial dates). */
  startTime: string | null;
  endTime: string | null;
  text: string | null;
}

export interface EncounterRow extends ClinicalBase {
  domain: 'encounter';
  classSystem: string | null;
  classCode: string | null;
  classDisplay: string | null;
  serviceType: string | null;
  reasonCodeSystem: string | null;
  reasonCode: string | null;
  reasonDisplay: string | null;
  dischargeDisposition: string | null;
  serviceProviderRef: string | null;
}

export interface ConditionRow extends ClinicalBase {
  domain: 'condition';
  clinicalStatus: string | null;
  verificationStatus: string | null;
  category: string | null;
  severity: string | null;
  bodySite: string | null;
  /** onsetString / onsetAge / onsetRange rendered as text when there is no datable onset. */
  onsetText: string | null;
  abatementText: string | null;
  recordedTime: string | null;
  encounterRef: string | null;
}

export interface ObservationRow extends ClinicalBase {
  domain: 'observation';
  category: string | null;
  /** null for the main row; 0..n for a component row (see observation.ts). */
  componentIndex: number | null;
  interpretation: string | null;
  refLow: number | null;
  refHigh: number | null;
  dataAbsentReason: string | null;
  issuedTime: string | null;
  encounterRef: string | null;
}

export interface MedicationRow extends ClinicalBase {
  domain: 'medication';
  intent: string | null;
  /** medicationReference kept as sent when the Medication is not contained. */
  medicationRef: string | null;
  dosageText: string | null;
  route: string | null;
  category: string | null;
  encounterRef: string | null;
}

export interface AllergyRow extends ClinicalBase {
  domain: 'allergy';
  clinicalStatus: string | null;
  verificationStatus: string | null;
  allergyType: string | null;
  /** FHIR categories joined with ',' (food, medication, environment, biologic). */
  category: string | null;
  criticality: string | null;
  reactions: AllergyReaction[] | null;
  recordedTime: string | null;
}

export interface AllergyReaction {
  substance: NormalizedCode | null;
  manifestations: NormalizedCode[];
  severity: string | null;
  onset: string | null;
  description: string | null;
}

export interface ImmunizationRow extends ClinicalBase {
  domain: 'immunization';
  primarySource: boolean | null;
  lotNumber: string | null;
  route: string | null;
  site: string | null;
  statusReason: string | null;
  encounterRef: string | null;
}

export interface ProcedureRow extends ClinicalBase {
  domain: 'procedure';
  category: string | null;
  bodySite: string | null;
  outcome: string | null;
  reasonCode: string | null;
  encounterRef: string | null;
}

export interface DiagnosticReportRow extends ClinicalBase {
  domain: 'diagnostic_report';
  category: string | null;
  issuedTime: string | null;
  /** References of Observation results, as sent (already bridge ids). */
  resultRefs: string[] | null;
  encounterRef: string | null;
}

export interface DocumentRow extends ClinicalBase {
  domain: 'document';
  category: string | null;
  docStatus: string | null;
  title: string | null;
  /** Attachment metadata only (contentType, url, title, size, hash, language); inline data is never copied. */
  attachments: Array<Record<string, unknown>> | null;
  encounterRef: string | null;
}

export type ClinicalRow =
  EncounterRow | ConditionRow | ObservationRow | MedicationRow | AllergyRow | ImmunizationRow | ProcedureRow | DiagnosticReportRow | DocumentRow;

export interface PatientIdentifier {
  system: string | null;
  value: string;
}

export interface PatientDemographics {
  identifiers: PatientIdentifier[];
  family: string | null;
  given: string[];
  /** FHIR date as sent (YYYY, YYYY-MM or YYYY-MM-DD). */
  birthDate: string | null;
  gender: string | null;
  /** What Patient/$match compares beyond these, normalized (see bridge/normalize/patient.ts). */
  contact: PatientContact;
}

/** The main address (first one not of use `old`) and the telecom values, normalized for matching and blocking. */
export interface PatientContact {
  postalCode: string | null;
  city: string | null;
  country: string | null;
  phones: string[];
  emails: string[];
}

export interface NormalizedResource {
  clinical: ClinicalRow[];
  patient?: PatientDemographics;
  /** Bridge id of the Patient the resource is about (from `Patient/<id>`), or null. */
  patientRef: string | null;
}
