/**
 * What patients are told: every break-glass access to their records (from the audit trail's one writer, access/audit.ts)
 * and every new consent request about them (access/consent-requests.ts). Each is a stored row served as a FHIR
 * Communication (GET /fhir/Communication with a patient token) and queued for the patient's own Subscriptions.
 */
import { randomUUID } from 'node:crypto';
import type { Communication } from '@medplum/fhirtypes';
import { communicationResource } from '../fhir/communication';
import { outcomes } from '../fhir/outcome';
import type { Db, Tx } from '../store/db';
import { clinicNameOf } from '../store/patient-consent';
import { insertPatientNotification, patientNotification, patientNotificationsOf } from '../store/patient-notifications';
import { findAccount } from '../store/patient-accounts';
import type { AuditRecord } from '../model/audit';
import { actingPatient, type Session } from './session';

/** Tells the person of a successful break-glass access (called by audit() for every such record). */
export async function notifyBreakGlass(db: Db | Tx, rec: AuditRecord, auditId: string): Promise<void> {
  if (!rec.personId || !rec.clinicId) return;
  const clinic = (await clinicNameOf(db, rec.clinicId)) ?? 'a clinic';
  const types = rec.resourceTypes?.length ? ` (${rec.resourceTypes.join(', ')})` : '';
  await insertPatientNotification(db, {
    id: randomUUID(),
    personId: rec.personId,
    patientIds: rec.patientIds ?? [],
    category: 'break-glass',
    message: `${clinic} read your records${types} in an emergency without your consent (break-glass). Reason given: ${rec.purpose ?? 'none'}`,
    about: `AuditEvent/${auditId}`,
  });
}

/** Tells the person that `requesterName` asks for their consent (inside the request's transaction). */
export async function notifyConsentRequest(
  tx: Tx,
  r: { personId: string; patientIds: string[]; requestId: string; requesterName: string; purpose: string; period: { start: string; end: string } },
): Promise<void> {
  await insertPatientNotification(tx, {
    id: randomUUID(),
    personId: r.personId,
    patientIds: r.patientIds,
    category: 'consent-request',
    message: `${r.requesterName} asks for your consent to read your records (purpose ${r.purpose}) from ${r.period.start} to ${r.period.end}. Approve or decline it.`,
    about: `Task/${r.requestId}`,
  });
}

/** The patient's notifications as Communications, newest first. */
export async function patientCommunications(db: Db, session: Session, count: number, offset: number): Promise<{ items: Communication[]; hasMore: boolean }> {
  const p = actingPatient(session);
  const rows = await patientNotificationsOf(db, p.personId, count, offset);
  return { items: rows.slice(0, count).map((n) => communicationResource(n, p.patientId)), hasMore: rows.length > count };
}

/** A notification as the account's Subscription receives it now; null when it is no longer about the account's person. */
export async function communicationAsSeenBy(db: Db, accountId: string, id: string): Promise<Communication | null> {
  const [account, n] = await Promise.all([findAccount(db, accountId), patientNotification(db, id)]);
  if (!account || !n || n.personId !== account.personId) return null;
  return communicationResource(n, account.patientId);
}

/** One of the patient's notifications; 404 for another person's, like an unknown id. */
export async function patientCommunication(db: Db, session: Session, id: string): Promise<Communication> {
  const p = actingPatient(session);
  const c = await communicationAsSeenBy(db, p.accountId, id);
  if (!c) throw outcomes.notFound(`Communication/${id} is not known`);
  return c;
}
