/** SQL of Subscriptions and their notification outbox (migrations/017_consent_requests.sql). */
import type { Db, Tx } from './db';

export interface SubscriptionRow {
  id: string;
  clinicId: string;
  status: 'requested' | 'active' | 'error' | 'off';
  reason: string;
  criteria: string;
  taskId: string | null;
  taskStatuses: string[] | null;
  endpoint: string;
  payload: string | null;
  headers: string[];
  error: string | null;
  lastModified: string;
}

const SELECT = `SELECT id::text, clinic_id::text AS "clinicId", status, reason, criteria, task_id AS "taskId", task_statuses AS "taskStatuses",
  endpoint, payload, headers, error, last_modified AS "lastModified" FROM subscription`;

export async function insertSubscription(db: Db | Tx, s: Omit<SubscriptionRow, 'error' | 'lastModified'>): Promise<SubscriptionRow> {
  const res = await db.query(
    `INSERT INTO subscription (id, clinic_id, status, reason, criteria, task_id, task_statuses, endpoint, payload, headers)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING last_modified AS "lastModified"`,
    [s.id, s.clinicId, s.status, s.reason, s.criteria, s.taskId, s.taskStatuses, s.endpoint, s.payload, s.headers],
  );
  return { ...s, error: null, lastModified: res.rows[0].lastModified };
}

/** A clinic's Subscription, or null (another clinic's looks unknown). */
export async function subscriptionOf(db: Db | Tx, clinicId: string, id: string): Promise<SubscriptionRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const res = await db.query(`${SELECT} WHERE id = $1 AND clinic_id = $2`, [id, clinicId]);
  return res.rows[0] ?? null;
}

export async function subscriptionsOf(db: Db, clinicId: string, count: number, offset: number): Promise<SubscriptionRow[]> {
  const res = await db.query(`${SELECT} WHERE clinic_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [clinicId, count + 1, offset]);
  return res.rows;
}

export async function deleteSubscription(db: Db, clinicId: string, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return ((await db.query('DELETE FROM subscription WHERE id = $1 AND clinic_id = $2', [id, clinicId])).rowCount ?? 0) > 0;
}

/**
 * Queues a notification for each active Subscription of `clinicId` whose criteria match the Task `taskId` (as that
 * clinic names it) in status `status`. Called inside the transaction of the state change, so a committed change always
 * has its notifications and a rolled back one has none.
 */
export async function enqueueNotifications(tx: Tx, clinicId: string, taskId: string, status: string): Promise<number> {
  const res = await tx.query(
    `INSERT INTO notification_outbox (subscription_id, task_id)
     SELECT id, $2 FROM subscription WHERE clinic_id = $1 AND status = 'active'
        AND (task_id IS NULL OR task_id = $2) AND (task_statuses IS NULL OR $3 = ANY(task_statuses))`,
    [clinicId, taskId, status],
  );
  return res.rowCount ?? 0;
}

export interface DueNotification {
  id: number;
  taskId: string;
  /** A patient notification (migration 020): set instead of taskId, for a patient account's Subscription. */
  communicationId?: string | null;
  attempts: number;
  subscription: Pick<SubscriptionRow, 'id' | 'clinicId' | 'endpoint' | 'payload' | 'headers'> & { accountId?: string | null };
}

/**
 * Claims up to `limit` due notifications of active Subscriptions for `leaseMs` (FOR UPDATE SKIP LOCKED: bridge
 * processes sharing the database never claim the same row; a claim whose process dies is due again when its lease ends).
 */
export async function claimDueNotifications(db: Db, limit: number, leaseMs: number): Promise<DueNotification[]> {
  const res = await db.query(
    `WITH due AS (
       SELECT o.id FROM notification_outbox o JOIN subscription s ON s.id = o.subscription_id AND s.status = 'active'
        WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= now()
        ORDER BY o.next_attempt_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED)
     UPDATE notification_outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
       FROM due, subscription s WHERE o.id = due.id AND s.id = o.subscription_id
     RETURNING o.id, o.task_id AS "taskId", o.communication_id::text AS "communicationId", o.attempts, s.id::text AS "subId",
       s.clinic_id::text AS "clinicId", s.account_id::text AS "accountId", s.endpoint, s.payload, s.headers`,
    [limit, leaseMs],
  );
  return res.rows.map((r) => ({
    id: Number(r.id),
    taskId: r.taskId,
    communicationId: r.communicationId,
    attempts: r.attempts,
    subscription: { id: r.subId, clinicId: r.clinicId, accountId: r.accountId, endpoint: r.endpoint, payload: r.payload, headers: r.headers },
  }));
}

export async function markDelivered(db: Db, id: number): Promise<void> {
  await db.query('UPDATE notification_outbox SET delivered_at = now(), last_error = NULL WHERE id = $1', [id]);
}

export async function scheduleRetry(db: Db, id: number, delayMs: number, error: string): Promise<void> {
  await db.query('UPDATE notification_outbox SET next_attempt_at = now() + make_interval(secs => $2::float8 / 1000), last_error = $3 WHERE id = $1', [
    id,
    delayMs,
    error,
  ]);
}

/** Gives a notification up and puts its Subscription in status `error` with `error` (R4 subscription.html#errors). */
export async function giveUp(tx: Tx, id: number, subscriptionId: string, error: string): Promise<void> {
  await tx.query('UPDATE notification_outbox SET failed_at = now(), last_error = $2 WHERE id = $1', [id, error]);
  await tx.query(`UPDATE subscription SET status = 'error', error = $2, last_modified = now() WHERE id = $1`, [subscriptionId, error]);
}

/** Drops notifications delivered or given up more than a day ago: the outbox is a queue, not a log (the audit trail is). */
export async function pruneOutbox(db: Db): Promise<number> {
  const res = await db.query(`DELETE FROM notification_outbox WHERE delivered_at < now() - interval '1 day' OR failed_at < now() - interval '1 day'`);
  return res.rowCount ?? 0;
}

// ---- Subscriptions of patient accounts (migration 020): criteria Communication, the patient's notifications ----

const PATIENT_SELECT = `SELECT id::text, '' AS "clinicId", status, reason, criteria, task_id AS "taskId", task_statuses AS "taskStatuses",
  endpoint, payload, headers, error, last_modified AS "lastModified" FROM subscription`;

export async function insertPatientSubscription(
  db: Db | Tx,
  accountId: string,
  s: Omit<SubscriptionRow, 'error' | 'lastModified' | 'clinicId'>,
): Promise<SubscriptionRow> {
  const res = await db.query(
    `INSERT INTO subscription (id, account_id, status, reason, criteria, task_id, task_statuses, endpoint, payload, headers)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING last_modified AS "lastModified"`,
    [s.id, accountId, s.status, s.reason, s.criteria, s.taskId, s.taskStatuses, s.endpoint, s.payload, s.headers],
  );
  return { ...s, clinicId: '', error: null, lastModified: res.rows[0].lastModified };
}

export async function patientSubscriptionOf(db: Db, accountId: string, id: string): Promise<SubscriptionRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  return (await db.query(`${PATIENT_SELECT} WHERE id = $1 AND account_id = $2`, [id, accountId])).rows[0] ?? null;
}

export async function patientSubscriptionsOf(db: Db, accountId: string, count: number, offset: number): Promise<SubscriptionRow[]> {
  return (await db.query(`${PATIENT_SELECT} WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, [accountId, count + 1, offset])).rows;
}

export async function deletePatientSubscription(db: Db, accountId: string, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return ((await db.query('DELETE FROM subscription WHERE id = $1 AND account_id = $2', [id, accountId])).rowCount ?? 0) > 0;
}
