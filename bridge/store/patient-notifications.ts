/** SQL of what patients are told (migrations/021_patient_consent.sql): notification rows and their outbox entries. */
import type { Db, Tx } from './db';

export interface PatientNotificationRow {
  id: string;
  personId: string;
  patientIds: string[];
  category: 'break-glass' | 'consent-request';
  message: string;
  about: string | null;
  sent: string;
}

/**
 * Stores a notification for the person and queues it for every active Subscription of the person's patient
 * account(s) (rest-hook, delivered by notify/delivery.ts). Returns how many deliveries were queued.
 */
export async function insertPatientNotification(db: Db | Tx, n: Omit<PatientNotificationRow, 'sent'>): Promise<number> {
  await db.query(`INSERT INTO patient_notification (id, person_id, patient_ids, category, message, about) VALUES ($1, $2, $3::uuid[], $4, $5, $6)`, [
    n.id,
    n.personId,
    n.patientIds,
    n.category,
    n.message,
    n.about,
  ]);
  const res = await db.query(
    `INSERT INTO notification_outbox (subscription_id, communication_id)
     SELECT DISTINCT s.id, $1::uuid FROM subscription s
       JOIN patient_account_record par ON par.account_id = s.account_id JOIN patient p ON p.id = par.patient_id
      WHERE p.person_id = $2 AND s.status = 'active'`,
    [n.id, n.personId],
  );
  return res.rowCount ?? 0;
}

const SELECT = `SELECT id::text, person_id::text AS "personId", patient_ids::text[] AS "patientIds", category, message, about, sent FROM patient_notification`;

/** The person's notifications, newest first (`count + 1` rows tell whether there are more). */
export async function patientNotificationsOf(db: Db, personId: string, count: number, offset: number): Promise<PatientNotificationRow[]> {
  const res = await db.query(`${SELECT} WHERE person_id = $1 ORDER BY sent DESC, id LIMIT $2 OFFSET $3`, [personId, count + 1, offset]);
  return res.rows;
}

export async function patientNotification(db: Db | Tx, id: string): Promise<PatientNotificationRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const res = await db.query(`${SELECT} WHERE id = $1`, [id]);
  return res.rows[0] ?? null;
}
