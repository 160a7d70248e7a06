/**
 * `Patient/{id}/$summary`: an International Patient Summary (IPS 2.0) document Bundle built from the universal
 * schema (pure). Resources are made from the normalized rows (canonical code systems, UCUM canonical units, UTC
 * times), all about one subject; each keeps the bridge id of the resource it came from as its own id. Required
 * sections (medications, allergies, problems) are always present, with `emptyReason` "unavailable" and the IPS
 * narrative when nothing is known; immunizations, procedures, results and past illnesses only when there are any.
 */
import type { Bundle, BundleEntry, CodeableConcept, Composition, CompositionSection, Resource } from '@medplum/fhirtypes';
import type { ClinicalFact, PatientDemographics } from '../store/pull';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
export const BRIDGE_AUTHOR_ID = '6b1c1c9e-1f0a-4c7e-9a51-9e1d4f0b1a01';

export interface SummaryInput {
  documentId: string;
  compositionId: string;
  timestamp: string;
  patient: PatientDemographics;
  /** Identifiers of the person's other permitted records (MRNs of other clinics, national ids). */
  otherIdentifiers: { system: string; value: string }[];
  facts: ClinicalFact[];
}

interface SectionDef {
  title: string;
  code: string;
  display: string;
  required: boolean;
  empty: string;
  columns: string[];
}

export const SECTIONS = {
  medications: {
    title: 'Medication Summary',
    code: '10160-0',
    display: 'History of Medication use Narrative',
    required: true,
    empty: "There is no information available about the subject's medication use or administration.",
    columns: ['Medication', 'Status', 'Date', 'Dosage'],
  },
  allergies: {
    title: 'Allergies and Intolerances',
    code: '48765-2',
    display: 'Allergies and adverse reactions Document',
    required: true,
    empty: "There is no information available regarding the subject's allergies.",
    columns: ['Substance', 'Clinical status', 'Criticality', 'Onset'],
  },
  problems: {
    title: 'Problem List',
    code: '11450-4',
    display: 'Problem list - Reported',
    required: true,
    empty: "There is no information available about the subject's health problems or disabilities.",
    columns: ['Problem', 'Clinical status', 'Onset'],
  },
  pastIllness: {
    title: 'History of Past Illness',
    code: '11348-0',
    display: 'History of Past illness note',
    required: false,
    empty: '',
    columns: ['Problem', 'Clinical status', 'Onset', 'Resolved'],
  },
  immunizations: {
    title: 'Immunizations',
    code: '11369-6',
    display: 'History of Immunization note',
    required: false,
    empty: '',
    columns: ['Vaccine', 'Status', 'Date'],
  },
  procedures: {
    title: 'History of Procedures',
    code: '47519-4',
    display: 'History of Procedures Document',
    required: false,
    empty: '',
    columns: ['Procedure', 'Status', 'Date'],
  },
  results: {
    title: 'Results',
    code: '30954-2',
    display: 'Relevant diagnostic tests/laboratory data note',
    required: false,
    empty: '',
    columns: ['Test', 'Value', 'Date'],
  },
} satisfies Record<string, SectionDef>;

const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function narrative(def: SectionDef, rows: string[][]): string {
  if (!rows.length) return `<div xmlns="http://www.w3.org/1999/xhtml">${esc(def.empty)}</div>`;
  const head = def.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<div xmlns="http://www.w3.org/1999/xhtml"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function concept(f: Pick<ClinicalFact, 'codeSystem' | 'code' | 'codeDisplay' | 'text'>): CodeableConcept {
  const c: CodeableConcept = {};
  if (f.code) c.coding = [{ ...(f.codeSystem ? { system: f.codeSystem } : {}), code: f.code, ...(f.codeDisplay ? { display: f.codeDisplay } : {}) }];
  const text = f.codeDisplay ?? f.text ?? undefined;
  if (text) c.text = text;
  if (!c.coding && !c.text) c.text = 'unknown';
  return c;
}

const label = (f: ClinicalFact): string => f.codeDisplay ?? f.text ?? f.code ?? 'unknown';
const day = (t: string | null): string => (t ? t.slice(0, 10) : '');
const oneOf = <T extends string>(v: unknown, allowed: readonly T[], fallback: T): T => (allowed.includes(v as T) ? (v as T) : fallback);
const extra = (f: ClinicalFact, k: string): string | null => (f.extra?.[k] as string | null | undefined) ?? null;

const STATEMENT_STATUS: Record<string, string> = { 'in-progress': 'active', 'not-done': 'not-taken', draft: 'intended' };
const STATEMENT_STATUSES = ['active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'] as const;
const REQUEST_STATUSES = ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'] as const;
const REQUEST_INTENTS = ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'] as const;

function medication(f: ClinicalFact, subject: { reference: string }): Resource {
  const dosage = extra(f, 'dosage_text');
  if (f.resourceType === 'MedicationRequest') {
    return {
      resourceType: 'MedicationRequest',
      id: f.resourceId,
      status: oneOf(f.status, REQUEST_STATUSES, 'unknown'),
      intent: oneOf(extra(f, 'intent'), REQUEST_INTENTS, 'order'),
      medicationCodeableConcept: concept(f),
      subject,
      ...(f.startTime ? { authoredOn: f.startTime } : {}),
      ...(dosage ? { dosageInstruction: [{ text: dosage }] } : {}),
    };
  }
  const status = STATEMENT_STATUS[f.status ?? ''] ?? oneOf(f.status, STATEMENT_STATUSES, 'unknown');
  const effective = f.startTime
    ? f.endTime && f.endTime !== f.startTime
      ? { effectivePeriod: { start: f.startTime, end: f.endTime } }
      : { effectiveDateTime: f.startTime }
    : {};
  return {
    resourceType: 'MedicationStatement',
    id: f.resourceId,
    status: status as never,
    medicationCodeableConcept: concept(f),
    subject,
    ...effective,
    ...(dosage ? { dosage: [{ text: dosage }] } : {}),
  };
}

const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';

function allergy(f: ClinicalFact, patient: { reference: string }): Resource {
  const clinical = oneOf(extra(f, 'clinical_status'), ['active', 'inactive', 'resolved'] as const, 'active');
  const verification = extra(f, 'verification_status');
  const categories = (extra(f, 'category') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => ['food', 'medication', 'environment', 'biologic'].includes(c));
  const type = extra(f, 'allergy_type');
  const criticality = extra(f, 'criticality');
  return {
    resourceType: 'AllergyIntolerance',
    id: f.resourceId,
    clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL, code: clinical }] },
    ...(verification && ['unconfirmed', 'confirmed'].includes(verification)
      ? { verificationStatus: { coding: [{ system: ALLERGY_VERIFICATION, code: verification }] } }
      : {}),
    ...(type === 'allergy' || type === 'intolerance' ? { type } : {}),
    ...(categories.length ? { category: categories as never } : {}),
    ...(criticality && ['low', 'high', 'unable-to-assess'].includes(criticality) ? { criticality: criticality as never } : {}),
    code: concept(f),
    patient,
    ...(f.startTime ? { onsetDateTime: f.startTime } : {}),
  };
}

function condition(f: ClinicalFact, subject: { reference: string }): Resource {
  const clinical = extra(f, 'clinical_status');
  const verification = extra(f, 'verification_status');
  const abatable = clinical === 'inactive' || clinical === 'resolved' || clinical === 'remission';
  return {
    resourceType: 'Condition',
    id: f.resourceId,
    ...(clinical && ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'].includes(clinical)
      ? { clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: clinical }] } }
      : {}),
    ...(verification && ['unconfirmed', 'provisional', 'differential', 'confirmed'].includes(verification)
      ? { verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: verification }] } }
      : {}),
    code: concept(f),
    subject,
    ...(f.startTime ? { onsetDateTime: f.startTime } : {}),
    ...(abatable && f.endTime ? { abatementDateTime: f.endTime } : {}),
  };
}

function immunization(f: ClinicalFact, patient: { reference: string }): Resource {
  return {
    resourceType: 'Immunization',
    id: f.resourceId,
    status: oneOf(f.status, ['completed', 'not-done'] as const, 'completed'),
    vaccineCode: concept(f),
    patient,
    ...(f.startTime ? { occurrenceDateTime: f.startTime } : { occurrenceString: f.text ?? 'unknown' }),
  };
}

const PROCEDURE_STATUSES = ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'unknown'] as const;

function procedure(f: ClinicalFact, subject: { reference: string }): Resource {
  const performed = f.startTime
    ? f.endTime && f.endTime !== f.startTime
      ? { performedPeriod: { start: f.startTime, end: f.endTime } }
      : { performedDateTime: f.startTime }
    : {};
  return { resourceType: 'Procedure', id: f.resourceId, status: oneOf(f.status, PROCEDURE_STATUSES, 'unknown'), code: concept(f), subject, ...performed };
}

/** The value in its canonical unit (as stored in value_num / value_unit), else the coded or text value. */
function observationValue(f: ClinicalFact): Record<string, unknown> {
  if (f.valueNum !== null && f.valueNum !== undefined && f.valueType === 'Quantity') {
    const canonical = f.unitStatus === 'converted' || f.unitStatus === 'annotation' || f.unitStatus === 'arbitrary' || f.unitStatus === 'no_canonical';
    return {
      valueQuantity: {
        value: f.valueNum,
        ...(f.valueComparator ? { comparator: f.valueComparator } : {}),
        ...(f.valueUnit ? { unit: f.valueUnit, ...(canonical ? { system: UCUM, code: f.valueUnit } : {}) } : {}),
      },
    };
  }
  if (f.valueCode || f.valueCodeDisplay) {
    return { valueCodeableConcept: concept({ codeSystem: f.valueCodeSystem, code: f.valueCode, codeDisplay: f.valueCodeDisplay, text: f.valueText }) };
  }
  if (f.valueText) return { valueString: f.valueText };
  return {};
}

const valueLabel = (f: ClinicalFact): string =>
  f.valueNum !== null && f.valueNum !== undefined
    ? `${f.valueComparator ?? ''}${Number(f.valueNum.toPrecision(6))} ${f.valueUnit ?? ''}`.trim()
    : (f.valueCodeDisplay ?? f.valueText ?? '');

const OBSERVATION_STATUSES = ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'unknown'] as const;

function result(f: ClinicalFact, subject: { reference: string }): Resource {
  const value = observationValue(f);
  return {
    resourceType: 'Observation',
    id: f.resourceId,
    status: oneOf(f.status, OBSERVATION_STATUSES, 'unknown'),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: concept(f),
    subject,
    ...(f.startTime ? { effectiveDateTime: f.startTime } : {}),
    ...(Object.keys(value).length
      ? value
      : { dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown' }] } }),
  } as Resource;
}

const erroneous = (f: ClinicalFact): boolean =>
  f.status === 'entered-in-error' || extra(f, 'verification_status') === 'entered-in-error' || extra(f, 'verification_status') === 'refuted';

/** Splits the facts into IPS sections and builds each entry. */
function sections(facts: ClinicalFact[], subject: { reference: string }): Record<keyof typeof SECTIONS, { resource: Resource; row: string[] }[]> {
  const out: Record<keyof typeof SECTIONS, { resource: Resource; row: string[] }[]> = {
    medications: [],
    allergies: [],
    problems: [],
    pastIllness: [],
    immunizations: [],
    procedures: [],
    results: [],
  };
  const seen = new Set<string>();
  for (const f of facts) {
    if (erroneous(f) || seen.has(f.resourceId)) continue;
    seen.add(f.resourceId);
    switch (f.domain) {
      case 'medication':
        if (f.status === 'cancelled' || f.status === 'not-done') break;
        out.medications.push({ resource: medication(f, subject), row: [label(f), f.status ?? '', day(f.startTime), extra(f, 'dosage_text') ?? ''] });
        break;
      case 'allergy':
        out.allergies.push({
          resource: allergy(f, subject),
          row: [label(f), extra(f, 'clinical_status') ?? '', extra(f, 'criticality') ?? '', day(f.startTime)],
        });
        break;
      case 'condition': {
        const past = ['inactive', 'resolved', 'remission'].includes(extra(f, 'clinical_status') ?? '');
        if (past)
          out.pastIllness.push({ resource: condition(f, subject), row: [label(f), extra(f, 'clinical_status') ?? '', day(f.startTime), day(f.endTime)] });
        else out.problems.push({ resource: condition(f, subject), row: [label(f), extra(f, 'clinical_status') ?? '', day(f.startTime)] });
        break;
      }
      case 'immunization':
        if (f.status === 'not-done') break;
        out.immunizations.push({ resource: immunization(f, subject), row: [label(f), f.status ?? '', day(f.startTime)] });
        break;
      case 'procedure':
        if (f.status === 'not-done') break;
        out.procedures.push({ resource: procedure(f, subject), row: [label(f), f.status ?? '', day(f.startTime)] });
        break;
      case 'observation':
        out.results.push({ resource: result(f, subject), row: [label(f), valueLabel(f), day(f.startTime)] });
        break;
    }
  }
  return out;
}

function patientResource(p: PatientDemographics, others: { system: string; value: string }[]): Resource {
  const ids = [...new Map([...p.identifiers, ...others].map((i) => [`${i.system}|${i.value}`, i])).values()];
  const name = p.family || p.given ? [{ ...(p.family ? { family: p.family } : {}), ...(p.given ? { given: p.given.split(' ') } : {}) }] : undefined;
  return {
    resourceType: 'Patient',
    id: p.id,
    ...(ids.length ? { identifier: ids } : {}),
    ...(name ? { name } : {}),
    ...(p.gender && ['male', 'female', 'other', 'unknown'].includes(p.gender) ? { gender: p.gender as never } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
  };
}

export function ipsBundle(input: SummaryInput): Bundle {
  const subject = { reference: `urn:uuid:${input.patient.id}` };
  const built = sections(input.facts, subject);
  const compositionSections: CompositionSection[] = [];
  const entries: BundleEntry[] = [];
  for (const [key, def] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, SectionDef][]) {
    const items = built[key];
    if (!items.length && !def.required) continue;
    const section: CompositionSection = {
      title: def.title,
      code: { coding: [{ system: LOINC, code: def.code, display: def.display }] },
      text: {
        status: 'generated',
        div: narrative(
          def,
          items.map((i) => i.row),
        ),
      },
    };
    if (items.length) section.entry = items.map((i) => ({ reference: `urn:uuid:${i.resource.id}` }));
    else
      section.emptyReason = {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' }],
        text: 'No information available',
      };
    compositionSections.push(section);
    entries.push(...items.map((i) => ({ fullUrl: `urn:uuid:${i.resource.id}`, resource: i.resource })));
  }
  const composition: Composition = {
    resourceType: 'Composition',
    id: input.compositionId,
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">International Patient Summary assembled by fhir-anchor-bridge from the records the reader may see.</div>',
    },
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${input.documentId}` },
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject,
    date: input.timestamp,
    author: [{ reference: `urn:uuid:${BRIDGE_AUTHOR_ID}` }],
    title: 'International Patient Summary',
    confidentiality: 'N',
    event: [{ code: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActClass', code: 'PCPR' }] }], period: { end: input.timestamp } }],
    section: compositionSections,
  };
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${input.documentId}` },
    type: 'document',
    timestamp: input.timestamp,
    entry: [
      { fullUrl: `urn:uuid:${input.compositionId}`, resource: composition },
      { fullUrl: `urn:uuid:${input.patient.id}`, resource: patientResource(input.patient, input.otherIdentifiers) },
      { fullUrl: `urn:uuid:${BRIDGE_AUTHOR_ID}`, resource: { resourceType: 'Organization', id: BRIDGE_AUTHOR_ID, name: 'fhir-anchor-bridge' } },
      ...entries,
    ],
  };
}
