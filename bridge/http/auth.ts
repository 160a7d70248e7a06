import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { admitAccessHeaders } from '../access/admission';
import { authenticateBearer } from '../access/authenticate';
import type { AccessServices } from '../access/services';
import { adminSession, Session } from '../access/session';
import { outcomes } from '../fhir/outcome';
import type { Logger } from '../log';
import type { AuthThrottle } from './auth-throttle';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who the request runs as (bridge/access/session.ts), built once by requireSession / requireAdmin. */
    session?: Session;
  }
}

/** How refusals are throttled and logged; absent: neither (routers built alone in tests). */
export interface AuthGuard {
  throttle: AuthThrottle;
  log: Logger;
}

/** The request's session; a route mounted behind requireSession / requireAdmin always has one. */
export function sessionOf(req: Request): Session {
  if (!req.session) throw outcomes.unauthenticated('this request carries no authenticated session');
  return req.session;
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

const digestHex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
/** The client address: the socket's, or the proxy's X-Forwarded-For as far as TRUST_PROXY allows (Express `req.ip`). */
const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** 429 before any check when the address is throttled and the credential is not one known to work from it. */
function refuseIfThrottled(guard: AuthGuard | undefined, req: Request, credential: string): void {
  const wait = guard?.throttle.retryAfter(clientAddress(req), credential);
  if (wait === undefined) return;
  throw outcomes.throttled(`too many failed authentication attempts from this address; retry after ${wait} s`, { retryAfterSeconds: wait });
}

function recordFailure(guard: AuthGuard | undefined, req: Request, kind: 'clinic' | 'admin'): void {
  if (!guard) return;
  const address = clientAddress(req);
  if (guard.throttle.failed(address)) guard.log.warn({ client: address, kind }, 'failed authentication attempts throttled for this address');
}

/**
 * Every request under it must carry a live clinic API key, clinic SMART access token or patient access token
 * (bridge/access/authenticate.ts, read per request); its session is attached as `req.session`. Which principal may do
 * what is the access layer's decision (a clinic operation answers a patient session 403 through `actingClinic`).
 */
export function requireSession(svc: AccessServices, guard?: AuthGuard) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearer(req);
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      throw outcomes.unauthenticated('missing Authorization: Bearer <API key or access token>');
    }
    const credential = digestHex(key);
    refuseIfThrottled(guard, req, credential);
    const session = await authenticateBearer(svc, key);
    if (!session) {
      recordFailure(guard, req, 'clinic');
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw outcomes.unauthenticated('the API key or access token is not valid');
    }
    guard?.throttle.succeeded(clientAddress(req), credential);
    req.session = session;
    next();
  };
}

/**
 * On routes that read patient records: the session's purpose of use and break-glass (X-Purpose-Of-Use,
 * X-Break-Glass), admitted by bridge/access/admission.ts (400 / 403 / 429 before anything is read).
 */
export function admitAccess(svc: AccessServices) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    req.session = await admitAccessHeaders(svc, sessionOf(req), { purposeOfUse: req.get('x-purpose-of-use'), breakGlass: req.get('x-break-glass') });
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
      throw outcomes.unauthenticated('admin endpoints need Authorization: Bearer <BRIDGE_ADMIN_TOKEN>');
    }
    guard?.throttle.succeeded(clientAddress(req), credential);
    req.session = adminSession();
    next();
  };
}
