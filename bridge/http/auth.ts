import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { FhirError } from '../fhir/outcome';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import { Clinic, findClinicByApiKey } from '../store/clinics';
import { findToken } from '../store/smart';
import type { AuthThrottle } from './auth-throttle';

declare module 'express-serve-static-core' {
  interface Request {
    clinic?: Clinic;
    /** SMART scopes of the access token the request came with; absent for an API key (which may do everything). */
    scopes?: string[];
  }
}

/** How refusals are throttled and logged; absent: neither (routers built alone in tests). */
export interface AuthGuard {
  throttle: AuthThrottle;
  log: Logger;
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

const unauthorized = (why: string): FhirError => new FhirError(401, [{ code: 'login', diagnostics: why }]);
const digestHex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
/** The client address: the socket's, or the proxy's X-Forwarded-For as far as TRUST_PROXY allows (Express `req.ip`). */
const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** 429 before any check when the address is throttled and the credential is not one known to work from it. */
function refuseIfThrottled(guard: AuthGuard | undefined, req: Request, credential: string): void {
  const wait = guard?.throttle.retryAfter(clientAddress(req), credential);
  if (wait === undefined) return;
  throw new FhirError(429, [{ code: 'throttled', diagnostics: `too many failed authentication attempts from this address; retry after ${wait} s` }], wait);
}

function recordFailure(guard: AuthGuard | undefined, req: Request, kind: 'clinic' | 'admin'): void {
  if (!guard) return;
  const address = clientAddress(req);
  if (guard.throttle.failed(address)) guard.log.warn({ client: address, kind }, 'failed authentication attempts throttled for this address');
}

/**
 * Every request under it must carry a live clinic API key; the clinic is attached to the request for attribution.
 * No cache: each request reads the key from the database (one indexed lookup), so a key revoked or rotated through
 * any process sharing the database is refused by all of them from the moment the change commits.
 */
export function requireClinic(db: Db, guard?: AuthGuard) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearer(req);
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      throw unauthorized('missing Authorization: Bearer <clinic API key>');
    }
    const credential = digestHex(key);
    refuseIfThrottled(guard, req, credential);
    // SMART Backend Services access tokens (fabt_…, bridge/http/routes/smart.ts) carry scopes; API keys do not.
    const token = key.startsWith('fabt_') ? await findToken(db, key) : null;
    const clinic = token ? token.clinic : await findClinicByApiKey(db, key);
    if (!clinic) {
      recordFailure(guard, req, 'clinic');
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw unauthorized('the API key or access token is not valid');
    }
    guard?.throttle.succeeded(clientAddress(req), credential);
    req.clinic = clinic;
    if (token) req.scopes = token.scopes;
    next();
  };
}

/** Admin endpoints: the bridge's admin token, compared in constant time; failures throttled like clinic keys. */
export function requireAdmin(adminToken: string | undefined, guard?: AuthGuard) {
  const expected = adminToken ? Buffer.from(digestHex(adminToken), 'hex') : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = bearer(req);
    const credential = key ? digestHex(key) : '';
    if (key) refuseIfThrottled(guard, req, credential);
    if (!expected || !key || !timingSafeEqual(Buffer.from(credential, 'hex'), expected)) {
      if (key) recordFailure(guard, req, 'admin');
      res.set('WWW-Authenticate', 'Bearer');
      throw unauthorized('admin endpoints need Authorization: Bearer <BRIDGE_ADMIN_TOKEN>');
    }
    guard?.throttle.succeeded(clientAddress(req), credential);
    next();
  };
}
