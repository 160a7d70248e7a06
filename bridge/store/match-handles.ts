import { randomBytes } from 'node:crypto';
import type { Db, Tx } from './db';

export type MatchGrade = 'certain' | 'probable' | 'possible';

export interface MatchHandle {
  handle: string;
  clinicId: string;
  patientIds: string[];
  grade: MatchGrade;
  score: number;
  expiresAt: string;
}

/** An opaque handle (`m` + 32 hex digits, a valid FHIR id) for the patient records a $match found for `clinicId`. */
export async function issueMatchHandle(
  db: Db | Tx,
  clinicId: string,
  candidate: { patientIds: string[]; grade: MatchGrade; score: number },
  ttlSeconds: number,
): Promise<MatchHandle> {
  const handle = `m${randomBytes(16).toString('hex')}`;
  const res = await db.query(
    `INSERT INTO match_handle (handle, clinic_id, patient_ids, grade, score, expires_at)
     VALUES ($1, $2, $3::uuid[], $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
    [handle, clinicId, candidate.patientIds, candidate.grade, candidate.score, ttlSeconds],
  );
  return { handle, clinicId, ...candidate, expiresAt: new Date(res.rows[0].expires_at).toISOString() };
}

/** Several handles at once (one statement: one $match answer), in the order of `candidates`. */
export async function issueMatchHandles(
  db: Db | Tx,
  clinicId: string,
  candidates: { patientIds: string[]; grade: MatchGrade; score: number }[],
  ttlSeconds: number,
): Promise<MatchHandle[]> {
  if (!candidates.length) return [];
  const handles = candidates.map(() => `m${randomBytes(16).toString('hex')}`);
  const res = await db.query(
    `INSERT INTO match_handle (handle, clinic_id, patient_ids, grade, score, expires_at)
     SELECT h, $2, ARRAY(SELECT jsonb_array_elements_text(ids))::uuid[], g, s, now() + make_interval(secs => $6)
       FROM unnest($1::text[], $3::jsonb[], $4::text[], $5::real[]) AS t(h, ids, g, s) RETURNING expires_at`,
    [handles, clinicId, candidates.map((c) => JSON.stringify(c.patientIds)), candidates.map((c) => c.grade), candidates.map((c) => c.score), ttlSeconds],
  );
  const expiresAt = new Date(res.rows[0].expires_at).toISOString();
  return candidates.map((c, i) => ({ handle: handles[i], clinicId, ...c, expiresAt }));
}

/**
 * The handle `handle` as issued to `clinicId`, or null when it is unknown, expired or was issued to another clinic
 * (the three look alike to the caller, so a handle cannot be probed).
 */
export async function resolveMatchHandle(db: Db | Tx, clinicId: string, handle: string): Promise<MatchHandle | null> {
  if (!/^[A-Za-z0-9-]{16,64}$/.test(handle)) return null;
  const res = await db.query(
    `SELECT handle, clinic_id AS "clinicId", patient_ids AS "patientIds", grade, score, expires_at AS "expiresAt"
       FROM match_handle WHERE handle = $1 AND clinic_id = $2 AND expires_at > now()`,
    [handle, clinicId],
  );
  const row = res.rows[0];
  return row ? { ...row, expiresAt: new Date(row.expiresAt).toISOString() } : null;
}

/** Extends a handle's life (a consent request or an approved consent keeps using it). */
export async function extendMatchHandle(db: Db | Tx, handle: string, until: Date): Promise<void> {
  await db.query('UPDATE match_handle SET expires_at = greatest(expires_at, $2) WHERE handle = $1', [handle, until]);
}
