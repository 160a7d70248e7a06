/** The consent request a foreign clinic posts (README "Consent requests"): a Task carrying a contained proposed Consent. */

const DAY = 86_400_000;
/** The date `offset` days from today (UTC), as a FHIR date. */
export const dayFromToday = (offset: number): string => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

export interface ConsentRequestSpec {
  /** The `$match` handle the Task is `for`. */
  handle: string;
  /** The requesting clinic, named in `provision.actor`. */
  requester: string;
  /** HL7 v3 ActReason code (default ETREAT). */
  purpose?: string;
  /** Default: today to 30 days from today. */
  period?: { start?: string; end?: string };
  note?: string;
  /** Merged into the Task, the contained Consent and its provision (undefined values remove an element). */
  task?: Record<string, unknown>;
  consent?: Record<string, unknown>;
  provision?: Record<string, unknown>;
}

export function consentRequestTask(s: ConsentRequestSpec): Record<string, unknown> {
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'proposal',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'approve' }] },
    for: { reference: `Patient/${s.handle}` },
    focus: { reference: '#c' },
    reasonCode: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: s.purpose ?? 'ETREAT' }] },
    ...(s.note !== undefined ? { note: [{ text: s.note }] } : {}),
    contained: [
      {
        resourceType: 'Consent',
        id: 'c',
        status: 'proposed',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        provision: {
          type: 'permit',
          actor: [{ reference: { reference: `Organization/${s.requester}` } }],
          period: s.period ?? { start: dayFromToday(0), end: dayFromToday(30) },
          ...s.provision,
        },
        ...s.consent,
      },
    ],
    ...s.task,
  };
}
