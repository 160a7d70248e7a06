import type { AuditEvent, AuditEventEntity, CodeableConcept, Coding, Extension } from '@medplum/fhirtypes';
import type { StoredAudit } from '../model/audit';

/** What of the entry to show (decided by access/audit-visibility.ts; the structural type keeps fhir/ free of access/). */
export interface AuditEventShown {
  patientIds: string[];
  personId: string | null;
  agentClinicId: string | null;
  detail: string | null;
  /** The agent as the viewer is told it (a clinic by name, "you", "the patient", a link recipient); else by agentClinicId. */
  agentWho?: { reference?: string; display: string };
  /** The agent is the patient (AuditEvent.agent.role: v3 RoleClass PAT). */
  agentIsPatient?: boolean;
}

/**
 * Where the entry stands in the anchored log, as the `audit-anchor` extension carries it: `pending` (not yet in a
 * batch whose root is confirmed on chain) or `anchored` (with the batch and the chain transaction). The receipt itself
 * is `GET /anchors/audit/{hash}` (the `receipt` sub-extension's URL), the hashed document `AuditEvent/{id}/$record`.
 */
export type AuditAnchorState =
  | { status: 'pending'; receiptUrl: string; recordUrl?: string }
  | {
      status: 'anchored';
      receiptUrl: string;
      recordUrl?: string;
      batchId: string;
      chainId: number;
      contract: string;
      txHash: string;
      blockNumber: number;
      blockTime: string | null;
    };

/** Identifier system of bridge person ids (also a person-wide identifier system, see config). */
export const PERSON_SYSTEM = 'https://fhir-anchor-bridge.dev/person';
export const AUDIT_ACTION_SYSTEM = 'https://fhir-anchor-bridge.dev/CodeSystem/audit-action';
export const AUDIT_HASH_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-hash';
/** Complex extension: the entry's anchoring state (sub-extensions status, receipt, record, batch, chainId, contract, transaction, block, blockTime). */
export const AUDIT_ANCHOR_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-anchor';

/**
 * Complex extension: the entry's place in the hash chain of the audit entries about one person (issue 11):
 * `seq` (1-based), `prev` (commitment of the previous entry, absent for the first; both absent for an entry about no
 * single person, which is logged but in no chain) and `status`: `queued` (recorded,
 * not yet a log leaf), `logged` (in a signed checkpoint) or `anchored` (in a checkpoint anchored on chain).
 */
export const AUDIT_CHAIN_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-chain';

export interface AuditChainState {
  seq: number | null;
  prev: string | null;
  status: 'queued' | 'logged' | 'anchored';
}

export function auditChainExtension(c: AuditChainState): Extension {
  return {
    url: AUDIT_CHAIN_EXTENSION,
    extension: [
      { url: 'status', valueCode: c.status },
      ...(c.seq !== null ? [{ url: 'seq', valueInteger: c.seq }] : []),
      ...(c.prev ? [{ url: 'prev', valueString: c.prev }] : []),
    ],
  };
}

/** The `audit-anchor` extension of an entry (FHIR R4 extensibility: a complex extension of simple sub-extensions). */
export function auditAnchorExtension(state: AuditAnchorState): Extension {
  const sub: Extension[] = [
    { url: 'status', valueCode: state.status },
    { url: 'receipt', valueUrl: state.receiptUrl },
    ...(state.recordUrl ? [{ url: 'record', valueUrl: state.recordUrl }] : []),
  ];
  if (state.status === 'anchored') {
    sub.push(
      { url: 'batch', valueString: state.batchId },
      { url: 'chainId', valueInteger: state.chainId },
      { url: 'contract', valueString: state.contract },
      { url: 'transaction', valueString: state.txHash },
      { url: 'block', valueInteger: state.blockNumber },
      ...(state.blockTime ? [{ url: 'blockTime', valueInstant: state.blockTime }] : []),
    );
  }
  return { url: AUDIT_ANCHOR_EXTENSION, extension: sub };
}

const REST = 'http://hl7.org/fhir/restful-interaction';
const INTERACTION: Record<StoredAudit['action'], string> = {
  push: 'transaction',
  read: 'read',
  history: 'history-instance',
  search: 'search-type',
  everything: 'operation',
  summary: 'operation',
  export: 'operation',
  refused: 'read',
  link: 'update',
  unlink: 'update',
  'reject-link': 'update',
  'key-rotate': 'update',
  'key-revoke': 'update',
  'break-glass-enable': 'update',
  'break-glass-disable': 'update',
  match: 'operation',
  'consent-request': 'create',
  'consent-decision': 'operation',
  consent: 'update',
  'enrolment-code': 'operation',
  'app-register': 'create',
};
const ACTION: Record<StoredAudit['action'], AuditEvent['action']> = {
  push: 'C',
  read: 'R',
  history: 'R',
  search: 'E',
  everything: 'E',
  summary: 'E',
  export: 'E',
  refused: 'R',
  link: 'U',
  unlink: 'U',
  'reject-link': 'U',
  'key-rotate': 'U',
  'key-revoke': 'U',
  'break-glass-enable': 'U',
  'break-glass-disable': 'U',
  match: 'E',
  'consent-request': 'C',
  'consent-decision': 'U',
  consent: 'U',
  'enrolment-code': 'C',
  'app-register': 'C',
};
const OUTCOME: Record<StoredAudit['outcome'], AuditEvent['outcome']> = { success: '0', refused: '4', error: '8' };

/** Break-the-glass, from HL7 v3 ActReason: the FHIR way to flag emergency access. */
export const BREAK_GLASS: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'BTG', display: 'break the glass' };

/**
 * A break-glass read's purposeOfEvent: BTG, plus the v3 ActReason purpose of use it was stored with (`CODE: reason`),
 * the reason as text.
 */
function breakGlassPurposeOfEvent(stored: string | null): CodeableConcept {
  const m = /^(ETREAT|ERTREAT|BTG): ([\s\S]*)$/.exec(stored ?? '');
  if (!m) return { coding: [BREAK_GLASS], text: stored ?? undefined };
  const coded = m[1] === BREAK_GLASS.code ? [] : [{ system: BREAK_GLASS.system, code: m[1] }];
  return { coding: [BREAK_GLASS, ...coded], text: m[2] };
}

const RECIPIENT: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' };
/** HL7 v3 RoleClass PAT: the agent is the patient themself. */
const PATIENT_ROLE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass', code: 'PAT', display: 'patient' };

/**
 * A stored audit record as a FHIR R4 AuditEvent (pure), showing only `shown`: the `patient` entities name the
 * reader's own records, the person entity appears only when the person id is shown. With `anchor`, the entry also
 * carries its anchoring state (the `audit-anchor` extension beside `audit-hash`).
 */
export function toAuditEvent(a: StoredAudit, shown: AuditEventShown, anchor?: AuditAnchorState, chain?: AuditChainState): AuditEvent {
  const purpose = a.breakGlass ? [breakGlassPurposeOfEvent(a.purpose)] : a.purpose ? [{ text: a.purpose }] : undefined;
  const entity: AuditEventEntity[] = shown.patientIds.map((id) => ({
    what: { reference: `Patient/${id}` },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  }));
  if (shown.personId) {
    entity.push({
      what: { identifier: { system: PERSON_SYSTEM, value: shown.personId } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
      ...(a.resourceTypes.length ? { detail: [{ type: 'resourceTypes', valueString: a.resourceTypes.join(',') }] } : {}),
    });
  } else if (a.resourceTypes.length) {
    entity.push({
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      detail: [{ type: 'resourceTypes', valueString: a.resourceTypes.join(',') }],
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: a.id,
    meta: { lastUpdated: a.recorded, ...(a.breakGlass ? { security: [BREAK_GLASS] } : {}) },
    extension: [
      { url: AUDIT_HASH_EXTENSION, valueString: a.hash },
      ...(anchor ? [auditAnchorExtension(anchor)] : []),
      ...(chain ? [auditChainExtension(chain)] : []),
    ],
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [
      { system: REST, code: INTERACTION[a.action] },
      { system: AUDIT_ACTION_SYSTEM, code: a.action },
    ],
    action: ACTION[a.action],
    recorded: a.recorded,
    outcome: OUTCOME[a.outcome],
    ...(shown.detail ? { outcomeDesc: shown.detail } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    agent: [
      {
        type: { coding: [RECIPIENT] },
        ...(shown.agentIsPatient ? { role: [{ coding: [PATIENT_ROLE] }] } : {}),
        who: shown.agentWho ?? (shown.agentClinicId ? { reference: `Organization/${shown.agentClinicId}` } : { display: 'bridge administrator' }),
        requestor: true,
        ...(purpose ? { purposeOfUse: purpose } : {}),
      },
    ],
    source: {
      observer: { display: 'fhir-anchor-bridge' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    ...(entity.length ? { entity } : {}),
  };
}
