/** Pieces the FHIR routes share: route options, type checks, answers, and a push with its failure audited. */
import type { Request, Response } from 'express';
import { FhirError } from '../../fhir/outcome';
import { isResourceType } from '../../fhir/resource-types';
import type { IngestPool } from '../../ingest/ingest-pool';
import type { PushResult } from '../../ingest/push';
import { recordAudit } from '../../store/audit';
import type { Db } from '../../store/db';
import type { StoredResource } from '../../store/resources';
import { FHIR_BODY_TYPES } from '../body';
import { FHIR_JSON } from '../errors';
import type { AuthGuard } from '../auth';

export interface FhirRouteOptions {
  db: Db;
  ingest: IngestPool;
  maxBodyBytes: number;
  maxEntries: number;
  personSystems: string[];
  /** Break-glass reads per clinic and hour (BREAK_GLASS_LIMIT). */
  breakGlassLimit?: number;
  publicBaseUrl?: string;
  version: string;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
}

export { FHIR_BODY_TYPES } from '../body';

export const baseUrl = (req: Request, configured?: string): string => `${configured ?? `${req.protocol}://${req.get('host')}`}/fhir`;

export function knownType(type: string): string {
  if (!isResourceType(type)) throw new FhirError(404, [{ code: 'not-supported', diagnostics: `"${type}" is not a FHIR R4 resource type` }]);
  return type;
}

export function notFound(type: string, id: string): FhirError {
  return new FhirError(404, [{ code: 'not-found', diagnostics: `${type}/${id} is not known` }]);
}

export function sendResource(res: Response, stored: StoredResource, status = 200): void {
  res.status(status).set('ETag', `W/"${stored.version}"`).set('Last-Modified', new Date(stored.lastUpdated).toUTCString()).type(FHIR_JSON).json(stored.content);
}

/** The request body as text of a FHIR JSON type, or 415. */
export function fhirBodyText(req: Request, what: string): string {
  if (!req.is(FHIR_BODY_TYPES) || typeof req.body !== 'string') {
    throw new FhirError(415, [{ code: 'not-supported', diagnostics: `send the ${what} as application/fhir+json` }]);
  }
  return req.body;
}

/** Pushes bundle text as the calling clinic (on the ingest pool); a failed push is audited before it is answered. */
export async function pushAudited(opts: FhirRouteOptions, clinicId: string, text: string): Promise<PushResult> {
  try {
    return await opts.ingest.push({ clinicId, maxEntries: opts.maxEntries, personSystems: opts.personSystems }, text);
  } catch (err) {
    await recordAudit(opts.db, { clinicId, action: 'push', outcome: 'error', detail: `status ${err instanceof FhirError ? err.status : 500}` });
    throw err;
  }
}

/** X-Bundle-Hash (and X-Bundle-Replayed) of a push. */
export function setPushHeaders(res: Response, result: PushResult): void {
  res.set('X-Bundle-Hash', result.hash);
  if (result.replayed) res.set('X-Bundle-Replayed', 'true');
}
