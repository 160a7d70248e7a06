/**
 * Runs one Bulk Data export job: decides what the clinic may see (its own records, and through
 * the Consents of other clinics, their records of the same persons), writes NDJSON files per type into the
 * database, and records progress. A cancelled (deleted) job stops at the next file.
 */
import { collectReferences, isBridgeId, parseRelativeReference } from '../fhir/references';
import type { Db } from '../store/db';
import {
  claimStalledExportJob,
  deleteExpiredExportJobs,
  ExportJob,
  exportPage,
  type ExportRow,
  ExportScope,
  insertExportFile,
  ownPatientIds,
  sharedEntities,
  updateExportJob,
} from '../store/export';
import { SHARED_TYPES } from '../store/resources';
import { audit } from '../access/audit';
import { AS_COMMITTED } from '../access/proofs';
import type { LogService } from '../log/service';
import { consentingPatients, patientGrants } from '../access/consent-rules';
import { withheldGroups, type Withheld } from '../model/sensitivity';
import { foreignRecordsOfClinicPersons } from '../store/person-links';

export const EXPORT_FILE_MAX = 10_000;
const PAGE = 1000;

const CONSENT_CHUNK = 10_000;

/**
 * Patients whose compartments the clinic may export: its own, plus the other clinics' records of the same persons
 * whose holders' Consents name it (what resolvePersonAccess grants, without break-glass), in a few queries for
 * the whole clinic rather than a few per patient.
 */
async function permittedPatients(db: Db, clinicId: string): Promise<{ own: string[]; foreign: string[]; withheld: Withheld[] }> {
  const own = await ownPatientIds(db, clinicId);
  const candidates = await foreignRecordsOfClinicPersons(db, clinicId);
  const foreign: { patientId: string; excludedLabels?: string[] }[] = [];
  for (let i = 0; i < candidates.length; i += CONSENT_CHUNK) {
    const chunk = candidates.slice(i, i + CONSENT_CHUNK);
    const [granted, decided] = await Promise.all([consentingPatients(db, clinicId, chunk), patientGrants(db, clinicId, chunk)]);
    for (const id of chunk) {
      // The person's own decision about the clinic governs it (access/consent-rules.ts patientGrant).
      const d = decided.get(id);
      if (d ? d.grants : granted.has(id)) foreign.push({ patientId: id, ...(d?.excludedLabels.length ? { excludedLabels: d.excludedLabels } : {}) });
    }
  }
  return { own, foreign: foreign.map((f) => f.patientId), withheld: withheldGroups(foreign) };
}

/**
 * The lines of the proofs file of one resource file (`_proofs=true`): for each resource line, in the same order, its
 * `fhir-anchor-proof/1` JSON (served `as-committed`: export lines are the resources as stored), `{"pending":true}`
 * while its version waits for a checkpoint, or `null` when the log holds no entry for it. One batched proofs() call.
 */
async function proofLines(log: LogService, lines: readonly { id: string; version: number }[]): Promise<string> {
  const answers = await log.proofs(lines.map((l) => ({ kind: 'resource' as const, id: l.id, version: l.version })));
  return answers.map((a) => JSON.stringify(a && 'version' in a ? { ...a, served: AS_COMMITTED } : a)).join('\n') + '\n';
}

/** Runs the job; `log` gives the proofs of a job asked with `_proofs=true` (without one such a job writes none). */
export async function runExportJob(db: Db, job: ExportJob, log?: LogService): Promise<void> {
  try {
    if (!(await updateExportJob(db, job.id, { status: 'in-progress', progress: 'resolving access' }))) return;
    const { own, foreign, withheld } = await permittedPatients(db, job.clinicId);
    const scope: ExportScope = {
      withheld,
      ...(job.level === 'system' ? { ownClinicId: job.clinicId, patientIds: foreign } : { patientIds: [...own, ...foreign] }),
      types: job.types,
      since: job.since,
      until: job.transactionTime,
    };
    let seq = 0;
    let exported = 0;
    const counts = new Map<string, number>();
    const sharedDone = new Set<string>();
    const sharedWanted = new Set<string>();
    let buffer: string[] = [];
    let bufferRefs: { id: string; version: number }[] = [];
    let bufferType: string | null = null;
    const proofs = job.proofs && log ? log : null;
    const flush = async (): Promise<boolean> => {
      if (!buffer.length || !bufferType) return true;
      const fileSeq = ++seq;
      let ok = await insertExportFile(db, job.id, fileSeq, bufferType, buffer.length, buffer.join('\n') + '\n');
      // Its proofs file right after it, line for line (the manifest lists it with a log-proofs extension).
      if (ok && proofs) ok = await insertExportFile(db, job.id, ++seq, bufferType, bufferRefs.length, await proofLines(proofs, bufferRefs), fileSeq);
      exported += buffer.length;
      buffer = [];
      bufferRefs = [];
      return ok && updateExportJob(db, job.id, { progress: `${exported} resources exported (${bufferType})` });
    };
    const add = async (r: ExportRow): Promise<boolean> => {
      if (bufferType !== r.resourceType || buffer.length >= EXPORT_FILE_MAX) {
        if (!(await flush())) return false;
        bufferType = r.resourceType;
      }
      buffer.push(JSON.stringify(r.content));
      bufferRefs.push({ id: r.id, version: r.version });
      counts.set(r.resourceType, (counts.get(r.resourceType) ?? 0) + 1);
      if (SHARED_TYPES.includes(r.resourceType)) sharedDone.add(r.id);
      for (const ref of collectReferences(r.content)) {
        const parsed = parseRelativeReference(ref);
        if (parsed && SHARED_TYPES.includes(parsed.resourceType) && isBridgeId(parsed.id)) sharedWanted.add(parsed.id);
      }
      return true;
    };
    let after: { type: string; id: string } | null = null;
    for (;;) {
      const rows = await exportPage(db, scope, after, PAGE);
      for (const r of rows) if (!(await add(r))) return;
      if (rows.length < PAGE) break;
      after = { type: rows[rows.length - 1].resourceType, id: rows[rows.length - 1].id };
    }
    // Shared entities the exported records reference but the clinic did not send itself, so references resolve.
    const missing = [...sharedWanted].filter((id) => !sharedDone.has(id));
    for (let i = 0; i < missing.length; i += PAGE) {
      for (const r of await sharedEntities(db, missing.slice(i, i + PAGE), scope)) if (!(await add(r))) return;
    }
    if (!(await flush())) return;
    // Audited before the job shows as completed: no client can fetch files the trail does not know about.
    await audit(db, {
      clinicId: job.clinicId,
      action: 'export',
      outcome: 'success',
      patientIds: [...own, ...foreign],
      resourceTypes: [...counts.keys()].sort(),
      detail: `job ${job.id} (${job.level}): ${exported} resources`,
    });
    if (!(await updateExportJob(db, job.id, { status: 'completed', progress: `${exported} resources exported` }))) return;
  } catch (err) {
    await updateExportJob(db, job.id, { status: 'failed', error: 'the export failed; start a new one' }).catch(() => undefined);
    await audit(db, { clinicId: job.clinicId, action: 'export', outcome: 'error', detail: `job ${job.id}: ${(err as Error).name}` }).catch(() => undefined);
  }
}

/** A job whose runner has said nothing for this long is taken as orphaned (every page and file refreshes the heartbeat). */
export const EXPORT_STALLED_MS = 120_000;

/** How long finished export files are kept (the manifest's `Expires`). */
export const EXPORT_KEEP_MS = 24 * 3600_000;

/**
 * Housekeeping of exports: drops finished jobs past EXPORT_KEEP_MS, then reruns every job left unfinished by a
 * process that died; returns how many were resumed.
 */
export async function resumeStalledExports(db: Db, stalledMs = EXPORT_STALLED_MS, log?: LogService): Promise<number> {
  await deleteExpiredExportJobs(db, EXPORT_KEEP_MS);
  let resumed = 0;
  for (let job = await claimStalledExportJob(db, stalledMs); job; job = await claimStalledExportJob(db, stalledMs)) {
    await runExportJob(db, job, log);
    resumed++;
  }
  return resumed;
}
