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
import { deleteSubscription, insertSubscription, subscriptionOf, subscriptionsOf, type SubscriptionRow } from '../store/subscriptions';
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
  const input = parseSubscription(body);
  if (!(await hookHostAllowed(input.endpoint, opts.allowPrivateHosts ?? false)))
    throw outcomes.invalid('Subscription.channel.endpoint must resolve to public addresses only', 'Subscription.channel.endpoint');
  return resource(await insertSubscription(db, { id: randomUUID(), clinicId: clinicOf(session), status: 'active', ...input }));
}

export async function readSubscription(db: Db, session: Session, id: string): Promise<Subscription> {
  const row = await subscriptionOf(db, clinicOf(session), id);
  if (!row) throw outcomes.notFound(`Subscription/${id} is not known`);
  return resource(row);
}

export async function searchSubscriptions(db: Db, session: Session, count: number, offset: number): Promise<{ items: Subscription[]; hasMore: boolean }> {
  const rows = await subscriptionsOf(db, clinicOf(session), count, offset);
  return { items: rows.slice(0, count).map(resource), hasMore: rows.length > count };
}

export async function removeSubscription(db: Db, session: Session, id: string): Promise<void> {
  if (!(await deleteSubscription(db, clinicOf(session), id))) throw outcomes.notFound(`Subscription/${id} is not known`);
}
