/** Small hand-written bundles for the access tests: one patient with an observation, and Consents. */

export const SSN = 'http://hl7.org/fhir/sid/us-ssn';

export interface PersonSpec {
  id: string;
  family: string;
  given: string;
  birthDate: string;
  gender?: 'male' | 'female';
  ssn?: string;
}

/** A transaction: the clinic's Patient (PUT by its own id) and one Observation about it. */
export function patientBundle(p: PersonSpec, obsCode = '8867-4'): unknown {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          id: p.id,
          name: [{ family: p.family, given: [p.given] }],
          birthDate: p.birthDate,
          gender: p.gender ?? 'female',
          identifier: [{ system: 'urn:example:mrn', value: `mrn-${p.id}` }, ...(p.ssn ? [{ system: SSN, value: p.ssn }] : [])],
        },
        request: { method: 'PUT', url: `Patient/${p.id}` },
      },
      {
        resource: {
          resourceType: 'Observation',
          id: `obs-${p.id}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: obsCode }] },
          subject: { reference: `Patient/${p.id}` },
          effectiveDateTime: '2024-05-01T10:00:00Z',
          valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
        },
        request: { method: 'PUT', url: `Observation/obs-${p.id}` },
      },
    ],
  };
}

/** A Consent by the holding clinic: `patientRef` (its own Patient) permits `Organization/{actorClinicId}`. */
export function consent(
  id: string,
  patientRef: string,
  actorClinicId: string,
  opts: { status?: string; type?: 'permit' | 'deny'; period?: { start?: string; end?: string }; provision?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    id,
    status: opts.status ?? 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: patientRef },
    dateTime: '2024-01-01T00:00:00Z',
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: opts.type ?? 'permit',
      ...(opts.period ? { period: opts.period } : {}),
      actor: [
        {
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
          reference: { reference: `Organization/${actorClinicId}` },
        },
      ],
      ...opts.provision,
    },
  };
}

export function putBundle(resource: Record<string, unknown>): unknown {
  return { resourceType: 'Bundle', type: 'transaction', entry: [{ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }] };
}

/** `Type/id` of a transaction-response entry's location. */
export const located = (body: any, i: number): string => body.entry[i].response.location.split('/_history')[0];
