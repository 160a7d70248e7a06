/**
 * `POST /fhir/Patient/$match` (FHIR R4 patient-operation-match, IHE PDQm ITI-119): a clinic that has never seen a
 * traveller finds her among the people of every clinic without anything being pushed. Parse, call the access layer
 * (bridge/access/match.ts: limit, retrieval, scoring, handles, audit), answer the PDQm Match Output Bundle.
 */
import { Request, Response, Router } from 'express';
import { DEFAULT_MATCH_HANDLE_TTL_SECONDS, DEFAULT_MATCH_LIMIT, matchPatients } from '../../access/match';
import type { Session } from '../../access/session';
import { matchBundle } from '../../fhir/match-bundle';
import { parseMatchParameters } from '../../fhir/match-params';
import { outcomes } from '../../fhir/outcome';
import type { Db } from '../../store/db';
import { AuthGuard, requireClinic } from '../auth';
import { fhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { checkScope } from '../scope-guard';
import { fhirBaseUrl, readQuery } from '../toolkit';
import { requestPurpose } from './audit-events';

export interface MatchRouteOptions {
  db: Db;
  guard?: AuthGuard;
  publicBaseUrl?: string;
  personSystems: readonly string[];
  /** MATCH_LIMIT (default 60 per clinic and hour) and MATCH_HANDLE_TTL_SECONDS (default 7 days). */
  limit?: number;
  handleTtlSeconds?: number;
}

/** A $match body is one Patient and three parameters: 64 KiB is ample. */
const MAX_MATCH_BODY = 64 * 1024;

/** The request's session, built from the authenticated clinic until the access layer hands one over as req.session. */
function sessionOf(req: Request): Session {
  const clinic = req.clinic!;
  return {
    principal: { kind: 'clinic', clinicId: clinic.id, clinicName: clinic.name },
    credential: req.scopes ? 'smart-token' : 'api-key',
    scopes: req.scopes,
    purpose: requestPurpose(req),
  };
}

function parseBody(req: Request): unknown {
  if (typeof req.body !== 'string') throw outcomes.unsupportedMediaType('Patient/$match takes a FHIR JSON body (Content-Type: application/fhir+json)');
  try {
    return JSON.parse(req.body);
  } catch {
    throw outcomes.structure('the request body is not valid JSON');
  }
}

export function matchRouter(opts: MatchRouteOptions): Router {
  const router = Router();
  const path = '/fhir/Patient/$match';
  router.post(path, requireClinic(opts.db, opts.guard), fhirBody(MAX_MATCH_BODY), async (req: Request, res: Response) => {
    readQuery(req.query as Record<string, unknown>, [], 'Patient/$match');
    await checkScope(opts.db, req, 'Patient', 'search');
    const request = parseMatchParameters(parseBody(req));
    const result = await matchPatients(opts.db, sessionOf(req), request, {
      personSystems: opts.personSystems, limit: opts.limit ?? DEFAULT_MATCH_LIMIT, handleTtlSeconds: opts.handleTtlSeconds ?? DEFAULT_MATCH_HANDLE_TTL_SECONDS,
    });
    res.type(FHIR_JSON).json(matchBundle(fhirBaseUrl(req, opts.publicBaseUrl), request.patient, result.answers, result.note));
  });
  router.all(path, () => {
    throw outcomes.methodNotAllowed('Patient/$match is invoked with POST (FHIR R4 patient-operation-match)');
  });
  return router;
}
