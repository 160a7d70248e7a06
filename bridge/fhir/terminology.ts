import type { Resource } from '@medplum/fhirtypes';
import { Issue, issueOf } from './outcome';

/**
 * Required-binding codes the bridge relies on and that the structural validator does not check.
 * Values from the FHIR R4 value sets bound (required) to these elements.
 */
const CODE_CHECKS: Record<string, Record<string, readonly string[]>> = {
  Patient: { gender: ['male', 'female', 'other', 'unknown'] },
  Observation: { status: ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'] },
  Encounter: { status: ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'] },
  Procedure: { status: ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'] },
  Immunization: { status: ['completed', 'entered-in-error', 'not-done'] },
  MedicationRequest: { status: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'] },
  MedicationStatement: { status: ['active', 'completed', 'entered-in-error', 'intended', 'stopped', 'on-hold', 'unknown', 'not-taken'] },
  MedicationAdministration: { status: ['in-progress', 'not-done', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'unknown'] },
  DiagnosticReport: {
    status: ['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown'],
  },
  DocumentReference: { status: ['current', 'superseded', 'entered-in-error'] },
  Composition: { status: ['preliminary', 'final', 'amended', 'entered-in-error'] },
  Consent: { status: ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'] },
  AllergyIntolerance: { criticality: ['low', 'high', 'unable-to-assess'] },
};

const CODED_STATUS: Record<string, { element: string; system: string; codes: readonly string[] }[]> = {
  Condition: [
    {
      element: 'clinicalStatus',
      system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
      codes: ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'],
    },
    {
      element: 'verificationStatus',
      system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
      codes: ['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error'],
    },
  ],
  AllergyIntolerance: [
    { element: 'clinicalStatus', system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', codes: ['active', 'inactive', 'resolved'] },
    {
      element: 'verificationStatus',
      system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
      codes: ['unconfirmed', 'confirmed', 'refuted', 'entered-in-error'],
    },
  ],
};

export const BUNDLE_TYPES = [
  'document',
  'message',
  'transaction',
  'transaction-response',
  'batch',
  'batch-response',
  'history',
  'searchset',
  'collection',
] as const;
export const HTTP_VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Codes of `resource` outside their required value set, located under `path` (the resource's FHIRPath). */
export function checkCodes(resource: Resource, path: string): Issue[] {
  const issues: Issue[] = [];
  const record = resource as unknown as Record<string, unknown>;
  for (const [element, allowed] of Object.entries(CODE_CHECKS[resource.resourceType] ?? {})) {
    const value = record[element];
    if (value !== undefined && !allowed.includes(value as string)) {
      issues.push(
        issueOf(
          'codeInvalid',
          `${resource.resourceType}.${element} ${typeof value === 'string' ? `"${value}"` : '(not a code)'} is not one of ${allowed.join(', ')}`,
          `${path}.${element}`,
        ),
      );
    }
  }
  for (const check of CODED_STATUS[resource.resourceType] ?? []) {
    const concept = record[check.element] as { coding?: unknown } | undefined;
    const codings = Array.isArray(concept?.coding) ? (concept.coding as ({ system?: string; code?: string } | null)[]) : [];
    codings.forEach((coding, i) => {
      if (typeof coding !== 'object' || coding === null) return; // the structural validator reports it
      if (coding.system === check.system && typeof coding.code === 'string' && !check.codes.includes(coding.code)) {
        issues.push(
          issueOf(
            'codeInvalid',
            `${resource.resourceType}.${check.element} code "${coding.code}" is not in ${check.system}`,
            `${path}.${check.element}.coding[${i}].code`,
          ),
        );
      }
    });
  }
  return issues;
}
