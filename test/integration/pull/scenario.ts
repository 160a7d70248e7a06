/** Three clinics holding one person (same US SSN), for the pull tests. */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Db } from '../../../bridge/store/db';
import { api } from '../../helpers/fixtures';

export const SSN = 'http://hl7.org/fhir/sid/us-ssn';

let n = 0;
const uuid = (): string => `urn:uuid:00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const post = (resource: Resource, fullUrl = uuid()): BundleEntry => ({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });

/** A clinic's record of the person, one of each clinical kind, all dated in `year`, with shared Organization/Practitioner/Location. */
export function clinicBundle(clinic: string, year: number, ssn: string, glucoseMgDl: number): Bundle {
  const patient = uuid();
  const org = uuid();
  const pract = uuid();
  const loc = uuid();
  const enc = uuid();
  const subject = { reference: patient };
  const at = (m: number): string => `${year}-${String(m).padStart(2, '0')}-15T10:00:00Z`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        ...post(
          {
            resourceType: 'Patient',
            identifier: [
              { system: `http://${clinic}.example/mrn`, value: `${clinic}-1` },
              { system: SSN, value: ssn },
            ],
            name: [{ family: 'Rivera', given: ['Ana'] }],
            gender: 'female',
            birthDate: '1980-04-12',
          },
          patient,
        ),
        request: { method: 'PUT', url: `Patient/${clinic}-p1` },
      },
      post({ resourceType: 'Organization', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `npi-${clinic}` }], name: `Clinic ${clinic}` }, org),
      post(
        { resourceType: 'Practitioner', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `dr-${clinic}` }], name: [{ family: `Doc${clinic}` }] },
        pract,
      ),
      post(
        {
          resourceType: 'Location',
          identifier: [{ system: 'http://example.org/loc', value: `loc-${clinic}` }],
          name: `Ward ${clinic}`,
          managingOrganization: { reference: org },
        },
        loc,
      ),
      post(
        {
          resourceType: 'Encounter',
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          subject,
          serviceProvider: { reference: org },
          participant: [{ individual: { reference: pract } }],
          location: [{ location: { reference: loc } }],
          period: { start: at(3), end: at(3) },
        },
        enc,
      ),
      post({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose' }] },
        subject,
        encounter: { reference: enc },
        performer: [{ reference: pract }],
        effectiveDateTime: at(3),
        valueQuantity: { value: glucoseMgDl, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      }),
      post({
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes' }] },
        subject,
        onsetDateTime: at(2),
      }),
      post({
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '860975', display: 'Metformin 500 MG' }] },
        subject,
        encounter: { reference: enc },
        requester: { reference: pract },
        authoredOn: at(3),
      }),
      post({
        resourceType: 'AllergyIntolerance',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Penicillin allergy' }] },
        patient: subject,
        onsetDateTime: at(1),
      }),
      post({
        resourceType: 'Immunization',
        status: 'completed',
        vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140', display: 'Influenza' }] },
        patient: subject,
        occurrenceDateTime: at(4),
      }),
      post({
        resourceType: 'Procedure',
        status: 'completed',
        code: { coding: [{ system: 'http://snomed.info/sct', code: '117015009', display: 'Throat culture' }] },
        subject,
        performedDateTime: at(5),
      }),
    ],
  };
}

/** The home clinic's Consent: its record may be read by `Organization/{callerClinicId}`. */
export function consentBundle(homePatientSourceId: string, callerClinicId: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      post({
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: `Patient/${homePatientSourceId}` },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
        provision: {
          type: 'permit',
          actor: [
            {
              role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
              reference: { reference: `Organization/${callerClinicId}` },
            },
          ],
        },
      } as Resource),
    ],
  };
}

export async function push(url: string, key: string, bundle: Bundle): Promise<{ hash: string; body: Bundle }> {
  const res = await api(url, key, 'POST', '/fhir', bundle);
  if (res.status !== 200) throw new Error(`push failed ${res.status}: ${JSON.stringify(res.body)}`);
  return { hash: res.headers.get('x-bundle-hash')!, body: res.body };
}

/** Every reference of every entry resolves to an entry of the Bundle, is contained, or is external. */
export function danglingReferences(bundle: Bundle, base: string): string[] {
  const keys = new Set((bundle.entry ?? []).map((e) => e.fullUrl!));
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.reference === 'string') {
        const ref = o.reference;
        const ok = ref.startsWith('#') || keys.has(ref) || keys.has(`${base}/${ref}`) || (/^https?:/.test(ref) && !ref.startsWith(base));
        if (!ok) out.push(ref);
      }
      for (const k of Object.keys(o)) if (k !== 'reference' || typeof o[k] === 'object') walk(o[k]);
    }
  };
  for (const e of bundle.entry ?? []) walk(e.resource);
  return out;
}

/** The audit trail in order, as the pull tests compare it. */
export async function auditRows(db: Db): Promise<any[]> {
  return (await db.query('SELECT clinic_id AS "clinicId", action, outcome, patient_ids AS "patientIds" FROM audit_event ORDER BY seq')).rows;
}
