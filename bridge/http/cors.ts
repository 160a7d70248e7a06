/**
 * CORS for browser FHIR apps (fhirclient.js, SMART apps, MedplumClient in a page) on the FHIR API and the SMART token
 * endpoint: the origins of CORS_ORIGINS (exact origins, or `*`), none by default. Preflights are answered here, before
 * authentication: a browser sends them without the Authorization header (Fetch standard, "CORS-preflight request").
 * Credentials mode is never allowed: API calls carry a bearer token, never a cookie.
 */
import cors from 'cors';
import type { RequestHandler } from 'express';
import { LOG_PROMISE_HEADER } from './log-promise';

/** Paths a browser app calls across origins. */
export const CORS_PATHS = ['/fhir', '/auth/token', '/.well-known/smart-configuration'];

/** What a FHIR client sends (R4 http.html: conditional, versioned and preference headers; the bridge's access headers). */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'If-Match',
  'If-None-Match',
  'If-None-Exist',
  'If-Modified-Since',
  'Prefer',
  'X-Purpose-Of-Use',
  'X-Break-Glass',
];
/** What a client reads of an answer: versions, locations, the bundle hash and the log promise. */
const EXPOSED_HEADERS = ['ETag', 'Location', 'Content-Location', 'Last-Modified', 'X-Bundle-Hash', 'X-Bundle-Replayed', 'Retry-After', LOG_PROMISE_HEADER];

/** The CORS middleware for `origins` (`*`: any origin), or undefined when none is allowed. */
export function corsFor(origins: readonly string[] | '*'): RequestHandler | undefined {
  if (origins !== '*' && !origins.length) return undefined;
  const allowed = origins === '*' ? undefined : new Set(origins);
  return cors({
    origin: allowed ? (origin, done) => done(null, !!origin && allowed.has(origin)) : '*',
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
