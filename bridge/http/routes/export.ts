/**
 * Bulk Data export (FHIR Bulk Data Access IG, v2): `$export` kick-off at system and Patient level (GET or POST,
 * `Prefer: respond-async`), status polling, NDJSON files (needing the clinic key), DELETE to cancel. Jobs belong to
 * the session's clinic (bridge/access/exports).
 */
import { Request, Response, Router } from 'express';
import { cancelExport, EXPORT_KEEP_MS, exportFile, exportStatus, startExport } from '../../access/exports';
import type { AccessServices } from '../../access/services';
import { boundedInteger } from '../../fhir/integers';
import { informational, outcomes } from '../../fhir/outcome';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, readQuery } from '../toolkit';
import { proofsAsked } from './proofs';

export interface ExportRouteOptions {
  access: AccessServices;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
  publicBaseUrl?: string;
  /** Runs a job in the background (default: on this process, after the response). */
  schedule?: (run: () => Promise<void>) => void;
}

const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'] as const;
const KICKOFF_PARAMS = ['_type', '_since', '_outputFormat', '_proofs'];

/**
 * The manifest `output` item of a proofs file (`_proofs=true`) carries this key in its `extension` object (Bulk Data
 * IG: `extension` is reserved for servers, a JSON object), valued with the url of the resource file it proves; its
 * `type` is that file's resource type. A client that did not ask for proofs never sees such an item.
 */
export const LOG_PROOFS_OUTPUT_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proofs';
const noJob = (id: string) => outcomes.notFound(`export job ${id} is not known (finished and deleted, cancelled, or never started)`);

export function exportRouter(opts: ExportRouteOptions): Router {
  const router = Router();
  const svc = opts.access;
  const auth = requireSession(svc, opts.guard);
  const schedule = opts.schedule ?? ((run) => setImmediate(() => void run()));

  const kickoff =
    (level: 'system' | 'patient') =>
    async (req: Request, res: Response): Promise<void> => {
      if (!/respond-async/i.test(req.get('prefer') ?? '')) throw outcomes.invalid('$export needs the header Prefer: respond-async');
      const q = readQuery(req.query, KICKOFF_PARAMS, '$export');
      q.oneOf('_outputFormat', NDJSON_FORMATS);
      const base = fhirBaseUrl(req, opts.publicBaseUrl);
      const job = await startExport(
        svc,
        sessionOf(req),
        {
          level,
          types: q.types('_type') ?? null,
          since: q.instant('_since') ?? null,
          requestUrl: `${base}${req.originalUrl.slice(req.originalUrl.indexOf('/fhir') + 5)}`,
          proofs: proofsAsked(req),
        },
        schedule,
      );
      res
        .status(202)
        .set('Content-Location', `${base}/$export-status/${job.id}`)
        .type(FHIR_JSON)
        .json(informational(`${base}/$export-status/${job.id}`));
    };
  router.get('/fhir/$export', auth, kickoff('system'));
  router.post('/fhir/$export', auth, kickoff('system'));
  router.get('/fhir/Patient/$export', auth, kickoff('patient'));
  router.post('/fhir/Patient/$export', auth, kickoff('patient'));

  router.get('/fhir/$export-status/:job', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    const found = await exportStatus(svc, sessionOf(req), id);
    if (!found) throw noJob(id);
    const { job, files } = found;
    if (job.status === 'failed') {
      // Bulk Data IG: a failed job's status is a 5xx with an OperationOutcome (the job failed, not this request).
      res
        .status(500)
        .type(FHIR_JSON)
        .json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: job.error ?? 'the export failed' }] });
      return;
    }
    if (job.status !== 'completed') {
      res
        .status(202)
        .set('X-Progress', job.progress ?? job.status)
        .set('Retry-After', '1')
        .end();
      return;
    }
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    const fileUrl = (seq: number): string => `${base}/$export-file/${job.id}/${seq}`;
    res
      .status(200)
      .set('Expires', new Date(Date.now() + EXPORT_KEEP_MS).toUTCString())
      .json({
        transactionTime: job.transactionTime,
        request: job.requestUrl,
        requiresAccessToken: true,
        output: files.map((f) => ({
          type: f.resourceType,
          url: fileUrl(f.seq),
          count: f.count,
          ...(f.proofsOf !== null ? { extension: { [LOG_PROOFS_OUTPUT_EXTENSION]: fileUrl(f.proofsOf) } } : {}),
        })),
        error: [],
      });
  });

  router.delete('/fhir/$export-status/:job', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    if (!(await cancelExport(svc, sessionOf(req), id))) throw noJob(id);
    res.status(202).end();
  });

  router.get('/fhir/$export-file/:job/:seq', auth, async (req: Request, res: Response) => {
    const id = String(req.params.job);
    const file = await exportFile(svc, sessionOf(req), id, boundedInteger(String(req.params.seq)));
    if (file === null) throw outcomes.notFound(`export file ${id}/${req.params.seq} is not known`);
    // A proofs file holds proof JSON, not FHIR resources.
    res
      .status(200)
      .type(file.proofsOf === null ? 'application/fhir+ndjson' : 'application/x-ndjson')
      .send(file.content);
  });
  return router;
}
