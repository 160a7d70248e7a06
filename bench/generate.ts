/**
 * Synthea-like FHIR R4 transaction bundles, generated (the project's own data, no third-party samples):
 * one Patient with its Encounters, Observations (LOINC, UCUM quantities), Conditions, Procedures, Immunizations and
 * MedicationRequests, plus the Organization and Practitioner it was seen by, all linked with urn:uuid references.
 * Deterministic for a given seed.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence (bundles here, mutations in tests). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYNTHEA = 'https://github.com/synthetichealth/synthea';
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';

/** [code, display, unit, low, high] */
const VITALS: [string, string, string, number, number][] = [
  ['29463-7', 'Body Weight', 'kg', 50, 110],
  ['8302-2', 'Body Height', 'cm', 150, 195],
  ['39156-5', 'Body Mass Index', 'kg/m2', 18, 35],
  ['8867-4', 'Heart rate', '/min', 55, 100],
  ['9279-1', 'Respiratory rate', '/min', 12, 20],
  ['2339-0', 'Glucose', 'mg/dL', 70, 140],
  ['2093-3', 'Total Cholesterol', 'mg/dL', 150, 260],
  ['2571-8', 'Triglycerides', 'mg/dL', 80, 220],
  ['38483-4', 'Creatinine', 'mg/dL', 0.6, 1.3],
  ['6299-2', 'Urea Nitrogen', 'mg/dL', 7, 20],
  ['2947-0', 'Sodium', 'mmol/L', 135, 145],
  ['6298-4', 'Potassium', 'mmol/L', 3.5, 5.1],
  ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', '%', 4.5, 8],
];
const CONDITIONS: [string, string][] = [
  ['44054006', 'Diabetes'],
  ['38341003', 'Hypertension'],
  ['195662009', 'Acute viral pharyngitis (disorder)'],
  ['10509002', 'Acute bronchitis (disorder)'],
  ['162864005', 'Body mass index 30+ - obesity (finding)'],
  ['15777000', 'Prediabetes'],
];
const PROCEDURES: [string, string][] = [
  ['430193006', 'Medication Reconciliation (procedure)'],
  ['117015009', 'Throat culture (procedure)'],
  ['710824005', 'Assessment of health and social care needs (procedure)'],
  ['171207006', 'Depression screening (procedure)'],
];
const VACCINES: [string, string][] = [
  ['140', 'Influenza, seasonal, injectable, preservative free'],
  ['113', 'Td (adult) preservative free'],
  ['08', 'Hep B, adolescent or pediatric'],
];
const MEDICATIONS: [string, string][] = [
  ['314076', 'lisinopril 10 MG Oral Tablet'],
  ['860975', '24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet'],
  ['313782', 'Acetaminophen 325 MG Oral Tablet'],
  ['308182', 'Amoxicillin 250 MG Oral Capsule'],
];
const FAMILY = ['Rivera', 'Koepp', 'Huels', 'Doyle', 'Armstrong', 'Toy', 'Hoeger', 'Kreiger', 'Purdy', 'Crooks'];
const GIVEN = ['Ana', 'Abdul', 'Ammie', 'Annmarie', 'Alberto', 'Alexis', 'Buster', 'Clemente', 'Emery', 'Granville'];

export interface GenerateOptions {
  /** Bundles to make. */
  bundles: number;
  /** Encounters per patient (each adds ≈ 8 observations and a few other resources); ≈ 20 gives Synthea's ≈ 250 entries. */
  encountersPerPatient?: number;
  /** Distinct organizations (and practitioners) shared by all bundles. */
  organizations?: number;
  seed?: number;
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Transaction bundles of POSTs with urn:uuid fullUrls, like Synthea's patient bundles. */
export function generateBundles(opts: GenerateOptions): Bundle[] {
  const rand = prng(opts.seed ?? 42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const between = (lo: number, hi: number, digits = 1): number => Number((lo + rand() * (hi - lo)).toFixed(digits));
  const encounters = opts.encountersPerPatient ?? 20;
  const orgIds = Array.from({ length: opts.organizations ?? 20 }, () => uuidFrom(rand));
  const out: Bundle[] = [];
  for (let b = 0; b < opts.bundles; b++) {
    const entry: BundleEntry[] = [];
    const add = (resource: Resource): string => {
      const fullUrl = `urn:uuid:${uuidFrom(rand)}`;
      entry.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
      return fullUrl;
    };
    const patientId = uuidFrom(rand);
    const birth = new Date(Date.UTC(1940 + Math.floor(rand() * 60), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28)));
    const patient = add({
      resourceType: 'Patient',
      identifier: [
        { system: SYNTHEA, value: patientId },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
          system: 'http://hospital.smarthealthit.org',
          value: patientId,
        },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] },
          system: 'http://hl7.org/fhir/sid/us-ssn',
          value: `999-${String(b % 100).padStart(2, '0')}-${String(Math.floor(rand() * 10000)).padStart(4, '0')}`,
        },
      ],
      name: [{ use: 'official', family: pick(FAMILY), given: [pick(GIVEN)] }],
      gender: rand() < 0.5 ? 'female' : 'male',
      birthDate: birth.toISOString().slice(0, 10),
      address: [{ line: [`${Math.floor(rand() * 900) + 100} Main St`], city: 'Boston', state: 'MA', postalCode: '02101', country: 'US' }],
    } as Resource);
    const orgIdent = pick(orgIds);
    const org = add({
      resourceType: 'Organization',
      identifier: [{ system: SYNTHEA, value: orgIdent }],
      active: true,
      name: `Clinic ${orgIdent.slice(0, 6)}`,
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov' }] }],
    } as Resource);
    const pract = add({
      resourceType: 'Practitioner',
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99999${orgIdent.slice(0, 5)}` }],
      active: true,
      name: [{ family: pick(FAMILY), given: [pick(GIVEN)], prefix: ['Dr.'] }],
      gender: 'female',
    } as Resource);
    const subject = { reference: patient };
    let t = Date.UTC(2010, 0, 1) + Math.floor(rand() * 3e8) * 1000;
    for (let e = 0; e < encounters; e++) {
      t += Math.floor(20 + rand() * 120) * 86_400_000;
      const start = new Date(t).toISOString();
      const end = new Date(t + 30 * 60_000).toISOString();
      const enc = add({
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        type: [{ coding: [{ system: SNOMED, code: '185349003', display: 'Encounter for check up (procedure)' }], text: 'Encounter for check up (procedure)' }],
        subject,
        participant: [{ individual: { reference: pract } }],
        period: { start, end },
        serviceProvider: { reference: org },
      } as Resource);
      const encounter = { reference: enc };
      for (let o = 0; o < 7; o++) {
        const [code, display, unit, lo, hi] = pick(VITALS);
        add({
          resourceType: 'Observation',
          status: 'final',
          category: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                  code: code.startsWith('2') || code.startsWith('3') || code.startsWith('6') || code.startsWith('4') ? 'laboratory' : 'vital-signs',
                },
              ],
            },
          ],
          code: { coding: [{ system: LOINC, code, display }], text: display },
          subject,
          encounter,
          effectiveDateTime: start,
          issued: start,
          valueQuantity: { value: between(lo, hi), unit, system: UCUM, code: unit },
        } as Resource);
      }
      add({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood Pressure' }], text: 'Blood Pressure' },
        subject,
        encounter,
        effectiveDateTime: start,
        component: [
          {
            code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic Blood Pressure' }] },
            valueQuantity: { value: between(60, 95, 0), unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' },
          },
          {
            code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic Blood Pressure' }] },
            valueQuantity: { value: between(100, 150, 0), unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' },
          },
        ],
      } as Resource);
      if (rand() < 0.3) {
        const [code, display] = pick(CONDITIONS);
        add({
          resourceType: 'Condition',
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: rand() < 0.5 ? 'active' : 'resolved' }] },
          verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
          code: { coding: [{ system: SNOMED, code, display }], text: display },
          subject,
          encounter,
          onsetDateTime: start,
          recordedDate: start,
        } as Resource);
      }
      if (rand() < 0.5) {
        const [code, display] = pick(PROCEDURES);
        add({
          resourceType: 'Procedure',
          status: 'completed',
          code: { coding: [{ system: SNOMED, code, display }], text: display },
          subject,
          encounter,
          performedPeriod: { start, end },
        } as Resource);
      }
      if (rand() < 0.2) {
        const [code, display] = pick(VACCINES);
        add({
          resourceType: 'Immunization',
          status: 'completed',
          vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code, display }], text: display },
          patient: subject,
          encounter,
          occurrenceDateTime: start,
          primarySource: true,
        } as Resource);
      }
      if (rand() < 0.4) {
        const [code, display] = pick(MEDICATIONS);
        add({
          resourceType: 'MedicationRequest',
          status: rand() < 0.5 ? 'active' : 'stopped',
          intent: 'order',
          medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code, display }], text: display },
          subject,
          encounter,
          authoredOn: start,
          requester: { reference: pract },
          dosageInstruction: [{ sequence: 1, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, asNeededBoolean: false }],
        } as Resource);
      }
    }
    out.push({ resourceType: 'Bundle', type: 'transaction', entry });
  }
  return out;
}
