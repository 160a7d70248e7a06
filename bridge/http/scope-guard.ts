import type { NextFunction, Request, Response } from 'express';
import { checkRequestScope } from '../access/scope-check';
import type { AccessServices } from '../access/services';
import { sessionOf } from './auth';

/**
 * `/fhir/{type}…`: the SMART scopes of the session must allow what the method and path ask for (bridge/access
 * decides and audits; this only hands it the request line). The root (`POST /fhir`, a Bundle) is checked entry by
 * entry by the push.
 */
export const fhirScopeGuard =
  (svc: AccessServices) =>
  async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await checkRequestScope(svc, sessionOf(req), req.method, req.path);
    next();
  };
