/**
 * The audit trail as FHIR AuditEvents, read as a session: a person's trail (`AuditEvent?patient=`) for its home
 * clinics only (a clinic holding a record of that person), and one record for its agent or a home clinic of its
 * person. Refusals are audited, and so is every granted search and read.
 */
import { outcomes } from '../fhir/outcome';
import { readAudit, readAuditDocument, searchAudit } from '../store/audit';
import { personPatients } from '../store/person-links';
import { audit, StoredAudit } from './audit';
import { auditRefusal, evaluatePersonAccess } from './person-access';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

/** One page of the audit trail of the person behind `patientId`; 404 unknown, 403 (audited) for no home clinic. */
export async function searchAuditTrail(svc: AccessServices, session: Session, patientId: string, count: number, offset: number): Promise<{ rows: StoredAudit[]; hasMore: boolean }> {
  const clinicId = actingClinic(session);
  const evaluation = await evaluatePersonAccess(svc.db, clinicId, patientId);
  if (!evaluation) throw outcomes.notFound(`Patient/${patientId} is not known`);
  if (!evaluation.patients.some((p) => p.basis === 'own')) {
    await auditRefusal(svc.db, clinicId, evaluation.personId, [patientId], { action: 'search', resourceTypes: ['AuditEvent'] });
    throw outcomes.forbidden(`only a clinic holding a record of Patient/${patientId} reads its audit trail`);
  }
  const patientIds = evaluation.patients.map((p) => p.patientId);
  const page = await searchAudit(svc.db, evaluation.personId, patientIds, count, offset);
  await audit(svc.db, { clinicId, action: 'search', outcome: 'success', personId: evaluation.personId, patientIds: [patientId], resourceTypes: ['AuditEvent'] });
  return page;
}

/** An audit record the session may read (its agent, or a home clinic of its person); refusals are audited. */
export async function readAuditRecord(svc: AccessServices, session: Session, id: string): Promise<StoredAudit> {
  const clinicId = actingClinic(session);
  const found = /^[0-9a-f-]{36}$/i.test(id) ? await readAudit(svc.db, id) : null;
  if (!found) throw outcomes.notFound(`AuditEvent/${id} is not known`);
  const home = found.personId ? (await personPatients(svc.db, found.personId)).some((p) => p.clinicId === clinicId) : false;
  if (found.clinicId !== clinicId && !home) {
    await auditRefusal(svc.db, clinicId, found.personId, [], { action: 'read', resourceTypes: ['AuditEvent'] });
    throw outcomes.forbidden(`AuditEvent/${id} is readable by its agent and the person's home clinics`);
  }
  await audit(svc.db, { clinicId, action: 'read', outcome: 'success', personId: found.personId, resourceTypes: ['AuditEvent'] });
  return found;
}

/** The canonical JSON an audit record the session may read was hashed from (the document its receipt is for). */
export async function readAuditRecordDocument(svc: AccessServices, session: Session, id: string): Promise<string | null> {
  const found = await readAuditRecord(svc, session, id);
  return readAuditDocument(svc.db, found.id);
}
