/**
 * SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the client credentials grant with a
 * `private_key_jwt` client assertion (RFC 7523 §2.2, §3), the token answer of RFC 6749 §5.1 and its errors (§5.2),
 * and the discovery document `.well-known/smart-configuration`. Access tokens are opaque and live in the database
 * (bridge/store/smart.ts), so every process sharing it accepts them and honours their expiry alike.
 */
import { createHash } from 'node:crypto';
import express, { Request, Response, Router } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, JWTVerifyGetKey, jwtVerify } from 'jose';
import { grantScopes, SUPPORTED_SCOPES } from '../../access/scopes';
import type { Db } from '../../store/db';
import { findSmartClient, issueToken, useJti } from '../../store/smart';
import type { AuthGuard } from '../auth';

export const TOKEN_LIFETIME_SECONDS = 300;
/** SMART Backend Services: the assertion's exp no more than five minutes ahead. */
const MAX_ASSERTION_SECONDS = 300;
export const SIGNING_ALGS = ['RS384', 'ES384'];
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const tokenUrl = (req: Request, publicBaseUrl?: string): string => `${publicBaseUrl ?? `${req.protocol}://${req.get('host')}`}/auth/token`;

class OAuthError extends Error {
  constructor(readonly status: 400 | 401 | 429, readonly error: string, readonly description: string, readonly retryAfter?: number) { super(description); }
}
/**
 * Remote key sets by URL, per process: jose fetches with a timeout, caches for 10 minutes and refetches (at most every
 * 30 s) when an assertion names an unknown kid, so a clinic's key rotation is picked up without an admin.
 */
const remoteSets = new Map<string, JWTVerifyGetKey>();
function keySet(client: { jwks: { keys: unknown[] } | null; jwksUrl: string | null }): JWTVerifyGetKey {
  if (!client.jwksUrl) return createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]);
  let set = remoteSets.get(client.jwksUrl);
  if (!set) {
    if (remoteSets.size >= 1000) remoteSets.clear();
    set = createRemoteJWKSet(new URL(client.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    remoteSets.set(client.jwksUrl, set);
  }
  return set;
}

interface TokenAnswer { access_token: string; token_type: 'bearer'; expires_in: number; scope: string }
const invalidClient = (why: string): OAuthError => new OAuthError(401, 'invalid_client', why);

/**
 * The API keys' throttle (bridge/http/auth-throttle.ts) applies here too: after AUTH_FAIL_LIMIT `invalid_client`s from
 * an address it is answered 429 unchecked, except for a client id that has already succeeded from that address.
 */
async function token(db: Db, req: Request, publicBaseUrl?: string, guard?: AuthGuard): Promise<TokenAnswer> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const field = (k: string): string | undefined => (typeof body[k] === 'string' ? body[k] as string : undefined);
  if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  if (field('grant_type') !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  if (field('client_assertion_type') !== ASSERTION_TYPE) throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
  const assertion = field('client_assertion');
  if (!assertion) throw new OAuthError(400, 'invalid_request', 'client_assertion is missing');

  let clientId: unknown;
  try { clientId = decodeJwt(assertion).iss; } catch { clientId = undefined; }
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const credential = createHash('sha256').update(`smart:${String(clientId)}`).digest('hex');
  const wait = guard?.throttle.retryAfter(address, credential);
  if (wait !== undefined) throw new OAuthError(429, 'temporarily_unavailable', `too many failed authentication attempts from this address; retry after ${wait} s`, wait);
  try {
    const answer = await verifiedToken(db, req, assertion, clientId, field('scope'), publicBaseUrl);
    guard?.throttle.succeeded(address, credential);
    return answer;
  } catch (err) {
    if (guard && err instanceof OAuthError && err.error === 'invalid_client' && guard.throttle.failed(address)) {
      guard.log.warn({ client: address, kind: 'smart-client' }, 'failed authentication attempts throttled for this address');
    }
    throw err;
  }
}

/** RFC 7523 §3 checks of the assertion, the jti's first use, then the token for the granted scopes. */
async function verifiedToken(db: Db, req: Request, assertion: string, clientId: unknown, scope: string | undefined, publicBaseUrl?: string): Promise<TokenAnswer> {
  if (clientId === undefined) throw invalidClient('client_assertion is not a JWT with an iss');
  const client = typeof clientId === 'string' ? await findSmartClient(db, clientId) : null;
  if (!client) throw invalidClient('the client is not registered');
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keySet(client), {
      algorithms: SIGNING_ALGS, issuer: client.clientId, subject: client.clientId, audience: tokenUrl(req, publicBaseUrl), requiredClaims: ['exp', 'jti'],
    }));
  } catch (err) {
    // The reason, never the token: jose's messages name the claim that failed, not its value.
    const why = err instanceof joseErrors.JWTExpired ? 'the client assertion has expired'
      : err instanceof joseErrors.JWTClaimValidationFailed ? `the client assertion's ${err.claim} claim is not valid`
      : err instanceof joseErrors.JWKSTimeout || (client.jwksUrl && !(err instanceof joseErrors.JOSEError)) ? 'the client\'s JWKS URL could not be fetched'
      : 'the client assertion signature could not be verified with the registered keys';
    throw invalidClient(why);
  }
  const exp = payload.exp!;
  if (exp > Math.floor(Date.now() / 1000) + MAX_ASSERTION_SECONDS) throw invalidClient('the client assertion must expire within five minutes');
  if (typeof payload.jti !== 'string' || payload.jti.length > 255) throw invalidClient('the client assertion needs a jti');
  if (!(await useJti(db, client.clientId, payload.jti, new Date(exp * 1000)))) throw invalidClient('the client assertion was already used (jti replayed)');

  const scopes = grantScopes(scope);
  if (scopes.length === 0) throw new OAuthError(400, 'invalid_scope', `scope must name system scopes such as system/*.rs or system/Patient.cruds`);
  const accessToken = await issueToken(db, client.clinicId, scopes, TOKEN_LIFETIME_SECONDS);
  return { access_token: accessToken, token_type: 'bearer', expires_in: TOKEN_LIFETIME_SECONDS, scope: scopes.join(' ') };
}

export function smartConfiguration(req: Request, publicBaseUrl?: string): Record<string, unknown> {
  return {
    token_endpoint: tokenUrl(req, publicBaseUrl),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    grant_types_supported: ['client_credentials'],
    scopes_supported: SUPPORTED_SCOPES,
    capabilities: ['client-confidential-asymmetric', 'permission-v2', 'permission-v1'],
  };
}

/** `POST /auth/token` and the discovery document at `/.well-known/…` and `/fhir/.well-known/…` (no authentication). */
export function smartRouter(db: Db, publicBaseUrl?: string, guard?: AuthGuard): Router {
  const router = Router();
  router.post('/auth/token', express.urlencoded({ extended: false, limit: 16 * 1024 }), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache'); // RFC 6749 §5.1
    try {
      res.json(await token(db, req, publicBaseUrl, guard));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
      if (err.retryAfter !== undefined) res.set('Retry-After', String(err.retryAfter));
      res.status(err.status).json({ error: err.error, error_description: err.description });
    }
  });
  const discovery = (req: Request, res: Response): void => { res.json(smartConfiguration(req, publicBaseUrl)); };
  router.get('/.well-known/smart-configuration', discovery);
  router.get('/fhir/.well-known/smart-configuration', discovery);
  return router;
}
