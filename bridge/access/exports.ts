/**
 * Bulk Data export as a session (FHIR Bulk Data Access IG v2): kick-off, status, files and cancel. A job and its
 * files belong to the clinic that started it (another clinic's job is unknown to it: 404); what a job exports is
 * decided by pull/export-job (own records and consented ones), which audits the export when it completes.
 */
import { randomUUID } from 'node:crypto';
import { isBridgeId } from '../fhir/references';
import { EXPORT_KEEP_MS, runExportJob } from '../pull/export-job';
import { createExportJob, deleteExportJob, ExportJob, type ExportFileItem, listExportFiles, readExportFile, readExportJob } from '../store/export';
import { logOf } from './proofs';
import { checkScope } from './scope-check';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

export { EXPORT_KEEP_MS };
export type { ExportJob } from '../store/export';

export interface ExportKickoff {
  level: 'system' | 'patient';
  types: string[] | null;
  since: string | null;
  requestUrl: string;
  /** `_proofs=true`: a proofs file beside each resource file (503 when the bridge runs no log). */
  proofs?: boolean;
}

/** Starts an export job (the token's scopes must allow read on every type asked, or all); `schedule` runs it. */
export async function startExport(svc: AccessServices, session: Session, k: ExportKickoff, schedule: (run: () => Promise<void>) => void): Promise<ExportJob> {
  for (const t of k.types ?? ['*']) await checkScope(svc, session, t, 'read');
  const log = k.proofs ? logOf(svc) : svc.verifiableLog;
  const job = await createExportJob(svc.db, { id: randomUUID(), clinicId: actingClinic(session), ...k });
  schedule(() => runExportJob(svc.db, job, log));
  return job;
}

/** The session's job `id` and, once it completed, its files; null when it has no such job. */
export async function exportStatus(svc: AccessServices, session: Session, id: string): Promise<{ job: ExportJob; files: ExportFileItem[] } | null> {
  const job = isBridgeId(id) ? await readExportJob(svc.db, actingClinic(session), id) : null;
  if (!job) return null;
  return { job, files: job.status === 'completed' ? await listExportFiles(svc.db, job.id) : [] };
}

/** Cancels (or, once finished, deletes) the session's job; false when it has no such job. */
export async function cancelExport(svc: AccessServices, session: Session, id: string): Promise<boolean> {
  return isBridgeId(id) && deleteExportJob(svc.db, actingClinic(session), id);
}

/** One NDJSON file of the session's job; null when unknown. */
export async function exportFile(
  svc: AccessServices,
  session: Session,
  id: string,
  seq: number | undefined,
): Promise<{ content: string; proofsOf: number | null } | null> {
  return isBridgeId(id) && seq !== undefined ? readExportFile(svc.db, actingClinic(session), id, seq) : null;
}
