/**
 * The audit trail as FHIR AuditEvents, read as a session. What a clinic may see, and how much of it, is decided by
 * access/audit-visibility.ts (its own actions, accesses to records it holds; redacted for it). Anything else answers
 * exactly as an unknown id does (404), so the trail is no oracle for which ids are patients elsewhere. Refusals are
 * audited, and so is every granted search and read.
 */
import { outcomes, type FhirError } from '../fhir/outcome';
import { isBridgeId } from '../model/ids';
import { readAudit, readAuditDocument, searchAudit } from '../store/audit';
import { clinicPatientsAmong, findPatientPerson } from '../store/person-links';
import { audit, StoredAudit } from './audit';
import { auditView, mayListAuditOf, shownWhole, type AuditShown, type AuditViewer } from './audit-visibility';
import { auditRefusal } from './person-access';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

/** The one answer for an id the caller may not see and an id that names nothing (no oracle). */
const notKnown = (what: string): FhirError => outcomes.notFound(`${what} is not known`);

/** The viewer a clinic's session reads the trail as, with which of `patientIds` it holds. */
async function clinicViewer(svc: AccessServices, clinicId: string, patientIds: string[]): Promise<AuditViewer> {
  return { kind: 'clinic', clinicId, ownPatientIds: await clinicPatientsAmong(svc.db, clinicId, patientIds) };
}

export interface ShownAudit {
  audit: StoredAudit;
  shown: AuditShown;
}

/** One page of the audit entries about the caller's own record `patientId`, each with what the caller is shown. */
export async function searchAuditTrail(
  svc: AccessServices,
  session: Session,
  patientId: string,
  count: number,
  offset: number,
): Promise<{ rows: ShownAudit[]; hasMore: boolean }> {
  const clinicId = actingClinic(session);
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
  if (!doc || found.outcome === 'refused' || !shownWhole(found, shown) || (found.personId && doc.includes(found.personId))) {
    throw outcomes.forbidden(`the hashed record of AuditEvent/${found.id} names what this clinic is not shown`);
  }
  return doc;
}
