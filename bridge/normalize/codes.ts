/**
 * Canonical code-system URIs: one URI per system, whatever alias, OID or spelling a clinic sends.
 * The canonical form is the URI FHIR R4 / THO names for the system, so rows from different clinics join on it.
 */
import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { Domain, NormalizedCode, OriginalCodes, PickedCode } from './types';

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const ICD9CM = 'http://hl7.org/fhir/sid/icd-9-cm';
export const UCUM = 'http://unitsofmeasure.org';
export const NDC = 'http://hl7.org/fhir/sid/ndc';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const HCPCS = 'urn:oid:2.16.840.1.113883.6.285';
export const ATC = 'http://www.whocc.no/atc';
export const NPI = 'http://hl7.org/fhir/sid/us-npi';
export const ISO3166 = 'urn:iso:std:iso:3166';

/** Known systems: canonical URI → aliases (OIDs without `urn:oid:`, names, old or misspelt URLs). */
const ALIASES: ReadonlyArray<[string, string[]]> = [
  [LOINC, ['2.16.840.1.113883.6.1', 'loinc.org', 'LN', 'LOINC']],
  [SNOMED, ['2.16.840.1.113883.6.96', 'snomed.info/sct', 'SNOMED CT', 'SNOMEDCT', 'SNOMED-CT', 'SNOMED', 'SCT', 'SNOMEDCT_US']],
  [RXNORM, ['2.16.840.1.113883.6.88', 'www.nlm.nih.gov/research/umls/rxnorm', 'RXNORM', 'RxNorm', 'RXN']],
  [CVX, ['2.16.840.1.113883.12.292', 'hl7.org/fhir/sid/cvx', 'CVX']],
  [ICD10, ['2.16.840.1.113883.6.3', 'hl7.org/fhir/sid/icd-10', 'ICD10', 'ICD-10', 'I10', 'ICD-10-WHO']],
  [ICD10CM, ['2.16.840.1.113883.6.90', 'hl7.org/fhir/sid/icd-10-cm', 'ICD10CM', 'ICD-10-CM', 'I10CM', 'www.cms.gov/Medicare/Coding/ICD10']],
  [ICD9CM, ['2.16.840.1.113883.6.103', '2.16.840.1.113883.6.2', 'hl7.org/fhir/sid/icd-9-cm', 'ICD9CM', 'ICD-9-CM', 'I9CM', 'ICD9']],
  [UCUM, ['2.16.840.1.113883.6.8', 'unitsofmeasure.org', 'UCUM']],
  [NDC, ['2.16.840.1.113883.6.69', 'hl7.org/fhir/sid/ndc', 'NDC']],
  [CPT, ['2.16.840.1.113883.6.12', 'www.ama-assn.org/go/cpt', 'ama-assn.org/go/cpt', 'CPT', 'CPT4', 'C4']],
  [HCPCS, ['2.16.840.1.113883.6.285', 'HCPCS', 'www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets']],
  [ATC, ['2.16.840.1.113883.6.73', 'www.whocc.no/atc', 'whocc.no/atc', 'ATC']],
  [NPI, ['2.16.840.1.113883.4.6', 'hl7.org/fhir/sid/us-npi', 'NPI']],
  ['http://hl7.org/fhir/sid/us-ssn', ['2.16.840.1.113883.4.1', 'hl7.org/fhir/sid/us-ssn', 'SSN']],
  [ISO3166, ['1.0.3166.1.2.2', '1.0.3166.1', 'ISO3166', 'ISO 3166', 'ISO-3166', 'urn:iso:std:iso:3166']],
  ['urn:iso:std:iso:3166:-2', ['1.0.3166.2', 'urn:iso:std:iso:3166:-2']],
  ['urn:ietf:bcp:47', ['urn:ietf:bcp:47', 'BCP47', 'BCP-47']],
  ['http://nucc.org/provider-taxonomy', ['2.16.840.1.113883.6.101', 'nucc.org/provider-taxonomy']],
  ['http://dicom.nema.org/resources/ontology/DCM', ['1.2.840.10008.2.16.4', 'dicom.nema.org/resources/ontology/DCM', 'DCM']],
  ['http://standardterms.edqm.eu', ['0.4.0.127.0.16.1.1.2.1', 'standardterms.edqm.eu', 'EDQM']],
  ['http://www.nubc.org/patient-discharge', ['www.nubc.org/patient-discharge']],
  ['urn:oid:2.16.840.1.113883.6.238', ['2.16.840.1.113883.6.238', 'CDCREC']],
];

/** R3-era HL7 code systems that moved to terminology.hl7.org in R4. */
const MOVED_TO_THO = new Set([
  'observation-category',
  'condition-clinical',
  'condition-ver-status',
  'condition-category',
  'allergyintolerance-clinical',
  'allergyintolerance-verification',
  'medication-statement-category',
  'medicationrequest-category',
  'diagnostic-service-sections',
  'observation-interpretation',
]);

/** Lookup key: case-folded, no scheme, no `urn:oid:` prefix, no trailing slashes or `www.`-less duplicates. */
function aliasKey(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/^urn:oid:/, '')
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
}

const INDEX: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [canonical, aliases] of ALIASES) {
    m.set(aliasKey(canonical), canonical);
    for (const a of aliases) m.set(aliasKey(a), canonical);
  }
  return m;
})();

const OID = /^[0-2](\.\d+)+$/;
const cache = new Map<string, string | null>();

/** One canonical URI per code system; unknown systems are returned trimmed (bare OIDs gain `urn:oid:`). */
export function canonicalSystem(system: string | null | undefined): string | null {
  if (system == null) return null;
  const hit = cache.get(system);
  if (hit !== undefined) return hit;
  const result = resolveSystem(system);
  if (cache.size < 10_000) cache.set(system, result);
  return result;
}

function resolveSystem(system: string): string | null {
  const trimmed = system.trim();
  if (trimmed === '') return null;
  const key = aliasKey(trimmed);
  const known = INDEX.get(key);
  if (known) return known;
  // SNOMED edition/module URIs (http://snomed.info/sct/731000124108) name the same code system.
  if (/^snomed\.info\/sct\/\d+(\/version\/\d+)?$/.test(key)) return SNOMED;
  // R3 URLs: http://hl7.org/fhir/v2/0203, http://hl7.org/fhir/v3/ActCode, http://hl7.org/fhir/condition-clinical.
  const v23 = /^hl7\.org\/fhir\/(v[23])\/([^/]+)$/.exec(key);
  if (v23) {
    const name = trimmed.replace(/\/+$/, '').split('/').pop() as string;
    return `http://terminology.hl7.org/CodeSystem/${v23[1]}-${name}`;
  }
  const r3 = /^hl7\.org\/fhir\/([a-z-]+)$/.exec(key);
  if (r3 && MOVED_TO_THO.has(r3[1])) return `http://terminology.hl7.org/CodeSystem/${r3[1]}`;
  if (OID.test(trimmed)) return `urn:oid:${trimmed}`;
  // THO URLs are case-sensitive in their names but not in scheme/host; normalize scheme and trailing slash only.
  if (/^https?:\/\/terminology\.hl7\.org\//i.test(trimmed)) {
    return 'http://' + trimmed.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  }
  return trimmed;
}

/** Preferred systems per domain, best first; codings from other systems rank after these, in sent order. */
const RANK: Readonly<Record<Domain | 'default', readonly string[]>> = {
  observation: [LOINC, SNOMED],
  diagnostic_report: [LOINC, SNOMED],
  document: [LOINC, SNOMED],
  condition: [SNOMED, ICD10CM, ICD10, ICD9CM],
  medication: [RXNORM, NDC, ATC, SNOMED],
  immunization: [CVX, SNOMED, NDC, ATC],
  allergy: [SNOMED, RXNORM, NDC, ATC],
  procedure: [SNOMED, CPT, HCPCS, LOINC, ICD10CM],
  encounter: [SNOMED, CPT, HCPCS],
  default: [SNOMED, LOINC, RXNORM],
};

/** Every coding as sent plus text; null when there is no concept. */
export function originalCodes(concept: CodeableConcept | null | undefined): OriginalCodes | null {
  if (!concept) return null;
  return {
    coding: (concept.coding ?? []).map((c) => ({
      system: c.system ?? null,
      ...(c.version !== undefined ? { version: c.version } : {}),
      code: c.code ?? null,
      display: c.display ?? null,
    })),
    text: concept.text ?? null,
  };
}

/** Canonical form of one coding. */
export function normalizeCoding(c: Coding | null | undefined): NormalizedCode | null {
  if (!c) return null;
  return { system: canonicalSystem(c.system), code: c.code ?? null, display: c.display ?? null };
}

/**
 * Pick the preferred coding of a concept for a domain: by system rank, then `userSelected`, then order sent.
 * Codings without a code are skipped; a concept with text only yields code null and display = text.
 */
export function pickCoding(concept: CodeableConcept | null | undefined, domain: Domain | 'default' = 'default'): PickedCode {
  const original = originalCodes(concept);
  const ranks = RANK[domain];
  let best: Coding | undefined;
  let bestScore = Infinity;
  let bestSystem: string | null = null;
  (concept?.coding ?? []).forEach((c, i) => {
    if (!c || !c.code) return;
    const system = canonicalSystem(c.system);
    const r = system ? ranks.indexOf(system) : -1;
    const score = (r < 0 ? ranks.length : r) * 10_000 + (c.userSelected ? 0 : 5_000) + i;
    if (score < bestScore) {
      best = c;
      bestScore = score;
      bestSystem = system;
    }
  });
  const text = concept?.text ?? null;
  if (!best) return { system: null, code: null, display: text, originalCodes: original };
  return { system: bestSystem, code: best.code ?? null, display: best.display ?? text, originalCodes: original };
}

/** Short code of a concept for status/category-like fields: first coding's code, else its text. */
export function conceptCode(concept: CodeableConcept | null | undefined): string | null {
  if (!concept) return null;
  for (const c of concept.coding ?? []) if (c?.code) return c.code;
  return concept.text ?? null;
}

/** Human label of a concept: text, else the first display, else the first code. */
export function conceptLabel(concept: CodeableConcept | null | undefined): string | null {
  if (!concept) return null;
  if (concept.text) return concept.text;
  for (const c of concept.coding ?? []) if (c?.display) return c.display;
  return conceptCode(concept);
}
