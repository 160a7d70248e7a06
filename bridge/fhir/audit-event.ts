import type { AuditEvent, AuditEventEntity, CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { StoredAudit } from '../model/audit';

/** What of the entry to show (decided by access/audit-visibility.ts; the structural type keeps fhir/ free of access/). */
export interface AuditEventShown {
  patientIds: string[];
  personId: string | null;
  agentClinicId: string | null;
  detail: string | null;
}

/** Identifier system of bridge person ids (also a person-wide identifier system, see config). */
export const PERSON_SYSTEM = 'https://fhir-anchor-bridge.dev/person';
export const AUDIT_ACTION_SYSTEM = 'https://fhir-anchor-bridge.dev/CodeSystem/audit-action';
export const AUDIT_HASH_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/audit-hash';

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

/**
 * A stored audit record as a FHIR R4 AuditEvent (pure), showing only `shown`: the `patient` entities name the
 * reader's own records, the person entity appears only when the person id is shown.
 */
export function toAuditEvent(a: StoredAudit, shown: AuditEventShown): AuditEvent {
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
    extension: [{ url: AUDIT_HASH_EXTENSION, valueString: a.hash }],
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
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
        who: shown.agentClinicId ? { reference: `Organization/${shown.agentClinicId}` } : { display: 'bridge administrator' },
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
