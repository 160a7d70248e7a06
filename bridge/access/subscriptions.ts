/**
 * Subscriptions of a clinic (FHIR R4 Subscription, rest-hook; see fhir/subscription.ts). A clinic watches only its own
 * Tasks (requests it made, requests addressed to it): criteria are evaluated against the Task as that clinic sees it,
 * and each notification carries that view, so a subscriber never receives what it may not read.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@medplum/fhirtypes';
import { outcomes } from '../fhir/outcome';
import { parseSubscription, subscriptionResource } from '../fhir/subscription';
import { hookHostAllowed } from '../notify/hook-address';
import type { Db } from '../store/db';
import {
  deletePatientSubscription,
  deleteSubscription,
  insertPatientSubscription,
  insertSubscription,
  patientSubscriptionOf,
  patientSubscriptionsOf,
  subscriptionOf,
  subscriptionsOf,
  type SubscriptionRow,
} from '../store/subscriptions';
import { sessionClinicId, type Session } from './session';

function clinicOf(session: Session): string {
  const id = sessionClinicId(session);
  if (!id) throw outcomes.forbidden('Subscriptions belong to clinics');
  return id;
}

const resource = (row: SubscriptionRow): Subscription => subscriptionResource(row);

/**
 * Stores the Subscription as `active` (the bridge has checked its endpoint's form, and that it resolves to public
 * addresses only unless `allowPrivateHosts`; delivery checks again at connect time and sets `error` on problems).
 */
export async function createSubscription(db: Db, session: Session, body: unknown, opts: { allowPrivateHosts?: boolean } = {}): Promise<Subscription> {
  const patient = session.principal.kind === 'patient' ? session.principal : null;
  // A patient's app watches the patient's notifications (criteria Communication), never Tasks of clinics.
  const input = parseSubscription(body, patient ? 'communication' : 'task');
  if (!(await hookHostAllowed(input.endpoint, opts.allowPrivateHosts ?? false)))
    throw outcomes.invalid('Subscription.channel.endpoint must resolve to public addresses only', 'Subscription.channel.endpoint');
  if (patient) return resource(await insertPatientSubscription(db, patient.accountId, { id: randomUUID(), status: 'active', ...input }));
  return resource(await insertSubscription(db, { id: randomUUID(), clinicId: clinicOf(session), status: 'active', ...input }));
}

export async function readSubscription(db: Db, session: Session, id: string): Promise<Subscription> {
  const p = session.principal;
  const row = p.kind === 'patient' ? await patientSubscriptionOf(db, p.accountId, id) : await subscriptionOf(db, clinicOf(session), id);
  if (!row) throw outcomes.notFound(`Subscription/${id} is not known`);
  return resource(row);
}

export async function searchSubscriptions(db: Db, session: Session, count: number, offset: number): Promise<{ items: Subscription[]; hasMore: boolean }> {
  const p = session.principal;
  const rows =
    p.kind === 'patient' ? await patientSubscriptionsOf(db, p.accountId, count, offset) : await subscriptionsOf(db, clinicOf(session), count, offset);
  return { items: rows.slice(0, count).map(resource), hasMore: rows.length > count };
}

export async function removeSubscription(db: Db, session: Session, id: string): Promise<void> {
  const p = session.principal;
  const gone = p.kind === 'patient' ? await deletePatientSubscription(db, p.accountId, id) : await deleteSubscription(db, clinicOf(session), id);
  if (!gone) throw outcomes.notFound(`Subscription/${id} is not known`);
}
