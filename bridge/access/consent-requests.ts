/**
 * Who may ask, see and decide consent requests (FHIR R4 Task, see fhir/consent-request.ts), and the audit of each step.
 * - A clinic asks about a $match handle issued to it; an unknown, expired or other clinic's handle is one 404.
 * - Every home clinic (holding a record of the person behind the handle, found at use time) sees its own Task about
 *   its own record; nothing about the other home clinics. The requester sees its Task with the handle and the status only.
 * - A home clinic approves (an active Consent pushed on its behalf, like one it posts itself) or declines.
 */
import { randomUUID } from 'node:crypto';
import type { Task } from '@medplum/fhirtypes';
import {
  approvalBundle,
  homeTask,
  homeTaskId,
  homeClinicTag,
  parseConsentRequest,
  parseHomeTaskId,
  requesterTask,
  type StoredConsentRequest,
} from '../fhir/consent-request';
import { outcomes } from '../fhir/outcome';
import { audit } from './audit';
import { homeClinicsOf, homeRequests, insertConsentRequest, requestOf, requestsOf, type ConsentRequestRow, type HomeRow } from '../store/consent-requests';
import { inTransaction, type Db } from '../store/db';
import { extendMatchHandle, resolveMatchHandle } from '../store/match-handles';
import { findPatientPerson } from '../store/person-links';
import { personsOf } from '../store/persons';
import { enqueueNotifications } from '../store/subscriptions';
import { applyConsentDecision, type ConsentDecisionStep } from './consent-decision';
import { notifyConsentRequest } from './patient-notifications';
import { sessionClinicId, type Session } from './session';

/** Longest period a request may ask for (CONSENT_REQUEST_MAX_DAYS). */
export const DEFAULT_MAX_REQUEST_DAYS = 365;

/** Pushes a bundle as `clinicId` with a decision applied in its transaction (the ingest pool, bound by the route). */
export type PushWithDecision = (clinicId: string, bundleText: string, step: ConsentDecisionStep) => Promise<unknown>;

function clinicOf(session: Session): string {
  const id = sessionClinicId(session);
  if (!id) throw outcomes.forbidden('consent requests are made and decided by clinics');
  return id;
}

const stored = (r: ConsentRequestRow): StoredConsentRequest => ({ ...r });
const homeView = (h: HomeRow) => ({
  taskId: homeTaskId(h.request.id, h.clinicId),
  clinicId: h.clinicId,
  patientIds: h.patientIds,
  status: h.status,
  reason: h.reason,
  consentIds: h.consentIds,
  lastModified: h.decidedAt ?? h.request.authoredOn,
});
const unknownTask = (id: string) => outcomes.notFound(`Task/${id} is not known`);

/** Creates a request from the posted Task; answers the requester's Task. Notifies the home clinics' Subscriptions. */
export async function createConsentRequest(db: Db, session: Session, body: unknown, opts: { maxDays?: number; now?: Date } = {}): Promise<Task> {
  const clinicId = clinicOf(session);
  const input = parseConsentRequest(body, clinicId, { maxDays: opts.maxDays ?? DEFAULT_MAX_REQUEST_DAYS, now: opts.now ?? new Date() });
  const handle = await resolveMatchHandle(db, clinicId, input.handle);
  // Unknown, expired and another clinic's handle answer alike (a handle cannot be probed); the refusal is audited.
  if (!handle) {
    await audit(db, { clinicId, action: 'refused', outcome: 'refused', purpose: input.purpose, detail: 'consent-request refused: unknown handle' });
    throw outcomes.notFound(`Patient/${input.handle} is not known`, 'Task.for');
  }
  const id = randomUUID();
  await inTransaction(db, async (tx) => {
    await insertConsentRequest(tx, {
      id,
      requesterClinicId: clinicId,
      handle: input.handle,
      patientIds: handle.patientIds,
      purpose: input.purpose,
      period: input.period,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      note: input.note,
    });
    // The handle stays usable for the period asked: an approved requester pulls with it.
    await extendMatchHandle(tx, input.handle, new Date(input.periodEnd));
    for (const home of await homeClinicsOf(tx, handle.patientIds, clinicId)) await enqueueNotifications(tx, home, homeTaskId(id, home), 'requested');
    await enqueueNotifications(tx, clinicId, id, 'requested');
    const persons = await personsOf(tx, handle.patientIds);
    // The patient is told too (their portal, their app's Subscription): a request about them is never silent.
    for (const personId of persons)
      await notifyConsentRequest(tx, {
        personId,
        patientIds: handle.patientIds,
        requestId: id,
        requesterName: session.principal.kind === 'clinic' ? session.principal.clinicName : 'a clinic',
        purpose: input.purpose,
        period: input.period,
      });
    await audit(tx, {
      clinicId,
      action: 'consent-request',
      outcome: 'success',
      personId: persons.length === 1 ? persons[0] : null,
      patientIds: handle.patientIds,
      purpose: input.purpose,
      detail: `Task/${id} requested ${input.period.start}..${input.period.end}`,
    });
  });
  const row = await requestOf(db, clinicId, id);
  return requesterTask(stored(row!));
}

/** A home clinic's side of one request, by its Task id, or null when that Task is not the clinic's. */
async function homeSide(db: Db, clinicId: string, taskId: string): Promise<HomeRow | null> {
  const parsed = parseHomeTaskId(taskId);
  if (!parsed || parsed.clinicTag !== homeClinicTag(parsed.requestId, clinicId)) return null;
  return (await homeRequests(db, clinicId, { requestIds: [parsed.requestId], count: 1, offset: 0 }))[0] ?? null;
}

/** The Task `id` as the session's clinic sees it (its own request, or one addressed to it), else null. */
export async function readTask(db: Db, session: Session, id: string): Promise<Task | null> {
  return taskAsSeenBy(db, clinicOf(session), id);
}

/** As readTask, for a clinic id (the notifier renders each notification as its subscriber sees the Task now). */
export async function taskAsSeenBy(db: Db, clinicId: string, id: string): Promise<Task | null> {
  if (/^[0-9a-f-]{36}$/.test(id)) {
    const own = await requestOf(db, clinicId, id);
    return own ? requesterTask(stored(own)) : null;
  }
  const home = await homeSide(db, clinicId, id);
  return home ? homeTask(stored(home.request), homeView(home)) : null;
}

/** The clinic's Tasks, requests it made and requests addressed to it, newest first. */
export async function searchTasks(
  db: Db,
  session: Session,
  f: { ids?: string[]; statuses?: string[]; count: number; offset: number },
): Promise<{ tasks: Task[]; hasMore: boolean }> {
  const clinicId = clinicOf(session);
  const window = { count: f.offset + f.count, offset: 0 };
  const requestIds = f.ids?.map((id) => parseHomeTaskId(id)?.requestId ?? id);
  const [own, home] = await Promise.all([
    requestsOf(db, clinicId, { ids: f.ids, statuses: f.statuses, ...window }),
    homeRequests(db, clinicId, { requestIds, statuses: f.statuses, ...window }),
  ]);
  const all = [
    ...own.map((r) => ({ at: r.authoredOn, task: requesterTask(stored(r)) })),
    ...home.map((h) => ({ at: h.request.authoredOn, task: homeTask(stored(h.request), homeView(h)) })),
  ]
    .filter((t) => !f.ids || f.ids.includes(t.task.id!))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.task.id! < b.task.id! ? -1 : 1));
  return { tasks: all.slice(f.offset, f.offset + f.count).map((t) => t.task), hasMore: all.length > f.offset + f.count };
}

const VERB = { accepted: 'approved', rejected: 'declined', cancelled: 'revoked' } as const;

/**
 * A home clinic's decision on the Task `taskId` addressed to it (R4 task.html: requested → accepted | rejected, and
 * accepted → cancelled when it revokes). Approval pushes an active Consent per own record of the person naming the
 * requester for the period asked, revocation the same Consents inactive, each with the decision applied in that push's
 * transaction; decline records the decision alone. 404 when the Task is not the clinic's, 409 when its state does not
 * allow the decision.
 */
export async function decideTask(
  db: Db,
  session: Session,
  push: PushWithDecision,
  taskId: string,
  status: 'accepted' | 'rejected' | 'cancelled',
  reason: string | null,
): Promise<Task> {
  const clinicId = clinicOf(session);
  const home = await homeSide(db, clinicId, taskId);
  if (!home) throw unknownTask(taskId);
  if (status === 'cancelled' ? home.status !== 'accepted' : home.status !== 'requested') {
    throw outcomes.conflict(`Task/${taskId} is ${home.status}: ${status === 'cancelled' ? 'only an accepted Task can be revoked' : 'decided already'}`);
  }
  const person = await findPatientPerson(db, home.patientIds[0]);
  const step: ConsentDecisionStep = {
    requestId: home.request.id,
    clinicId,
    status,
    reason,
    audit: {
      clinicId,
      action: 'consent-decision',
      outcome: 'success',
      personId: person?.personId ?? null,
      patientIds: home.patientIds,
      purpose: home.request.purpose,
      detail: `Task/${taskId} ${VERB[status]} for Organization/${home.request.requesterClinicId}`,
    },
  };
  if (status === 'rejected') await inTransaction(db, (tx) => applyConsentDecision(tx, step, []));
  else await push(clinicId, JSON.stringify(approvalBundle(stored(home.request), home.patientIds, status === 'accepted' ? 'active' : 'inactive')), step);
  return (await taskAsSeenBy(db, clinicId, taskId))!;
}
