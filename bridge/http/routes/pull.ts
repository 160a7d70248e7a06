/**
 * Pull operations for a foreign clinic: `GET /fhir/Patient/{id}/$everything` (FHIR R4 Patient-everything),
 * `GET /fhir/Patient/{id}/$summary` (IPS) and `GET /patients/{id}/history`. Access is decided, and every outcome
 * (refusals included) audited, by bridge/access/pulls; this file only parses and answers.
 */
import { Request, Response, Router } from 'express';
import { EVERYTHING_DEFAULT_COUNT, EVERYTHING_MAX_COUNT, everythingOf, EverythingRequest, summaryOf, timelineOf } from '../../access/pulls';
import { checkScope } from '../../access/scope-check';
import type { AccessServices } from '../../access/services';
import { AuthGuard, admitAccess, requireSession, sessionOf } from '../auth';
import { FHIR_JSON } from '../errors';
import { everythingProofs, proofsAsked } from './proofs';
import { fhirBaseUrl, pagedUrl, readQuery, sendJsonParts } from '../toolkit';

export interface PullRouteOptions {
  access: AccessServices;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
  publicBaseUrl?: string;
}

const EVERYTHING_PARAMS = ['start', 'end', '_since', '_type', '_count', '_offset', '_proofs'];

/** The parameters of a $everything (a request's query, or a bundle entry's). */
export function everythingRequest(query: Record<string, unknown>): EverythingRequest {
  const q = readQuery(query, EVERYTHING_PARAMS, '$everything');
  return {
    types: q.types('_type'),
    since: q.instant('_since'),
    start: q.instant('start', 'start'),
    end: q.instant('end', 'end'),
    count: q.int('_count', { min: 1, max: EVERYTHING_MAX_COUNT, fallback: EVERYTHING_DEFAULT_COUNT }),
    offset: q.int('_offset', { min: 0, max: 1e9, fallback: 0 }),
  };
}

export function pullRouter(opts: PullRouteOptions): Router {
  const router = Router();
  const svc = opts.access;
  // A person's whole record spans every type: a SMART token needs read on all (system/*.r or .rs).
  const everyType = async (req: Request, _res: Response, next: () => void): Promise<void> => {
    await checkScope(svc, sessionOf(req), '*', 'read');
    next();
  };
  const auth = [requireSession(svc, opts.guard), everyType, admitAccess(svc)];

  router.get('/fhir/Patient/:id/$everything', auth, async (req: Request, res: Response) => {
    const request = everythingRequest(req.query as Record<string, unknown>);
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    const pageUrl = pagedUrl(`${base}/Patient/${req.params.id}/$everything`, req.query as Record<string, unknown>, request.count);
    const page = await everythingOf(svc, sessionOf(req), String(req.params.id), request, base, pageUrl, { proofs: everythingProofs(req) });
    sendJsonParts(res, FHIR_JSON, page.parts);
  });

  router.get('/fhir/Patient/:id/$summary', auth, async (req: Request, res: Response) => {
    readQuery(req.query, [], '$summary');
    res.type(FHIR_JSON).json(await summaryOf(svc, sessionOf(req), String(req.params.id)));
  });

  router.get('/patients/:id/history', auth, async (req: Request, res: Response) => {
    res.json(await timelineOf(svc, sessionOf(req), String(req.params.id), { proofs: proofsAsked(req) }));
  });
  return router;
}
