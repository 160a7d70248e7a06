/** Bulk Data export jobs and their NDJSON files (migrations/006_export.sql). */
import { binder, type Db } from './db';
import { SHARED_TYPES } from './resources';
import type { Withheld } from '../model/sensitivity';
import { withheldSql } from './pull';

export interface ExportJob {
  id: string;
  clinicId: string;
  level: 'system' | 'patient';
  requestUrl: string;
  types: string[] | null;
  since: string | null;
  status: 'accepted' | 'in-progress' | 'completed' | 'failed';
  progress: string | null;
  error: string | null;
  transactionTime: string;
  /** Asked with _proofs=true: a proofs file beside each resource file (migrations/024_export_proofs.sql). */
  proofs: boolean;
}

const JOB_COLUMNS = `id, clinic_id AS "clinicId", level, request_url AS "requestUrl", types, since, status, progress, error, transaction_time AS "transactionTime", proofs`;

export async function createExportJob(
  db: Db,
  job: Pick<ExportJob, 'id' | 'clinicId' | 'level' | 'requestUrl' | 'types' | 'since'> & { proofs?: boolean },
): Promise<ExportJob> {
  const res = await db.query(
    `INSERT INTO export_job (id, clinic_id, level, request_url, types, since, transaction_time, proofs) VALUES ($1, $2, $3, $4, $5, $6, now(), $7)
     RETURNING ${JOB_COLUMNS}`,
    [job.id, job.clinicId, job.level, job.requestUrl, job.types, job.since, job.proofs ?? false],
  );
  return res.rows[0];
}

/** The job if it belongs to the clinic. */
export async function readExportJob(db: Db, clinicId: string, id: string): Promise<ExportJob | null> {
  const res = await db.query(`SELECT ${JOB_COLUMNS} FROM export_job WHERE id = $1 AND clinic_id = $2`, [id, clinicId]);
  return res.rows[0] ?? null;
}

/** Updates a job still present; false when it was cancelled (deleted) meanwhile. */
export async function updateExportJob(db: Db, id: string, patch: { status?: ExportJob['status']; progress?: string; error?: string }): Promise<boolean> {
  const res = await db.query(
    `UPDATE export_job SET status = coalesce($2, status), progress = coalesce($3, progress), error = coalesce($4, error), heartbeat_at = now(),
       completed_at = CASE WHEN $2 IN ('completed', 'failed') THEN now() ELSE completed_at END
     WHERE id = $1`,
    [id, patch.status ?? null, patch.progress ?? null, patch.error ?? null],
  );
  return (res.rowCount ?? 0) > 0;
}

/**
 * Takes over one unfinished job whose runner has been silent for `stalledMs` (its process died): claimed with
 * SKIP LOCKED so two bridges never resume the same job; its partial files are dropped for a clean rerun.
 */
export async function claimStalledExportJob(db: Db, stalledMs: number): Promise<ExportJob | null> {
  const res = await db.query(
    `UPDATE export_job SET status = 'in-progress', heartbeat_at = now(), progress = 'resumed'
      WHERE id = (SELECT id FROM export_job WHERE status IN ('accepted', 'in-progress')
                    AND coalesce(heartbeat_at, created_at) < now() - $1 * interval '1 millisecond'
                  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${JOB_COLUMNS}`,
    [stalledMs],
  );
  const job = res.rows[0] as ExportJob | undefined;
  if (!job) return null;
  await db.query('DELETE FROM export_file WHERE job_id = $1', [job.id]);
  return job;
}

/** Drops finished jobs (and their files) older than `ageMs`: the manifest's Expires promise. */
export async function deleteExpiredExportJobs(db: Db, ageMs: number): Promise<number> {
  const res = await db.query(`DELETE FROM export_job WHERE completed_at < now() - $1 * interval '1 millisecond'`, [ageMs]);
  return res.rowCount ?? 0;
}

export async function deleteExportJob(db: Db, clinicId: string, id: string): Promise<boolean> {
  const res = await db.query('DELETE FROM export_job WHERE id = $1 AND clinic_id = $2', [id, clinicId]);
  return (res.rowCount ?? 0) > 0;
}

/** Adds one file (`proofsOf`: the seq of the resource file a proofs file proves); false when the job was cancelled meanwhile. */
export async function insertExportFile(
  db: Db,
  jobId: string,
  seq: number,
  resourceType: string,
  count: number,
  content: string,
  proofsOf: number | null = null,
): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO export_file (job_id, seq, resource_type, resource_count, content, proofs_of)
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM export_job WHERE id = $1)`,
    [jobId, seq, resourceType, count, content, proofsOf],
  );
  return (res.rowCount ?? 0) > 0;
}

export interface ExportFileItem {
  seq: number;
  resourceType: string;
  count: number;
  /** A proofs file: the seq of the resource file it proves; null for a resource file. */
  proofsOf: number | null;
}

export async function listExportFiles(db: Db, jobId: string): Promise<ExportFileItem[]> {
  const res = await db.query(
    'SELECT seq, resource_type AS "resourceType", resource_count AS count, proofs_of AS "proofsOf" FROM export_file WHERE job_id = $1 ORDER BY seq',
    [jobId],
  );
  return res.rows;
}

/** A file's content and, for a proofs file, the seq of the resource file it proves. */
export async function readExportFile(db: Db, clinicId: string, jobId: string, seq: number): Promise<{ content: string; proofsOf: number | null } | null> {
  const res = await db.query(
    `SELECT f.content, f.proofs_of AS "proofsOf" FROM export_file f JOIN export_job j ON j.id = f.job_id
      WHERE f.job_id = $1 AND f.seq = $2 AND j.clinic_id = $3 AND j.status = 'completed'`,
    [jobId, seq, clinicId],
  );
  return res.rows[0] ?? null;
}

/** The caller's own live Patient records (each is a key into resolvePersonAccess). */
export async function ownPatientIds(db: Db, clinicId: string): Promise<string[]> {
  const res = await db.query('SELECT p.id FROM patient p JOIN resource r ON r.id = p.id AND NOT r.deleted WHERE p.clinic_id = $1 ORDER BY p.id', [clinicId]);
  return res.rows.map((r) => r.id);
}

export interface ExportScope {
  /** System level: every resource the clinic sent. */
  ownClinicId?: string;
  /** Compartments included (own and consented patients). */
  patientIds: string[];
  types: string[] | null;
  since: string | null;
  until: string;
  /** What patients' restricted Consents withhold from the compartments (store/pull.ts withheldSql). */
  withheld?: Withheld[];
}

/** One exported resource: its current version (what a proof of the line is of) and content as stored. */
export interface ExportRow {
  id: string;
  resourceType: string;
  version: number;
  content: Record<string, unknown>;
}

/** One keyset page (by type, then id) of the resources in scope. */
export async function exportPage(db: Db, scope: ExportScope, after: { type: string; id: string } | null, limit: number): Promise<ExportRow[]> {
  const params: unknown[] = [scope.patientIds, scope.until];
  const p = binder(params);
  const where = ['NOT r.deleted', 'r.last_updated <= $2::timestamptz'];
  where.push(scope.ownClinicId ? `(r.clinic_id = ${p(scope.ownClinicId)}::uuid OR r.patient_id = ANY($1::uuid[]))` : 'r.patient_id = ANY($1::uuid[])');
  if (scope.types) where.push(`r.resource_type = ANY(${p(scope.types)}::text[])`);
  if (scope.since) where.push(`r.last_updated > ${p(scope.since)}::timestamptz`);
  if (after) where.push(`(r.resource_type, r.id) > (${p(after.type)}, ${p(after.id)}::uuid)`);
  const restricted = withheldSql(scope.withheld, p);
  if (restricted) where.push(restricted);
  const res = await db.query(
    `SELECT r.id, r.resource_type AS "resourceType", r.version, r.content FROM resource r WHERE ${where.join(' AND ')} ORDER BY r.resource_type, r.id LIMIT ${p(limit)}`,
    params,
  );
  return res.rows;
}

/** Shared entities (Organization, Practitioner, Location, Medication) by id, in scope of the export's filters. */
export async function sharedEntities(db: Db, ids: string[], scope: ExportScope): Promise<ExportRow[]> {
  if (!ids.length) return [];
  const res = await db.query(
    `SELECT r.id, r.resource_type AS "resourceType", r.version, r.content FROM resource r
     WHERE r.id = ANY($1::uuid[]) AND r.resource_type = ANY($2::text[]) AND NOT r.deleted AND r.last_updated <= $3::timestamptz
       AND ($4::text[] IS NULL OR r.resource_type = ANY($4::text[])) AND ($5::timestamptz IS NULL OR r.last_updated > $5::timestamptz)
     ORDER BY r.resource_type, r.id`,
    [ids, SHARED_TYPES, scope.until, scope.types, scope.since],
  );
  return res.rows;
}
