import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { FhirError } from '../fhir/outcome';
import type { Db } from '../store/db';
import { Clinic, findClinicByApiKey } from '../store/clinics';

declare module 'express-serve-static-core' {
  interface Request {
    clinic?: Clinic;
  }
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

const unauthorized = (why: string): FhirError => new FhirError(401, [{ code: 'login', diagnostics: why }]);

/** Every request under it must carry a clinic's API key; the clinic is attached to the request for attribution. */
export function requireClinic(db: Db) {
  const cache = new Map<string, { clinic: Clinic; until: number }>();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearer(req);
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      throw unauthorized('missing Authorization: Bearer <clinic API key>');
    }
    const cached = cache.get(key);
    let clinic = cached && cached.until > Date.now() ? cached.clinic : null;
    if (!clinic) {
      clinic = await findClinicByApiKey(db, key);
      if (clinic) cache.set(key, { clinic, until: Date.now() + 60_000 });
    }
    if (!clinic) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw unauthorized('the API key is not valid');
    }
    req.clinic = clinic;
    next();
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Admin endpoints: the bridge's admin token, compared in constant time. */
export function requireAdmin(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = bearer(req);
    if (!adminToken || !key || !timingSafeEqual(digest(key), digest(adminToken))) {
      res.set('WWW-Authenticate', 'Bearer');
      throw unauthorized('admin endpoints need Authorization: Bearer <BRIDGE_ADMIN_TOKEN>');
    }
    next();
  };
}
