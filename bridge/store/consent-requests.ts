/** SQL of consent requests (migrations/017_consent_requests.sql): requests, home clinics' decisions, the home view. */
import type { Db, Tx } from './db';

type Status = 'requested' | 'accepted' | 'rejected' | 'cancelled';

export interface ConsentRequestRow {
  id: string;
  requesterClinicId: string;
  requesterName: string;
  handle: string;
  patientIds: string[];
  purpose: string;
  period: { start: string; end: string };
  periodEnd: string;
  note: string | null;
  status: Status;
  authoredOn: string;
  lastModified: string;
}

/** One home clinic's side: its own (not deleted) records of the person, and its decision if any. */
export interface HomeRow {
  request: ConsentRequestRow;
  clinicId: string;
  patientIds: string[];
  status: Status;
  reason: string | null;
  consentIds: string[];
  decidedAt: string | null;
}

const REQUEST = `cr.id, cr.requester_clinic_id AS "requesterClinicId", c.name AS "requesterName", cr.handle, cr.patient_ids::text[] AS "patientIds",
  cr.purpose, cr.period, cr.period_end AS "periodEnd", cr.note, cr.status, cr.authored_on AS "authoredOn", cr.last_modified AS "lastModified"`;
const FROM = 'consent_request cr JOIN clinic c ON c.id = cr.requester_clinic_id';

/** The (not deleted) records clinic `$1` holds of the persons of `cr.patient_ids`, oldest first (SQL fragment). */
const MINE = `(SELECT array_agg(mine.id::text ORDER BY mr.last_updated, mine.id) FROM patient mine
    JOIN resource mr ON mr.id = mine.id AND NOT mr.deleted
   WHERE mine.clinic_id = $1 AND mine.person_id IN (SELECT hp.person_id FROM patient hp WHERE hp.id = ANY(cr.patient_ids)))`;

export async function insertConsentRequest(
  tx: Tx,
  r: {
    id: string;
    requesterClinicId: string;
    handle: string;
    patientIds: string[];
    purpose: string;
    period: unknown;
    periodStart: string;
    periodEnd: string;
    note: string | null;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO consent_request (id, requester_clinic_id, handle, patient_ids, purpose, period, period_start, period_end, note)
     VALUES ($1, $2, $3, $4::uuid[], $5, $6, $7, $8, $9)`,
    [r.id, r.requesterClinicId, r.handle, r.patientIds, r.purpose, JSON.stringify(r.period), r.periodStart, r.periodEnd, r.note],
  );
}

/** The clinics (other than `exceptClinicId`) holding a not deleted record of the persons of `patientIds`, now. */
export async function homeClinicsOf(db: Db | Tx, patientIds: string[], exceptClinicId: string): Promise<string[]> {
  const res = await db.query(
    `SELECT DISTINCT mine.clinic_id::text AS id FROM patient hp JOIN patient mine ON mine.person_id = hp.person_id
       JOIN resource r ON r.id = mine.id AND NOT r.deleted
      WHERE hp.id = ANY($1::uuid[]) AND mine.clinic_id <> $2 ORDER BY 1`,
    [patientIds, exceptClinicId],
  );
  return res.rows.map((r) => r.id);
}

/** A request made by `clinicId`, or null. */
export async function requestOf(db: Db | Tx, clinicId: string, id: string): Promise<ConsentRequestRow | null> {
  const res = await db.query(`SELECT ${REQUEST} FROM ${FROM} WHERE cr.id = $1 AND cr.requester_clinic_id = $2`, [id, clinicId]);
  return res.rows[0] ?? null;
}

export interface RequestFilter {
  ids?: string[];
  statuses?: string[];
  count: number;
  offset: number;
}

/** Requests made by `clinicId`, newest first; `count + 1` rows tell whether more follow. */
export async function requestsOf(db: Db, clinicId: string, f: RequestFilter): Promise<ConsentRequestRow[]> {
  const res = await db.query(
    `SELECT ${REQUEST} FROM ${FROM} WHERE cr.requester_clinic_id = $1
        AND ($2::text[] IS NULL OR cr.id::text = ANY($2)) AND ($3::text[] IS NULL OR cr.status = ANY($3))
      ORDER BY cr.authored_on DESC, cr.id LIMIT $4 OFFSET $5`,
    [clinicId, f.ids ?? null, f.statuses ?? null, f.count + 1, f.offset],
  );
  return res.rows;
}

const HOME = `SELECT * FROM (SELECT ${REQUEST}, ${MINE} AS mine, coalesce(d.status, 'requested') AS "homeStatus", d.reason,
    coalesce(d.consent_ids::text[], '{}') AS "consentIds", d.decided_at AS "decidedAt"
  FROM ${FROM} LEFT JOIN consent_decision d ON d.request_id = cr.id AND d.clinic_id = $1
  WHERE cr.requester_clinic_id <> $1`;

/** A row of HOME: the request's columns plus the caller's own records and decision. */
type HomeQueryRow = ConsentRequestRow & { mine: string[]; homeStatus: Status; reason: string | null; consentIds: string[]; decidedAt: string | null };

const homeRow =
  (clinicId: string) =>
  (row: HomeQueryRow): HomeRow => {
    const { mine, homeStatus, reason, consentIds, decidedAt, ...request } = row;
    return { request: request as ConsentRequestRow, clinicId, patientIds: mine, status: homeStatus, reason, consentIds, decidedAt };
  };

/**
 * Requests addressed to `clinicId` as a home clinic (it holds a record of the person now), newest first, optionally
 * only those of `requestIds` or with the home status in `statuses`.
 */
export async function homeRequests(
  db: Db | Tx,
  clinicId: string,
  f: { requestIds?: string[]; statuses?: string[]; count: number; offset: number },
): Promise<HomeRow[]> {
  // Each request costs a few index lookups (its records' persons, this clinic's records of them): linear in requests.
  const res = await db.query(
    `${HOME} AND ($2::text[] IS NULL OR cr.id::text = ANY($2))) x
      WHERE mine IS NOT NULL AND ($3::text[] IS NULL OR "homeStatus" = ANY($3))
      ORDER BY "authoredOn" DESC, id LIMIT $4 OFFSET $5`,
    [clinicId, f.requestIds ?? null, f.statuses ?? null, f.count + 1, f.offset],
  );
  return res.rows.map(homeRow(clinicId));
}

/** Locks a request row (decisions on one request run one after another) and returns it. */
export async function lockRequest(tx: Tx, id: string): Promise<ConsentRequestRow | null> {
  await tx.query('SELECT 1 FROM consent_request WHERE id = $1 FOR UPDATE', [id]);
  const res = await tx.query(`SELECT ${REQUEST} FROM ${FROM} WHERE cr.id = $1`, [id]);
  return res.rows[0] ?? null;
}

/**
 * Records one home clinic's decision: a first decision (accepted, rejected), or `cancelled` over its own accepted
 * one (a revocation). False when that is not the state the decision applies to (decided already, nothing to revoke).
 */
export async function recordDecision(
  tx: Tx,
  d: { requestId: string; clinicId: string; status: 'accepted' | 'rejected' | 'cancelled'; reason: string | null; consentIds: string[] },
): Promise<boolean> {
  const res =
    d.status === 'cancelled'
      ? await tx.query(
          `UPDATE consent_decision SET status = 'cancelled', reason = $3, decided_at = now()
        WHERE request_id = $1 AND clinic_id = $2 AND status = 'accepted' RETURNING 1`,
          [d.requestId, d.clinicId, d.reason],
        )
      : await tx.query(
          `INSERT INTO consent_decision (request_id, clinic_id, status, reason, consent_ids) VALUES ($1, $2, $3, $4, $5::uuid[])
       ON CONFLICT DO NOTHING RETURNING 1`,
          [d.requestId, d.clinicId, d.status, d.reason, d.consentIds],
        );
  return res.rowCount === 1;
}

/** The home status of each current home clinic of a request (decision, or requested). */
export async function homeStatuses(tx: Tx, r: ConsentRequestRow): Promise<Status[]> {
  const homes = await homeClinicsOf(tx, r.patientIds, r.requesterClinicId);
  const res = await tx.query('SELECT clinic_id::text AS "clinicId", status FROM consent_decision WHERE request_id = $1', [r.id]);
  const decided = new Map(res.rows.map((x) => [x.clinicId as string, x.status as Status]));
  return homes.map((c) => decided.get(c) ?? 'requested');
}

export async function setRequestStatus(tx: Tx, id: string, status: Status): Promise<void> {
  await tx.query('UPDATE consent_request SET status = $2, last_modified = now() WHERE id = $1', [id, status]);
}

/** A consent request as its patient sees it: the request, and the patient's own decision if any (migration 020). */
export interface PatientRequestRow extends ConsentRequestRow {
  patientStatus: 'accepted' | 'rejected' | null;
  patientConsentId: string | null;
  patientDecidedAt: string | null;
}

const PATIENT_SIDE = `${REQUEST}, cr.patient_status AS "patientStatus", cr.patient_consent_id::text AS "patientConsentId", cr.patient_decided_at AS "patientDecidedAt"`;
const ABOUT_PERSON = `EXISTS (SELECT 1 FROM patient hp WHERE hp.id = ANY(cr.patient_ids) AND hp.person_id = $1)`;

/** Requests about the person (any of its records behind the handle), newest first; `count + 1` rows. */
export async function requestsAboutPerson(db: Db, personId: string, f: { ids?: string[]; count: number; offset: number }): Promise<PatientRequestRow[]> {
  const ids = f.ids?.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  const res = await db.query(
    `SELECT ${PATIENT_SIDE} FROM ${FROM} WHERE ${ABOUT_PERSON} AND ($2::uuid[] IS NULL OR cr.id = ANY($2::uuid[]))
      ORDER BY cr.authored_on DESC, cr.id LIMIT $3 OFFSET $4`,
    [personId, f.ids ? (ids ?? []) : null, f.count + 1, f.offset],
  );
  return res.rows;
}

/** One request about the person, locked in `tx` when given one; null when it is not about the person. */
export async function requestAboutPerson(db: Db | Tx, personId: string, id: string, lock = false): Promise<PatientRequestRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const res = await db.query(`SELECT ${PATIENT_SIDE} FROM ${FROM} WHERE ${ABOUT_PERSON} AND cr.id = $2${lock ? ' FOR UPDATE OF cr' : ''}`, [personId, id]);
  return res.rows[0] ?? null;
}

/** Records the patient's decision and sets the requester's status. */
export async function recordPatientDecision(tx: Tx, id: string, status: 'accepted' | 'rejected', consentId: string | null): Promise<void> {
  await tx.query(
    `UPDATE consent_request SET patient_status = $2, patient_consent_id = $3, patient_decided_at = now(), status = $2, last_modified = now() WHERE id = $1`,
    [id, status, consentId],
  );
}
