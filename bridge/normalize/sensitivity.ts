/**
 * Sensitivity of a stored resource, as HL7 v3 ActCode information-sensitivity codes
 * (http://terminology.hl7.org/CodeSystem/v3-ActCode, value set v3-ActInformationSensitivityPolicy) plus the v3
 * Confidentiality codes R and V (http://terminology.hl7.org/CodeSystem/v3-Confidentiality). Pure.
 *
 * A resource's labels are the union of (1) its `meta.security` labels of those two systems and (2) the labels its codes
 * imply (code, valueCodeableConcept, reasonCode, type, component.code, medicationCodeableConcept):
 * - ICD-10 / ICD-10-CM: F10–F19 substance use (ETH, SUD); every other F code mental health (MH, PSY); B20–B24, Z21 HIV
 *   (HIV, SEX); A50–A64 sexually transmitted infections (STD, SEX); O00–O9A, Z30, Z31, Z32–Z36, Z39 pregnancy,
 *   contraception and reproductive care (SEX).
 * - SNOMED CT and LOINC: the codes in SNOMED_CODES / LOINC_CODES below (a documented, deliberately small set).
 * Anything else has no label. The union is the safe side: a label in meta or a code is enough to withhold a resource.
 */
import { canonicalSystem } from './codes';

export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const ICD10 = new Set(['http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-cm']);
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';

/** The sensitivity codes the bridge recognises (in meta.security and in a Consent's deny provisions). */
export const SENSITIVITY_CODES = ['MH', 'PSY', 'PSYTHPN', 'BH', 'ETH', 'SUD', 'SEX', 'STD', 'HIV', 'SDV'] as const;
/** Confidentiality codes kept as labels: restricted and very restricted (their category cannot be told). */
const CONFIDENTIALITY_CODES = new Set(['R', 'V']);

const MENTAL = ['MH', 'PSY'];
const SUBSTANCE = ['ETH', 'SUD'];
const HIV = ['HIV', 'SEX'];
const STI = ['STD', 'SEX'];
const REPRODUCTIVE = ['SEX'];

/** SNOMED CT concepts recognised (the set is documented in the README). */
export const SNOMED_CODES: Readonly<Record<string, readonly string[]>> = {
  '74732009': MENTAL, // Mental disorder
  '35489007': MENTAL, // Depressive disorder
  '370143000': MENTAL, // Major depressive disorder
  '197480006': MENTAL, // Anxiety disorder
  '58214004': MENTAL, // Schizophrenia
  '13746004': MENTAL, // Bipolar disorder
  '47505003': MENTAL, // Posttraumatic stress disorder
  '7200002': SUBSTANCE, // Alcoholism
  '66590003': SUBSTANCE, // Alcohol dependence
  '15167005': SUBSTANCE, // Alcohol abuse
  '26416006': SUBSTANCE, // Drug abuse
  '5602001': SUBSTANCE, // Opioid abuse
  '75544000': SUBSTANCE, // Opioid dependence
  '86406008': HIV, // Human immunodeficiency virus infection
  '62479008': HIV, // Acquired immune deficiency syndrome
  '165816005': HIV, // HIV positive
  '76272004': STI, // Syphilis
  '15628003': STI, // Gonorrhea
  '105629000': STI, // Chlamydial infection
  '33839006': STI, // Genital herpes simplex
  '77386006': REPRODUCTIVE, // Pregnancy
  '72892002': REPRODUCTIVE, // Normal pregnancy
  '386639001': REPRODUCTIVE, // Termination of pregnancy
  '13197004': REPRODUCTIVE, // Contraception
};

/** LOINC codes recognised (the set is documented in the README). */
export const LOINC_CODES: Readonly<Record<string, readonly string[]>> = {
  '44249-1': MENTAL, // PHQ-9 quick depression assessment panel
  '44261-6': MENTAL, // PHQ-9 total score
  '55757-9': MENTAL, // PHQ-2 panel
  '69737-5': MENTAL, // GAD-7 panel
  '70274-6': MENTAL, // GAD-7 total score
  '75626-2': SUBSTANCE, // AUDIT-C total score
  '68518-0': SUBSTANCE, // How often do you have a drink containing alcohol
  '75622-1': HIV, // HIV 1 and 2 tests - Meaningful Use set
  '7917-8': HIV, // HIV 1 Ab [Presence] in Serum
  '68961-2': HIV, // HIV 1 Ab [Presence] in Serum, Plasma or Blood by Rapid immunoassay
  '56888-1': HIV, // HIV 1+2 Ab + HIV 1 p24 Ag [Presence] in Serum or Plasma by Immunoassay
  '25836-8': HIV, // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA
  '20447-9': HIV, // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection
  '20507-0': STI, // Reagin Ab [Presence] in Serum by RPR
  '43304-5': STI, // Chlamydia trachomatis rRNA [Presence] by NAA with probe detection
  '24111-7': STI, // Neisseria gonorrhoeae DNA [Presence] by NAA with probe detection
  '2106-3': REPRODUCTIVE, // Choriogonadotropin (pregnancy test) [Presence] in Urine
  '2118-8': REPRODUCTIVE, // Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma
  '82810-3': REPRODUCTIVE, // Pregnancy status
  '11449-6': REPRODUCTIVE, // Pregnancy status - Reported
};

/** Labels implied by one ICD-10(-CM) code (dots and case ignored). */
export function icd10Labels(code: string): readonly string[] {
  const c = code.toUpperCase().replace(/\./g, '');
  const m = /^([A-Z])(\d{2}|\d[A-Z])/.exec(c);
  if (!m) return [];
  const letter = m[1];
  const n = /^\d{2}$/.test(m[2]) ? Number(m[2]) : Number(m[2][0]) * 10 + 9.5; // O9A sorts after O99
  if (letter === 'F') return n >= 10 && n <= 19 ? SUBSTANCE : MENTAL;
  if (letter === 'B' && n >= 20 && n <= 24) return HIV;
  if (letter === 'Z' && n === 21) return HIV;
  if (letter === 'A' && n >= 50 && n <= 64) return STI;
  if (letter === 'O') return REPRODUCTIVE;
  if (letter === 'Z' && ((n >= 30 && n <= 36) || n === 39)) return REPRODUCTIVE;
  return [];
}

interface Coding {
  system?: unknown;
  code?: unknown;
}

/** Labels implied by one coding. */
export function codingLabels(c: Coding): readonly string[] {
  if (typeof c?.code !== 'string' || typeof c.system !== 'string') return [];
  const system = canonicalSystem(c.system) ?? c.system;
  if (ICD10.has(system)) return icd10Labels(c.code);
  if (system === SNOMED) return SNOMED_CODES[c.code] ?? [];
  if (system === LOINC) return LOINC_CODES[c.code] ?? [];
  return [];
}

const codings = (cc: unknown): Coding[] =>
  cc && typeof cc === 'object' && Array.isArray((cc as { coding?: unknown }).coding) ? ((cc as { coding: Coding[] }).coding ?? []) : [];
const many = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** A security label of meta.security as a bridge label, or null for other systems and codes. */
export function securityLabel(c: Coding): string | null {
  if (typeof c?.code !== 'string' || typeof c.system !== 'string') return null;
  const system = c.system === 'urn:oid:2.16.840.1.113883.5.4' ? ACT_CODE : c.system === 'urn:oid:2.16.840.1.113883.5.25' ? CONFIDENTIALITY : c.system;
  if (system === ACT_CODE && (SENSITIVITY_CODES as readonly string[]).includes(c.code)) return c.code;
  if (system === CONFIDENTIALITY && CONFIDENTIALITY_CODES.has(c.code)) return c.code;
  return null;
}

/** The sensitivity labels of a FHIR resource, sorted and unique (empty: nothing sensitive recognised). */
export function classifySensitivity(resource: unknown): string[] {
  if (!resource || typeof resource !== 'object') return [];
  const r = resource as Record<string, unknown>;
  const out = new Set<string>();
  for (const s of many((r.meta as { security?: unknown } | undefined)?.security)) {
    const l = securityLabel(s as Coding);
    if (l) out.add(l);
  }
  const concepts: unknown[] = [
    r.code,
    r.valueCodeableConcept,
    r.medicationCodeableConcept,
    ...many(r.reasonCode),
    ...many(r.type),
    ...many(r.component).map((c) => (c as { code?: unknown })?.code),
    ...many(r.component).map((c) => (c as { valueCodeableConcept?: unknown })?.valueCodeableConcept),
  ];
  for (const cc of concepts) for (const c of codings(cc)) for (const l of codingLabels(c)) out.add(l);
  return [...out].sort();
}

/**
 * What a Consent's deny `securityLabel` code withholds: the category codes MH (mental health), ETH / SUD (substance
 * use) and SEX (sexual and reproductive health) withhold their whole category; any other recognised code itself.
 */
export const CATEGORY_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  MH: ['MH', 'PSY', 'PSYTHPN', 'BH'],
  ETH: ['ETH', 'SUD', 'BH'],
  SUD: ['ETH', 'SUD', 'BH'],
  SEX: ['SEX', 'STD', 'HIV', 'SDV'],
};

/**
 * The labels withheld by deny codes: their categories' members, and R / V whenever anything is withheld (a restricted
 * resource of unknown category is withheld rather than shared). Sorted, unique; empty when nothing is denied.
 */
export function withheldLabels(denyCodes: readonly string[]): string[] {
  if (!denyCodes.length) return [];
  const out = new Set<string>(['R', 'V']);
  for (const c of denyCodes) for (const m of CATEGORY_MEMBERS[c] ?? [c]) out.add(m);
  return [...out].sort();
}

/** Whether a resource with `labels` (null: not classified yet) is withheld by `excluded`. */
export const isWithheld = (labels: readonly string[] | null, excluded: readonly string[] | undefined): boolean =>
  !!excluded?.length && (labels === null || labels.some((l) => excluded.includes(l)));
