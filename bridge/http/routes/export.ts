/**
 * Bulk Data export (FHIR Bulk Data Access IG, v2): `$export` kick-off at system and Patient level (GET or POST,
 * `Prefer: respond-async`), status polling, NDJSON files (needing the clinic key), DELETE to cancel.
 */
import { randomUUID } from 'node:crypto';
import { Request, Response, Router } from 'express';
import { boundedInteger } from '../../fhir/integers';
import { FhirError } from '../../fhir/outcome';
import { isBridgeId } from '../../fhir/references';
import { EXPORT_KEEP_MS, runExportJob } from '../../pull/export-job';
import type { Db } from '../../store/db';
import { createExportJob, deleteExportJob, listExportFiles, readExportFile, readExportJob } from '../../store/export';
import { AuthGuard, requireClinic } from '../auth';
import { checkScope } from '../scope-guard';
import { FHIR_JSON } from '../errors';
import { sinceParam, typesParam } from './pull';

export interface ExportRouteOptions {
  db: Db;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
  publicBaseUrl?: string;
  /** Runs a job in the background (default: on this process, after the response). */
  schedule?: (run: () => Promise<void>) => void;
}

const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];
const KICKOFF_PARAMS = new Set(['_type', '_since', '_outputFormat']);
const fhirBase = (req: Request, configured?: string): string => `${configured ?? `${req.protocol}://${req.get('host')}`}/fhir`;
const bad = (diagnostics: string): FhirError => new FhirError(400, [{ code: 'invalid', diagnostics }]);
const noJob = (id: string): FhirError => new FhirError(404, [{ code: 'not-found', diagnostics: `export job ${id} is not known (finished and deleted, cancelled, or never started)` }]);

export function exportRouter(opts: ExportRouteOptions): Router {
  const router = Router();
  const auth = requireClinic(opts.db, opts.guard);
  const schedule = opts.schedule ?? ((run) => setImmediate(() => void run()));

  const kickoff = (level: 'system' | 'patient') => async (req: Request, res: Response): Promise<void> => {
    if (!/respond-async/i.test(req.get('prefer') ?? '')) throw bad('$export needs the header Prefer: respond-async');
    const query = req.query as Record<string, unknown>;
    for (const k of Object.keys(query)) if (!KICKOFF_PARAMS.has(k)) throw bad(`$export does not support the parameter "${k}"`);
    for (const k of Object.keys(query)) if (typeof query[k] !== 'string') throw bad(`${k} must be given once`);
    const format = query._outputFormat as string | undefined;
    if (format !== undefined && !NDJSON_FORMATS.includes(format)) throw bad(`_outputFormat ${format} is not supported (application/fhir+ndjson)`);
    const types = typesParam(query._type as string | undefined) ?? null;
    const since = sinceParam(query._since as string | undefined) ?? null;
    for (const t of types ?? ['*']) await checkScope(opts.db, req, t, 'read');
    const base = fhirBase(req, opts.publicBaseUrl);
    const job = await createExportJob(opts.db, {
      id: randomUUID(), clinicId: req.clinic!.id, level, types, since,
      requestUrl: `${base}${req.originalUrl.slice(req.originalUrl.indexOf('/fhir') + 5)}`,
    });
    schedule(() => runExportJob(opts.db, job));
    res.status(202).set('Content-Location', `${base}/$export-status/${job.id}`).type(FHIR_JSON).json({
      resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `${base}/$export-status/${job.id}` }],
    });
  };
  router.get('/fhir/$export', auth, kickoff('system'));
  router.post('/fhir/$export', auth, kickoff('system'));
  router.get('/fhir/Patient/$export', auth, kickoff('patient'));
  router.post('/fhir/Patient/$export', auth, kickoff('patient'));

  router.get('/fhir/$export-status/:job', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    const job = isBridgeId(id) ? await readExportJob(opts.db, req.clinic!.id, id) : null;
    if (!job) throw noJob(id);
    if (job.status === 'failed') {
      res.status(500).type(FHIR_JSON).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: job.error ?? 'the export failed' }] });
      return;
    }
    if (job.status !== 'completed') {
      res.status(202).set('X-Progress', job.progress ?? job.status).set('Retry-After', '1').end();
      return;
    }
    const base = fhirBase(req, opts.publicBaseUrl);
    const files = await listExportFiles(opts.db, job.id);
    res.status(200).set('Expires', new Date(Date.now() + EXPORT_KEEP_MS).toUTCString()).json({
      transactionTime: job.transactionTime,
      request: job.requestUrl,
      requiresAccessToken: true,
      output: files.map((f) => ({ type: f.resourceType, url: `${base}/$export-file/${job.id}/${f.seq}`, count: f.count })),
      error: [],
    });
  });

  router.delete('/fhir/$export-status/:job', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    if (!isBridgeId(id) || !(await deleteExportJob(opts.db, req.clinic!.id, id))) throw noJob(id);
    res.status(202).end();
  });

  router.get('/fhir/$export-file/:job/:seq', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    const seq = boundedInteger(String(req.params.seq));
    const content = isBridgeId(id) && seq !== undefined ? await readExportFile(opts.db, req.clinic!.id, id, seq) : null;
    if (content === null) throw new FhirError(404, [{ code: 'not-found', diagnostics: `export file ${id}/${req.params.seq} is not known` }]);
    res.status(200).type('application/fhir+ndjson').send(content);
  });
  return router;
}
