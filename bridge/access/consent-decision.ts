/**
 * A home clinic's decision on a consent request, applied inside one transaction: the decision row, the requester's
 * Task status (R4 task.html state machine: accepted once any home clinic accepted, rejected once all declined), the
 * notifications of both sides' Subscriptions (outbox) and the audit record. An approval runs it inside the push of its
 * Consent (bridge/ingest/push.ts, `PushOptions.consentDecision`), so the Consent, the state change, the outbox and the
 * audit commit together or not at all. Its input is plain data: it crosses to an ingest worker thread.
 */
import { homeTaskId, requesterStatus } from '../fhir/consent-request';
import { outcomes } from '../fhir/outcome';
import { audit } from './audit';
import { homeStatuses, lockRequest, recordDecision, setRequestStatus } from '../store/consent-requests';
import type { Tx } from '../store/db';
import { enqueueNotifications } from '../store/subscriptions';
import type { AuditRecord } from './types';

export interface ConsentDecisionStep {
  requestId: string;
  /** The deciding home clinic. */
  clinicId: string;
  /** accepted (approve), rejected (decline), cancelled (revoke an approval). */
  status: 'accepted' | 'rejected' | 'cancelled';
  reason: string | null;
  audit: AuditRecord;
}

/** Applies `step` in `tx`; `consentIds`: the Consents the approval stored. 409 when the clinic had decided already. */
export async function applyConsentDecision(tx: Tx, step: ConsentDecisionStep, consentIds: string[]): Promise<void> {
  const request = await lockRequest(tx, step.requestId);
  if (!request) throw outcomes.notFound(`Task/${homeTaskId(step.requestId, step.clinicId)} is not known`);
  const applied = await recordDecision(tx, { requestId: step.requestId, clinicId: step.clinicId, status: step.status, reason: step.reason, consentIds });
  if (!applied)
    throw outcomes.conflict(
      step.status === 'cancelled' ? 'this clinic has no approval of this request to revoke' : 'this clinic has already decided on this request',
    );
  await enqueueNotifications(tx, step.clinicId, homeTaskId(request.id, step.clinicId), step.status);
  const next = requesterStatus(await homeStatuses(tx, request));
  if (next !== request.status) {
    await setRequestStatus(tx, request.id, next);
    await enqueueNotifications(tx, request.requesterClinicId, request.id, next);
  }
  await audit(tx, { ...step.audit, detail: `${step.audit.detail ?? ''}${consentIds.length ? ` Consent/${consentIds.join(', Consent/')}` : ''}`.trim() });
}
