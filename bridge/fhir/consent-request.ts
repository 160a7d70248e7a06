/**
 * Consent requests as FHIR R4 Tasks, pure (no I/O): reading the Task a foreign clinic posts, the Task each party sees,
 * and the Consent an approval stores.
 *
 * Shape (FHIR R4 workflow.html "request/response" with Task, task.html, consent.html):
 * - the requester POSTs a Task: `status` requested, `intent` proposal, `code` task-code#approve, `for` the Patient it
 *   asks about (a $match handle), `focus` a contained Consent (`status` proposed, scope patient-privacy, category LOINC
 *   59284-0, `provision.type` permit, `provision.actor` the requester, `provision.period` the period asked for),
 *   `reasonCode` the purpose of use (HL7 v3 ActReason), optional `note`;
 * - each home clinic sees the same request as its own Task (`owner` = it, `for` = its own Patient record) and moves it
 *   along the Task state machine (task.html#statemachine) requested → accepted | rejected;
 * - the requester's Task is accepted once a home clinic accepted, rejected once all declined.
 */
import { createHash } from 'node:crypto';
import type { Consent, Organization, Reference, Task } from '@medplum/fhirtypes';
import { fhirTimeRange } from '../normalize/time';
import { issueOf, outcomes, outcomeWithIssues, type Issue } from './outcome';

export const TASK_CODE_SYSTEM = 'http://hl7.org/fhir/CodeSystem/task-code';
export const CONSENT_SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope';
export const ACT_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const LOINC = 'http://loinc.org';
/** LOINC 59284-0 "Patient Consent" (the category R4 consent examples use). */
export const CONSENT_CATEGORY = '59284-0';
export const CONSENT_REQUEST_IDENTIFIER = 'https://fhir-anchor-bridge.dev/consent-request';

/**
 * Purposes of use (HL7 v3 ActReason, PurposeOfUse) for which a clinic may ask another clinic for a patient's records:
 * care of the patient, not payment, marketing or research.
 */
export const REQUEST_PURPOSES: Record<string, string> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  CAREMGT: 'care management',
  COC: 'coordination of care',
  PATRQT: 'patient requested',
};

/**
 * Provision elements that narrow what is shared. access/consent-rules.ts does not evaluate them (a Consent carrying
 * one grants nothing), so a request narrowed by them is refused: restricted categories come with patient-controlled
 * consent. Kept equal to consent-rules' UNEVALUATED_PROVISION_ELEMENTS (a unit test checks it).
 */
export const NARROWING_PROVISION_ELEMENTS = ['provision', 'data', 'class', 'code', 'dataPeriod', 'securityLabel', 'purpose'] as const;

export type RequestStatus = 'requested' | 'accepted' | 'rejected' | 'cancelled';

/** What a valid posted Task asks for. */
export interface ConsentRequestInput {
  handle: string;
  purpose: string;
  /** The period as written (copied into the Consent), with its bounds as UTC instants. */
  period: { start: string; end: string };
  periodStart: string;
  periodEnd: string;
  note: string | null;
}

export interface RequestLimits {
  /** Longest period a request may ask for, in days. */
  maxDays: number;
  now: Date;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const codings = (cc: unknown): { system?: unknown; code?: unknown }[] => (isObject(cc) && Array.isArray(cc.coding) ? cc.coding.filter(isObject) : []);
const hasCoding = (cc: unknown, system: string, code: string): boolean => codings(cc).some((c) => c.system === system && c.code === code);
const ref = (r: unknown): string | undefined => (isObject(r) && typeof r.reference === 'string' ? r.reference : undefined);

/**
 * Reads and checks the Task a clinic posts to ask for consent (`clinicId`: the caller). Every structural problem is
 * reported at once (400); a request for narrowed data, or for a period in the past or too long, is a 422.
 */
export function parseConsentRequest(body: unknown, clinicId: string, limits: RequestLimits): ConsentRequestInput {
  if (!isObject(body) || body.resourceType !== 'Task') throw outcomes.invalid('the body must be a FHIR Task', 'Task');
  const issues: Issue[] = [];
  const bad = (why: string, where: string): void => void issues.push(issueOf('invalid', why, where));
  if (body.status !== 'requested') bad('Task.status must be "requested" (a new request)', 'Task.status');
  if (body.intent !== 'proposal') bad('Task.intent must be "proposal"', 'Task.intent');
  if (!hasCoding(body.code, TASK_CODE_SYSTEM, 'approve')) bad(`Task.code must be ${TASK_CODE_SYSTEM}|approve`, 'Task.code');
  if (body.owner !== undefined) bad('Task.owner is set by the bridge (every home clinic of the patient)', 'Task.owner');
  const requester = ref(body.requester);
  if (body.requester !== undefined && requester !== `Organization/${clinicId}`)
    bad(`Task.requester must be Organization/${clinicId} (the calling clinic) or absent`, 'Task.requester');
  const forRef = ref(body.for);
  const handle = forRef && /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(forRef)?.[1];
  if (!handle) bad('Task.for must reference the patient as Patient/{handle from Patient/$match}', 'Task.for');

  const purposes = codings(body.reasonCode).filter((c) => c.system === ACT_REASON_SYSTEM && typeof c.code === 'string' && REQUEST_PURPOSES[c.code as string]);
  if (!purposes.length) {
    bad(`Task.reasonCode must code the purpose of use in ${ACT_REASON_SYSTEM}: one of ${Object.keys(REQUEST_PURPOSES).join(', ')}`, 'Task.reasonCode');
  }
  let note: string | null = null;
  if (body.note !== undefined) {
    const texts = Array.isArray(body.note) ? body.note.map((n) => (isObject(n) ? n.text : undefined)) : [undefined];
    if (texts.some((t) => typeof t !== 'string' || t.length > 2000)) bad('Task.note must be Annotations with text of at most 2000 characters', 'Task.note');
    else note = (texts as string[]).join('\n');
  }

  const consent = containedConsent(body, bad);
  const provision = consent && isObject(consent.provision) ? consent.provision : undefined;
  if (consent) {
    if (consent.status !== 'proposed') bad('the Consent must have status "proposed"', 'Task.contained[0].status');
    if (!hasCoding(consent.scope, CONSENT_SCOPE_SYSTEM, 'patient-privacy'))
      bad(`Consent.scope must be ${CONSENT_SCOPE_SYSTEM}|patient-privacy`, 'Task.contained[0].scope');
    if (!(Array.isArray(consent.category) && consent.category.some((c) => hasCoding(c, LOINC, CONSENT_CATEGORY)))) {
      bad(`Consent.category must include ${LOINC}|${CONSENT_CATEGORY}`, 'Task.contained[0].category');
    }
    const patient = ref(consent.patient);
    if (consent.patient !== undefined && patient !== forRef) bad('Consent.patient, when given, must be the Task.for patient', 'Task.contained[0].patient');
    if (!provision || provision.type !== 'permit') bad('Consent.provision.type must be "permit"', 'Task.contained[0].provision.type');
    const actors = provision && Array.isArray(provision.actor) ? provision.actor.map((a) => (isObject(a) ? ref(a.reference) : undefined)) : [];
    if (actors.length !== 1 || actors[0] !== `Organization/${clinicId}`) {
      bad(`Consent.provision.actor must be exactly the requesting clinic, Organization/${clinicId}`, 'Task.contained[0].provision.actor');
    }
  }
  const period = provision && isObject(provision.period) ? provision.period : undefined;
  const start = typeof period?.start === 'string' ? fhirTimeRange(period.start).start : null;
  const end = typeof period?.end === 'string' ? fhirTimeRange(period.end).end : null;
  if (consent && (!start || !end)) {
    bad('Consent.provision.period must be bounded: a start and an end (FHIR dates or dateTimes)', 'Task.contained[0].provision.period');
  }
  if (issues.length) throw outcomeWithIssues('invalid', issues);

  const narrowing = NARROWING_PROVISION_ELEMENTS.filter((e) => provision![e] !== undefined);
  if (narrowing.length) {
    throw outcomes.businessRule(
      `the request narrows the data (${narrowing.map((e) => `provision.${e}`).join(', ')}): only the whole record can be requested between ` +
        'clinics; restricted categories come with patient-controlled consent',
      'Task.contained[0].provision',
    );
  }
  if (end! <= limits.now.toISOString())
    throw outcomes.businessRule('Consent.provision.period has ended: ask for a period that is not in the past', 'Task.contained[0].provision.period.end');
  if (start! >= end!) throw outcomes.invalid('Consent.provision.period.start must be before its end', 'Task.contained[0].provision.period');
  // A start earlier than yesterday is in the past (a date of today begins at midnight UTC, so a day of slack).
  if (Date.parse(start!) < limits.now.getTime() - 86_400_000) {
    throw outcomes.businessRule('Consent.provision.period.start is in the past', 'Task.contained[0].provision.period.start');
  }
  if (Date.parse(end!) - Date.parse(start!) > limits.maxDays * 86_400_000) {
    throw outcomes.businessRule(`Consent.provision.period is longer than ${limits.maxDays} days`, 'Task.contained[0].provision.period');
  }
  return {
    handle: handle!,
    purpose: purposes[0].code as string,
    note,
    period: { start: period!.start as string, end: period!.end as string },
    periodStart: start!,
    periodEnd: end!,
  };
}

/** The contained Consent `Task.focus` points at (`#id`), or undefined after reporting why. */
function containedConsent(task: Json, bad: (why: string, where: string) => void): Json | undefined {
  const focus = ref(task.focus);
  const contained = Array.isArray(task.contained) ? task.contained.filter(isObject) : [];
  const consent = focus?.startsWith('#') ? contained.find((c) => c.resourceType === 'Consent' && c.id === focus.slice(1)) : undefined;
  if (!consent) bad('Task.focus must reference a contained Consent (#id) that states what is asked', 'Task.focus');
  return consent;
}

/** A stored request, as the store gives it. */
export interface StoredConsentRequest {
  id: string;
  requesterClinicId: string;
  requesterName: string;
  handle: string;
  purpose: string;
  period: { start: string; end: string };
  note: string | null;
  status: RequestStatus;
  authoredOn: string;
  lastModified: string;
}

/** One home clinic's side of a request. */
export interface HomeView {
  taskId: string;
  clinicId: string;
  /** Its own patient records of the person (the first is `Task.for`). */
  patientIds: string[];
  status: RequestStatus;
  reason: string | null;
  consentIds: string[];
  lastModified: string;
}

const org = (clinicId: string, display?: string): Reference<Organization> => ({ reference: `Organization/${clinicId}`, ...(display ? { display } : {}) });

function proposedConsent(r: StoredConsentRequest, patient: string, status: Consent['status']): Consent {
  return {
    resourceType: 'Consent',
    id: 'consent',
    status,
    scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LOINC, code: CONSENT_CATEGORY }] }],
    patient: { reference: patient },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: { type: 'permit', period: r.period, actor: [{ role: IRCP, reference: org(r.requesterClinicId) }] },
  };
}

const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };

export function baseTask(r: StoredConsentRequest, id: string, status: RequestStatus, patient: string, lastModified: string): Task {
  return {
    resourceType: 'Task',
    id,
    meta: { lastUpdated: lastModified },
    identifier: [{ system: CONSENT_REQUEST_IDENTIFIER, value: r.id }],
    status,
    intent: 'proposal',
    code: { coding: [{ system: TASK_CODE_SYSTEM, code: 'approve', display: 'Activate/approve the focal resource' }] },
    contained: [proposedConsent(r, patient, 'proposed')],
    focus: { reference: '#consent' },
    for: { reference: patient },
    authoredOn: r.authoredOn,
    lastModified,
    requester: org(r.requesterClinicId, r.requesterName),
    reasonCode: { coding: [{ system: ACT_REASON_SYSTEM, code: r.purpose, display: REQUEST_PURPOSES[r.purpose] }] },
    restriction: { period: r.period },
    ...(r.note ? { note: [{ text: r.note }] } : {}),
  };
}

/** The requester's Task: the handle, the status, what it asked; nothing about who holds the records. */
export function requesterTask(r: StoredConsentRequest): Task {
  return baseTask(r, r.id, r.status, `Patient/${r.handle}`, r.lastModified);
}

/** A home clinic's Task: addressed to it, about its own Patient record, with its decision and the Consent it made. */
export function homeTask(r: StoredConsentRequest, h: HomeView): Task {
  const t = baseTask(r, h.taskId, h.status, `Patient/${h.patientIds[0]}`, h.lastModified);
  t.owner = org(h.clinicId);
  if (h.reason) t.statusReason = { text: h.reason };
  if (h.consentIds.length) t.output = h.consentIds.map((id) => ({ type: { text: 'Consent' }, valueReference: { reference: `Consent/${id}` } }));
  return t;
}

/** A home clinic's Task id: the request id and a tag of the clinic, so a Task id names its request and its owner. */
export const homeTaskId = (requestId: string, clinicId: string): string => `${requestId}.${homeClinicTag(requestId, clinicId)}`;
export const homeClinicTag = (requestId: string, clinicId: string): string =>
  createHash('sha256').update(`consent-request-home:${requestId}:${clinicId}`).digest('hex').slice(0, 12);
export function parseHomeTaskId(id: string): { requestId: string; clinicTag: string } | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{12})$/.exec(id);
  return m ? { requestId: m[1], clinicTag: m[2] } : null;
}

/** The source id of the Consent an approval stores for one of the home clinic's patient records (stable: a retry replays). */
export const approvalConsentId = (requestId: string, index: number): string => `cr-${requestId}-${index}`;

/**
 * The transaction Bundle an approval pushes as the home clinic: one active permit Consent per own patient record,
 * naming the requester for the requested period: exactly what the clinic would post itself (README "Consent and
 * break-glass"), so consent-rules grants it. No narrowing element, no purpose (a provision purpose fails closed).
 * A revocation pushes the same Consents `inactive` (the same ids: new versions of them), which grants nothing.
 */
export function approvalBundle(r: StoredConsentRequest, patientIds: string[], status: 'active' | 'inactive' = 'active'): Json {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: patientIds.map((patientId, i) => {
      const id = approvalConsentId(r.id, i);
      const c = proposedConsent(r, `Patient/${patientId}`, status);
      return {
        resource: { ...c, id, identifier: [{ system: CONSENT_REQUEST_IDENTIFIER, value: r.id }] },
        request: { method: 'PUT', url: `Consent/${id}` },
      };
    }),
  };
}

/**
 * The requester's status from the home clinics' (R4 task state machine): any accepted → accepted; once all have
 * decided and none accepts, cancelled if an approval was revoked, else rejected; otherwise requested (waiting).
 */
export function requesterStatus(homeStatuses: RequestStatus[]): RequestStatus {
  if (homeStatuses.includes('accepted')) return 'accepted';
  if (!homeStatuses.length || homeStatuses.includes('requested')) return 'requested';
  return homeStatuses.includes('cancelled') ? 'cancelled' : 'rejected';
}
