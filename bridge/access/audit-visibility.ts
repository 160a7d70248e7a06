/**
 * Who may see which audit entries, and what of them (pure policy; the facts come from the store).
 *
 * Linking identifies; it never authorizes. A clinic sees the entries of its own actions (it is the agent) and of
 * accesses to records it holds (the entry names one of its patient records); holding a record linked to the same
 * person gives no right over other clinics' records or their entries. Of an entry it may see, a clinic is shown only
 * its own patient records, never the internal person id, and another clinic only as the agent of an access to the
 * caller's records (the home clinic must see who read its patient).
 *
 * The patient (signed in, issue 10) sees every entry about their person (an entry naming any of their records, or
 * naming their person and no record: a refused pull by match handle) and every entry of their own account (their
 * reads, searches and refusals), whoever acted: clinics by name, themself as "you", a Health Link recipient by the
 * name they gave. Never the internal person id, never another person's record or id, nor a detail describing a
 * clinic's search over other people.
 *
 * What a clinic sees of a patient's own access to its records: the agent is "the patient" (its own Patient record,
 * never the account id), the action, types and outcome; no detail (a patient's counts span other clinics). A Health
 * Link opening of its records shows "a SMART Health Link recipient" (the name the patient's recipient gave is theirs).
 * The rendering follows FHIR R4 AuditEvent (auditevent.html) and IHE BALP's rule that the patient entity names the
 * subject as the reader knows it.
 */
import type { StoredAudit } from '../model/audit';
import { UUID_PATTERN } from '../model/ids';

export type AuditViewer =
  /** A clinic, with which of the entry's patient ids are its own records (store: clinicPatientsAmong). */
  | { kind: 'clinic'; clinicId: string; ownPatientIds: ReadonlySet<string> }
  /**
   * The person themself (SMART patient launch): their account, every record of theirs, their launch record (how "you"
   * is referenced), the person id (to find entries, never shown) and the names of the clinics (agents by name).
   */
  | {
      kind: 'patient';
      accountId: string;
      personId: string;
      patientId: string;
      patientIds: ReadonlySet<string>;
      clinicNames: ReadonlyMap<string, string>;
    };

/** Why a viewer may see an entry: it acted, it holds a record the entry is about, or the entry is about them. */
export type AuditVisibility = 'agent' | 'holder' | 'subject';

/** What of an entry a viewer is shown (fhir/audit-event.ts renders exactly this). */
export interface AuditShown {
  /** Patient records named in the `patient` entities. */
  patientIds: string[];
  /** The internal person id, or null: never for a clinic. */
  personId: string | null;
  /** The agent as a reference (`Organization/{id}`), or null for the bridge administrator. */
  agentClinicId: string | null;
  /** The outcome text, with every id the viewer may not see removed. */
  detail: string | null;
  /** How the agent is named when not by `agentClinicId` alone: a patient, a Health Link recipient, a clinic by name. */
  agentWho?: { reference?: string; display: string };
  /** The agent is the person themself (a patient entry), so the AuditEvent names it as a Patient. */
  agentIsPatient?: boolean;
}

export const REDACTED = '[redacted]';

/** Whether `viewer` may see the entry at all, and on which ground (null: it may not, and must not learn it exists). */
export function auditVisibility(
  viewer: AuditViewer,
  entry: Pick<StoredAudit, 'clinicId' | 'personId' | 'patientIds'> & Partial<Pick<StoredAudit, 'agent'>>,
): AuditVisibility | null {
  if (viewer.kind === 'clinic') {
    if (entry.clinicId === viewer.clinicId) return 'agent';
    return entry.patientIds.some((id) => viewer.ownPatientIds.has(id)) ? 'holder' : null;
  }
  if (entry.agent?.kind === 'patient' && entry.agent.accountId === viewer.accountId) return 'agent';
  // An entry naming records is about their persons: naming the person but none of their records, it is not theirs
  // (a record since unlinked to another person keeps its entries with it).
  if (entry.patientIds.some((id) => viewer.patientIds.has(id))) return 'subject';
  if (entry.personId === viewer.personId && entry.patientIds.length === 0) return 'subject';
  return null;
}

/** How a patient viewer is shown the agent of an entry. */
function agentForPatient(viewer: Extract<AuditViewer, { kind: 'patient' }>, entry: StoredAudit): Pick<AuditShown, 'agentWho' | 'agentIsPatient'> {
  if (entry.clinicId) return { agentWho: { reference: `Organization/${entry.clinicId}`, display: viewer.clinicNames.get(entry.clinicId) ?? 'a clinic' } };
  const a = entry.agent;
  if (a?.kind === 'patient') {
    return a.accountId === viewer.accountId
      ? { agentWho: { reference: `Patient/${viewer.patientId}`, display: 'you' }, agentIsPatient: true }
      : { agentWho: { display: 'another patient account' }, agentIsPatient: true };
  }
  if (a?.kind === 'health-link') return { agentWho: { display: `${a.recipient} (SMART Health Link recipient)` } };
  return {};
}

/** How a clinic viewer is shown a non-clinic agent: the patient as its own record, a link recipient without a name. */
function agentForClinic(entry: StoredAudit, shownPatientIds: string[]): Pick<AuditShown, 'agentWho' | 'agentIsPatient'> {
  const a = entry.agent;
  if (!a || entry.clinicId) return {};
  if (a.kind === 'patient') {
    return { agentWho: { ...(shownPatientIds[0] ? { reference: `Patient/${shownPatientIds[0]}` } : {}), display: 'the patient' }, agentIsPatient: true };
  }
  return { agentWho: { display: 'a SMART Health Link recipient' } };
}

/** The detail text without the ids in `hidden`, and, for an admin's entry, without any id (merged person ids). */
function redactDetail(detail: string | null, hidden: Set<string>, everyId: boolean): string | null {
  if (detail === null) return null;
  const uuids = new RegExp(UUID_PATTERN.source.slice(1, -1), 'gi');
  return detail.replace(uuids, (id) => (everyId || hidden.has(id.toLowerCase()) ? REDACTED : id));
}

/** What `viewer` is shown of an entry, or null when it may not see it. */
export function auditView(viewer: AuditViewer, entry: StoredAudit): AuditShown | null {
  const ground = auditVisibility(viewer, entry);
  if (!ground) return null;
  const mine = viewer.kind === 'clinic' ? viewer.ownPatientIds : viewer.patientIds;
  const patientIds = entry.patientIds.filter((id) => mine.has(id));
  // The person id is internal: shown to nobody (a patient knows their records; clinics never learn links).
  const personId = null;
  const hidden = new Set([...entry.patientIds.filter((id) => !mine.has(id)), ...(entry.personId ? [entry.personId] : [])].map((id) => id.toLowerCase()));
  if (viewer.kind === 'patient') {
    // A clinic's search naming other people's records too: its count describes them as well, so no detail.
    const othersNamed = patientIds.length < entry.patientIds.length;
    const detail = othersNamed ? null : redactDetail(entry.detail, hidden, entry.clinicId === null && !entry.agent);
    return { patientIds, personId, agentClinicId: entry.clinicId, detail, ...agentForPatient(viewer, entry) };
  }
  // An admin's decisions (link, unlink) name persons in their detail: a clinic sees that they happened, not whom they merged.
  const everyId = entry.clinicId === null;
  // A patient's or link recipient's access: its detail (counts) spans other clinics' records, so a clinic gets none.
  const detail = entry.agent ? null : redactDetail(entry.detail, hidden, everyId);
  return { patientIds, personId, agentClinicId: entry.clinicId, detail, ...agentForClinic(entry, patientIds) };
}

/** Whether a view shows the whole entry (so its hashed document, `$record`, may be served as it is). */
export function shownWhole(entry: StoredAudit, shown: AuditShown): boolean {
  return shown.patientIds.length === entry.patientIds.length && shown.detail === entry.detail && shown.agentClinicId === entry.clinicId;
}

/** Whether the hashed document (which names a non-clinic agent's account or link) may go to `viewer`: only to the patient. */
export const agentShownTo = (viewer: AuditViewer['kind'], entry: StoredAudit): boolean => !entry.agent || viewer === 'patient';

/** The view of the whole entry (the bridge's own use: tests, admin tooling). */
export const wholeView = (entry: StoredAudit): AuditShown => ({
  patientIds: entry.patientIds,
  personId: entry.personId,
  agentClinicId: entry.clinicId,
  detail: entry.detail,
});

/**
 * Whether `viewer` may list the audit trail of the patient record `patientId`: a clinic its own records only (a
 * record of the same person held elsewhere gives it nothing), the patient any record of theirs.
 */
export function mayListAuditOf(viewer: AuditViewer, patientId: string): boolean {
  return viewer.kind === 'clinic' ? viewer.ownPatientIds.has(patientId) : viewer.patientIds.has(patientId);
}
