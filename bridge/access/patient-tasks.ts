/**
 * Consent requests as their patient sees and decides them (FHIR R4 Task, see fhir/consent-request.ts):
 *   GET /fhir/Task (patient token): requests about the person, as Tasks `for` the patient's own record, `requester` the
 *   asking clinic, status the patient's decision (else the request's);
 *   POST /fhir/Task/{id}/$approve | $decline (patient token). An approval creates a patient-authored Consent naming the
 *   requester for the period asked: everything, or everything but the sensitivity codes given as Parameters
 *   `withhold` (valueCode, repeated; e.g. ETH, MH, SEX). The requester's Task becomes accepted (or rejected) and its
 *   Subscriptions are notified, in the same transaction as the Consent and the audit record.
 * A request about another person is unknown (404), and a decided one is 409.
 */
import type { Task } from '@medplum/fhirtypes';
import { baseTask } from '../fhir/consent-request';
import { outcomes } from '../fhir/outcome';
import { approvalConsentBody, parsePatientConsent } from '../fhir/patient-consent';
import { recordPatientDecision, requestAboutPerson, requestsAboutPerson, type PatientRequestRow } from '../store/consent-requests';
import { inTransaction, type Db } from '../store/db';
import { enqueueNotifications } from '../store/subscriptions';
import { audit } from './audit';
import { auditedAs } from './reader';
import { storePatientConsentIn } from './patient-consents';
import { actingPatient, type PatientPrincipal, type Session } from './session';

function patientView(r: PatientRequestRow, p: PatientPrincipal): Task {
  const status = r.patientStatus ?? r.status;
  const t = baseTask({ ...r }, r.id, status, `Patient/${p.patientId}`, r.patientDecidedAt ?? r.lastModified);
  if (r.patientConsentId) t.output = [{ type: { text: 'Consent' }, valueReference: { reference: `Consent/${r.patientConsentId}` } }];
  return t;
}

export async function patientTasks(
  db: Db,
  session: Session,
  f: { ids?: string[]; count: number; offset: number },
): Promise<{ tasks: Task[]; hasMore: boolean }> {
  const p = actingPatient(session);
  const rows = await requestsAboutPerson(db, p.personId, f);
  return { tasks: rows.slice(0, f.count).map((r) => patientView(r, p)), hasMore: rows.length > f.count };
}

export async function patientTask(db: Db, session: Session, id: string): Promise<Task | null> {
  const p = actingPatient(session);
  const row = await requestAboutPerson(db, p.personId, id);
  return row ? patientView(row, p) : null;
}

/** The patient's decision on request `id`; `withhold`: sensitivity codes the Consent of an approval denies. */
export async function decidePatientTask(
  db: Db,
  session: Session,
  id: string,
  status: 'accepted' | 'rejected',
  opts: { withhold: string[]; reason: string | null },
): Promise<Task> {
  const p = actingPatient(session);
  return inTransaction(db, async (tx) => {
    const r = await requestAboutPerson(tx, p.personId, id, true);
    if (!r) throw outcomes.notFound(`Task/${id} is not known`);
    if (r.patientStatus || r.status !== 'requested') throw outcomes.conflict(`Task/${id} is ${r.patientStatus ?? r.status}: decided already`);
    let consentId: string | null = null;
    if (status === 'accepted') {
      const input = parsePatientConsent(approvalConsentBody(p.patientId, r.requesterClinicId, r.period, opts.withhold), 'create');
      consentId = (await storePatientConsentIn(tx, p, input, `granted on Task/${id}`)).id!;
    }
    await recordPatientDecision(tx, id, status, consentId);
    await enqueueNotifications(tx, r.requesterClinicId, id, status);
    await audit(tx, {
      ...auditedAs(p),
      action: 'consent-decision',
      outcome: 'success',
      personId: p.personId,
      patientIds: [p.patientId],
      purpose: r.purpose,
      detail: `Task/${id} ${status === 'accepted' ? 'approved' : 'declined'} for Organization/${r.requesterClinicId}${consentId ? ` Consent/${consentId}` : ''}${opts.reason ? `: ${opts.reason}` : ''}`,
    });
    return patientView((await requestAboutPerson(tx, p.personId, id))!, p);
  });
}
