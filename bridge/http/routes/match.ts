/**
 * `POST /fhir/Patient/$match` (FHIR R4 patient-operation-match, IHE PDQm ITI-119): a clinic that has never seen a
 * traveller finds her among the people of every clinic without anything being pushed. Parse, call the access layer
 * (bridge/access/match.ts: limit, retrieval, scoring, handles, audit), answer the PDQm Match Output Bundle.
 */
import { Request, Response, Router } from 'express';
import { matchPatients } from '../../access/match';
import { checkScope } from '../../access/scope-check';
import type { AccessServices } from '../../access/services';
import { matchBundle } from '../../fhir/match-bundle';
import { parseMatchParameters } from '../../fhir/match-params';
import { outcomes } from '../../fhir/outcome';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { fhirBody, parsedFhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, readQuery } from '../toolkit';

export interface MatchRouteOptions {
  access: AccessServices;
  guard?: AuthGuard;
  publicBaseUrl?: string;
}

/** A $match body is one Patient and three parameters: 64 KiB is ample. */
const MAX_MATCH_BODY = 64 * 1024;

export function matchRouter(opts: MatchRouteOptions): Router {
  const router = Router();
  const path = '/fhir/Patient/$match';
  router.post(path, requireSession(opts.access, opts.guard), fhirBody(MAX_MATCH_BODY), async (req: Request, res: Response) => {
    readQuery(req.query as Record<string, unknown>, [], 'Patient/$match');
    const session = sessionOf(req);
    await checkScope(opts.access, session, 'Patient', 'search');
    const request = parseMatchParameters(parsedFhirBody(req, 'the Patient/$match Parameters'));
    const result = await matchPatients(opts.access, session, request);
    res.type(FHIR_JSON).json(matchBundle(fhirBaseUrl(req, opts.publicBaseUrl), request.patient, result.answers, result.note));
  });
  router.all(path, () => {
    throw outcomes.methodNotAllowed('Patient/$match is invoked with POST (FHIR R4 patient-operation-match)');
  });
  return router;
}
