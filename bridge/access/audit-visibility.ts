/**
 * Who may see which audit entries, and what of them (pure policy; the facts come from the store).
 *
 * Linking identifies; it never authorizes. A clinic sees the entries of its own actions (it is the agent) and of
 * accesses to records it holds (the entry names one of its patient records); holding a record linked to the same
 * person gives no right over other clinics' records or their entries. Of an entry it may see, a clinic is shown only
 * its own patient records, never the internal person id, and another clinic only as the agent of an access to the
 * caller's records (the home clinic must see who read its patient). The patient (next issue) sees every entry about
 * them: the `patient` viewer is that hook; no endpoint serves it yet.
 * The rendering follows FHIR R4 AuditEvent (auditevent.html) and IHE BALP's rule that the patient entity names the
 * subject as the reader knows it.
 */
import type { StoredAudit } from '../model/audit';
import { UUID_PATTERN } from '../model/ids';

export type AuditViewer =
  /** A clinic, with which of the entry's patient ids are its own records (store: clinicPatientsAmong). */
  | { kind: 'clinic'; clinicId: string; ownPatientIds: ReadonlySet<string> }
  /** The person themself (SMART patient launch, next issue): every record of theirs and their person id. */
  | { kind: 'patient'; personId: string; patientIds: ReadonlySet<string> };

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
}

export const REDACTED = '[redacted]';

/** Whether `viewer` may see the entry at all, and on which ground (null: it may not, and must not learn it exists). */
export function auditVisibility(viewer: AuditViewer, entry: Pick<StoredAudit, 'clinicId' | 'personId' | 'patientIds'>): AuditVisibility | null {
  if (viewer.kind === 'clinic') {
    if (entry.clinicId === viewer.clinicId) return 'agent';
    return entry.patientIds.some((id) => viewer.ownPatientIds.has(id)) ? 'holder' : null;
  }
  if (entry.personId === viewer.personId || entry.patientIds.some((id) => viewer.patientIds.has(id))) return 'subject';
  return null;
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
  const personId = viewer.kind === 'patient' ? entry.personId : null;
  const hidden = new Set(
    [...entry.patientIds.filter((id) => !mine.has(id)), ...(personId ? [] : entry.personId ? [entry.personId] : [])].map((id) => id.toLowerCase()),
  );
  // An admin's decisions (link, unlink) name persons in their detail: a clinic sees that they happened, not whom they merged.
  const everyId = viewer.kind === 'clinic' && entry.clinicId === null;
  return { patientIds, personId, agentClinicId: entry.clinicId, detail: redactDetail(entry.detail, hidden, everyId) };
}

/** Whether a view shows the whole entry (so its hashed document, `$record`, may be served as it is). */
export function shownWhole(entry: StoredAudit, shown: AuditShown): boolean {
  return shown.patientIds.length === entry.patientIds.length && shown.detail === entry.detail && shown.agentClinicId === entry.clinicId;
}

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
