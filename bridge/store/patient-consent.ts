/** SQL of patient-authored Consents (migrations/021_patient_consent.sql). */
import type { Db, Tx } from './db';

export interface PatientConsentRow {
  id: string;
  accountId: string;
  patientId: string;
  actorClinicId: string;
  status: 'active' | 'inactive';
  periodStart: string | null;
  periodEnd: string | null;
  excludedLabels: string[];
  version: number;
  content: Record<string, unknown>;
  lastModified: string;
}

const SELECT = `SELECT pc.id::text, pc.account_id::text AS "accountId", pc.patient_id::text AS "patientId", pc.actor_clinic_id::text AS "actorClinicId",
  pc.status, pc.period_start AS "periodStart", pc.period_end AS "periodEnd", pc.excluded_labels AS "excludedLabels", pc.version, pc.content,
  pc.last_modified AS "lastModified" FROM patient_consent pc JOIN patient q ON q.id = pc.patient_id`;

const isUuid = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export async function insertPatientConsent(tx: Tx, r: Omit<PatientConsentRow, 'lastModified' | 'version'>): Promise<void> {
  await tx.query(
    `INSERT INTO patient_consent (id, account_id, patient_id, actor_clinic_id, status, period_start, period_end, excluded_labels, content)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [r.id, r.accountId, r.patientId, r.actorClinicId, r.status, r.periodStart, r.periodEnd, r.excludedLabels, JSON.stringify(r.content)],
  );
}

/** Replaces a Consent's evaluated fields and content (a new version). */
export async function updatePatientConsent(
  tx: Tx,
  r: Pick<PatientConsentRow, 'id' | 'status' | 'periodStart' | 'periodEnd' | 'excludedLabels' | 'content' | 'version'>,
): Promise<void> {
  await tx.query(
    `UPDATE patient_consent SET status = $2, period_start = $3, period_end = $4, excluded_labels = $5, content = $6, version = $7, last_modified = now()
      WHERE id = $1`,
    [r.id, r.status, r.periodStart, r.periodEnd, r.excludedLabels, JSON.stringify(r.content), r.version],
  );
}

/** The person's Consent `id` (locked when in a transaction), or null: another person's looks unknown. */
export async function patientConsentOf(db: Db | Tx, personId: string, id: string, lock = false): Promise<PatientConsentRow | null> {
  if (!isUuid(id)) return null;
  const res = await db.query(`${SELECT} WHERE pc.id = $1 AND q.person_id = $2${lock ? ' FOR UPDATE OF pc' : ''}`, [id, personId]);
  return res.rows[0] ?? null;
}

/** The person's Consents, newest first; `count + 1` rows tell whether there are more. */
export async function patientConsentsOf(db: Db, personId: string, f: { statuses?: string[]; count: number; offset: number }): Promise<PatientConsentRow[]> {
  const res = await db.query(
    `${SELECT} WHERE q.person_id = $1 AND ($2::text[] IS NULL OR pc.status = ANY($2::text[])) ORDER BY pc.last_modified DESC, pc.id LIMIT $3 OFFSET $4`,
    [personId, f.statuses ?? null, f.count + 1, f.offset],
  );
  return res.rows;
}

/** Active Consents of the person for the clinic other than `exceptId`, locked (a new decision supersedes them). */
export async function activeConsentsFor(tx: Tx, personId: string, actorClinicId: string, exceptId: string): Promise<PatientConsentRow[]> {
  // Two decisions of one person about one clinic run one after the other, so neither misses the other's row.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('patient-consent:' || $1 || ':' || $2, 0))`, [personId, actorClinicId]);
  const res = await tx.query(`${SELECT} WHERE q.person_id = $1 AND pc.actor_clinic_id = $2 AND pc.status = 'active' AND pc.id <> $3 FOR UPDATE OF pc`, [
    personId,
    actorClinicId,
    exceptId,
  ]);
  return res.rows;
}

/** A person's latest decision about one clinic, as evaluation reads it. */
export interface PatientDecision {
  consentId: string;
  status: 'active' | 'inactive';
  periodStart: string | null;
  periodEnd: string | null;
  excludedLabels: string[];
}

/**
 * For each record in `patientIds`, the governing patient-authored Consent of its person naming `clinicId`: its active one
 * (at most one: a new one supersedes), else the latest revoked one (any record of
 * the person may be the one named), by patient_consent_actor_idx. Records whose person made none are absent.
 */
export async function patientDecisions(db: Db | Tx, clinicId: string, patientIds: string[]): Promise<Map<string, PatientDecision>> {
  const out = new Map<string, PatientDecision>();
  if (!patientIds.length) return out;
  const res = await db.query(
    `SELECT o.id::text AS "patientId", d.* FROM patient o
       JOIN LATERAL (SELECT pc.id::text AS "consentId", pc.status, pc.period_start AS "periodStart", pc.period_end AS "periodEnd",
                            pc.excluded_labels AS "excludedLabels"
                       FROM patient q JOIN patient_consent pc ON pc.patient_id = q.id AND pc.actor_clinic_id = $1
                      WHERE q.person_id = o.person_id ORDER BY pc.status = 'active' DESC, pc.last_modified DESC, pc.created_at DESC, pc.id LIMIT 1) d ON true
      WHERE o.id = ANY($2::uuid[])`,
    [clinicId, patientIds],
  );
  for (const { patientId, ...d } of res.rows) out.set(patientId, { ...d, periodStart: iso(d.periodStart), periodEnd: iso(d.periodEnd) });
  return out;
}

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);

/** Every clinic (id, name), for patients choosing whom to consent to. */
export async function clinicDirectory(db: Db, count: number, offset: number): Promise<{ id: string; name: string }[]> {
  const res = await db.query('SELECT id::text, name FROM clinic ORDER BY name, id LIMIT $1 OFFSET $2', [count + 1, offset]);
  return res.rows;
}

/** A clinic's name; null when there is no such clinic. */
export async function clinicNameOf(db: Db | Tx, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  return (await db.query('SELECT name FROM clinic WHERE id = $1', [id])).rows[0]?.name ?? null;
}
