/**
 * The audit trail as FHIR AuditEvents, read as a session. What a clinic may see, and how much of it, is decided by
 * access/audit-visibility.ts (its own actions, accesses to records it holds; redacted for it); a signed-in patient
 * reads their person's whole access log (every access by any clinic, their own, Health Link openings), each entry
 * with its anchoring state. Anything else answers exactly as an unknown id does (404), so the trail is no oracle for
 * which ids are patients elsewhere. Refusals are audited, and so is every granted search and read.
 */
import { outcomes, type FhirError } from '../fhir/outcome';
import { isBridgeId } from '../model/ids';
import type { AuditChainState } from '../fhir/audit-event';
import { auditChainStates } from '../store/audit-chain';
import { readAudit, readAuditDocument, readAuditWithAnchor, searchAudit, searchPersonAudit, type AuditAnchorRow } from '../store/audit';
import { listClinics } from '../store/clinics';
import { clinicPatientsAmong, findPatientPerson } from '../store/person-links';
import { audit, StoredAudit } from './audit';
import { agentShownTo, auditView, mayListAuditOf, shownWhole, type AuditShown, type AuditViewer } from './audit-visibility';
import { auditRefusal, ownPatientIds } from './person-access';
import { auditedAs, readerOf, type PatientReader } from './reader';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

export type { AuditAnchorRow } from '../store/audit';

/** The one answer for an id the caller may not see and an id that names nothing (no oracle). */
const notKnown = (what: string): FhirError => outcomes.notFound(`${what} is not known`);

/** The viewer a clinic's session reads the trail as, with which of `patientIds` it holds. */
async function clinicViewer(svc: AccessServices, clinicId: string, patientIds: string[]): Promise<AuditViewer> {
  return { kind: 'clinic', clinicId, ownPatientIds: await clinicPatientsAmong(svc.db, clinicId, patientIds) };
}

/** The viewer a patient reads their access log as: their account, records and the clinics' names. */
async function patientViewer(svc: AccessServices, reader: PatientReader): Promise<Extract<AuditViewer, { kind: 'patient' }>> {
  const [patientIds, clinics] = await Promise.all([ownPatientIds(svc.db, reader), listClinics(svc.db)]);
  return {
    kind: 'patient',
    accountId: reader.accountId,
    personId: reader.personId,
    patientId: reader.patientId,
    patientIds: new Set(patientIds),
    clinicNames: new Map(clinics.map((c) => [c.id, c.name])),
  };
}

export interface ShownAudit {
  audit: StoredAudit;
  shown: AuditShown;
  /** The entry's anchoring state: given to the patient (their access log carries its proof), not to clinics. */
  anchor?: AuditAnchorRow;
  /** The entry's place in the person's audit chain in the verifiable log: given to the patient, like `anchor`. */
  chain?: AuditChainState;
}

/** Chain states of the entries a patient is shown (one query). */
async function withChains(svc: AccessServices, rows: ShownAudit[]): Promise<ShownAudit[]> {
  const states = await auditChainStates(
    svc.db,
    rows.map((r) => r.audit.id),
  );
  return rows.map((r) => {
    const s = states.get(r.audit.id);
    const chain: AuditChainState = s
      ? { seq: s.seq, prev: s.prev, status: s.anchored ? 'anchored' : s.inCheckpoint ? 'logged' : 'queued' }
      : { seq: null, prev: null, status: 'queued' };
    return { ...r, chain };
  });
}

/**
 * One page of a signed-in patient's access log (every entry about their person, and of their own account), or of
 * the entries naming one of their records (`patientId`). Another person's id answers as an unknown one. Reading the
 * log is audited on their account and person, naming no record: it discloses no clinic's records, so no clinic is told.
 */
async function searchPatientAuditLog(
  svc: AccessServices,
  reader: PatientReader,
  patientId: string | undefined,
  count: number,
  offset: number,
  until?: string,
): Promise<{ rows: ShownAudit[]; hasMore: boolean }> {
  const viewer = await patientViewer(svc, reader);
  if (patientId !== undefined && !mayListAuditOf(viewer, patientId)) {
    await auditRefusal(svc.db, reader, null, [], { action: 'search', resourceTypes: ['AuditEvent'] });
    throw notKnown(`Patient/${patientId}`);
  }
  const q = {
    personId: reader.personId,
    patientIds: [...viewer.patientIds],
    accountId: reader.accountId,
    ...(patientId ? { patientId } : {}),
    ...(until ? { until } : {}),
  };
  const { rows, hasMore } = await searchPersonAudit(svc.db, q, count, offset);
  await audit(svc.db, { ...auditedAs(reader), action: 'search', outcome: 'success', personId: reader.personId, resourceTypes: ['AuditEvent'] });
  return {
    rows: await withChains(
      svc,
      rows.flatMap(({ audit: a, anchor }) => {
        const shown = auditView(viewer, a);
        return shown ? [{ audit: a, shown, anchor }] : [];
      }),
    ),
    hasMore,
  };
}

/**
 * One page of the audit entries a session may list: for a clinic, those about its own record `patientId` (required);
 * for a patient, their access log (`patientId`, optional, narrows it to one record of theirs). Each with what the
 * caller is shown.
 */
export async function searchAuditTrail(
  svc: AccessServices,
  session: Session,
  patientId: string | undefined,
  count: number,
  offset: number,
  /** Patients only: entries recorded at or before this instant (`_lastUpdated=le…`, the snapshot paging links carry). */
  until?: string,
): Promise<{ rows: ShownAudit[]; hasMore: boolean }> {
  const reader = readerOf(session);
  if (reader.kind === 'patient') return searchPatientAuditLog(svc, reader, patientId, count, offset, until);
  const clinicId = reader.clinicId;
  if (patientId === undefined) throw outcomes.required('the parameter patient is required: AuditEvent search needs patient=Patient/{id}', 'patient');
  if (!mayListAuditOf(await clinicViewer(svc, clinicId, [patientId]), patientId)) {
    const known = await findPatientPerson(svc.db, patientId);
    // An unknown id is audited as the same refusal, without ids (no oracle in the caller's own trail).
    await auditRefusal(svc.db, clinicId, known?.personId ?? null, known ? [patientId] : [], { action: 'search', resourceTypes: ['AuditEvent'] });
    throw notKnown(`Patient/${patientId}`);
  }
  const { rows, hasMore } = await searchAudit(svc.db, null, [patientId], count, offset);
  const viewer = await clinicViewer(
    svc,
    clinicId,
    rows.flatMap((a) => a.patientIds),
  );
  await audit(svc.db, { clinicId, action: 'search', outcome: 'success', patientIds: [patientId], resourceTypes: ['AuditEvent'] });
  return {
    rows: rows.flatMap((a) => {
      const shown = auditView(viewer, a);
      return shown ? [{ audit: a, shown }] : [];
    }),
    hasMore,
  };
}

/** An audit record the session may see, with what it is shown; anything else is audited and answered as unknown. */
export async function readAuditRecord(svc: AccessServices, session: Session, id: string): Promise<ShownAudit> {
  const reader = readerOf(session);
  if (reader.kind === 'patient') {
    const found = isBridgeId(id) ? await readAuditWithAnchor(svc.db, id) : null;
    const viewer = await patientViewer(svc, reader);
    const shown = found && auditView(viewer, found.audit);
    if (!found || !shown) {
      await auditRefusal(svc.db, reader, null, [], { action: 'read', resourceTypes: ['AuditEvent'] });
      throw notKnown(`AuditEvent/${id}`);
    }
    await audit(svc.db, { ...auditedAs(reader), action: 'read', outcome: 'success', personId: reader.personId, resourceTypes: ['AuditEvent'] });
    return (await withChains(svc, [{ audit: found.audit, shown, anchor: found.anchor }]))[0];
  }
  const clinicId = actingClinic(session);
  const found = isBridgeId(id) ? await readAudit(svc.db, id) : null;
  const shown = found && auditView(await clinicViewer(svc, clinicId, found.patientIds), found);
  if (!found || !shown) {
    await auditRefusal(svc.db, clinicId, found?.personId ?? null, [], { action: 'read', resourceTypes: ['AuditEvent'] });
    throw notKnown(`AuditEvent/${id}`);
  }
  await audit(svc.db, { clinicId, action: 'read', outcome: 'success', patientIds: shown.patientIds, resourceTypes: ['AuditEvent'] });
  return { audit: found, shown };
}

/**
 * The canonical JSON an audit record was hashed from (the document its receipt is for), served only when it names
 * nothing the caller is not shown (records of older versions may carry the person id), and never for a refusal: a
 * refusal of another clinic's record names ids the caller is not shown, so serving the document of an unknown id's
 * refusal (which names none) would tell the two apart.
 */
export async function readAuditRecordDocument(svc: AccessServices, session: Session, id: string): Promise<string> {
  const { audit: found, shown } = await readAuditRecord(svc, session, id);
  const doc = await readAuditDocument(svc.db, found.id);
  const kind = session.principal.kind === 'patient' ? 'patient' : 'clinic';
  if (!doc || found.outcome === 'refused' || !shownWhole(found, shown) || !agentShownTo(kind, found) || (found.personId && doc.includes(found.personId))) {
    throw outcomes.forbidden(`the hashed record of AuditEvent/${found.id} names what this ${kind === 'patient' ? 'reader' : 'clinic'} is not shown`);
  }
  return doc;
}
