/** Pieces the FHIR routes share: route options, type checks and answers. */
import type { Request, Response } from 'express';
import type { PushResult } from '../../access/writes';
import type { StoredResource } from '../../access/reads';
import type { AccessServices } from '../../access/services';
import { outcomes, type FhirError } from '../../fhir/outcome';
import { isResourceType } from '../../fhir/resource-types';
import { FHIR_BODY_TYPES } from '../body';
import { FHIR_JSON } from '../errors';
import type { AuthGuard } from '../auth';

export interface FhirRouteOptions {
  /** The access layer (sessions, policy, audit); the routes never see the store. */
  access: AccessServices;
  maxBodyBytes: number;
  publicBaseUrl?: string;
  version: string;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
}

export { FHIR_BODY_TYPES } from '../body';

/** A resource type in the URL must be one of FHIR R4's: else 404 (R4 http.html: a type the server does not serve). */
export function knownType(type: string): string {
  if (!isResourceType(type)) throw outcomes.unknownType(`"${type}" is not a FHIR R4 resource type`);
  return type;
}

export function notFound(type: string, id: string): FhirError {
  return outcomes.notFound(`${type}/${id} is not known`);
}

export function sendResource(res: Response, stored: StoredResource, status = 200): void {
  res.status(status).set('ETag', `W/"${stored.version}"`).set('Last-Modified', new Date(stored.lastUpdated).toUTCString()).type(FHIR_JSON).json(stored.content);
}

/** The request body as text of a FHIR JSON type, or 415. */
export function fhirBodyText(req: Request, what: string): string {
  if (!req.is(FHIR_BODY_TYPES) || typeof req.body !== 'string') throw outcomes.unsupportedMediaType(`send the ${what} as application/fhir+json`);
  return req.body;
}

/** X-Bundle-Hash (and X-Bundle-Replayed) of a push. */
export function setPushHeaders(res: Response, result: PushResult): void {
  res.set('X-Bundle-Hash', result.hash);
  if (result.replayed) res.set('X-Bundle-Replayed', 'true');
}
