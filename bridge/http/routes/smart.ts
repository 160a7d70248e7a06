/**
 * SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the client credentials grant with a
 * `private_key_jwt` client assertion (RFC 7523 §2.2, §3), the token answer of RFC 6749 §5.1 and its errors (§5.2),
 * and the discovery document `.well-known/smart-configuration`. Access tokens are opaque and live in the database
 * (bridge/access/smart-token.ts), so every process sharing it accepts them and honours their expiry alike.
 */
import { createHash } from 'node:crypto';
import express, { Request, Response, Router } from 'express';
import { decodeJwt } from 'jose';
import { SUPPORTED_SCOPES } from '../../access/scopes';
import type { AccessServices } from '../../access/services';
import { issueAccessToken, OAuthError, SIGNING_ALGS, TokenAnswer } from '../../access/smart-token';
import type { AuthGuard } from '../auth';
import { publicOrigin } from '../toolkit';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const tokenUrl = (req: Request, publicBaseUrl?: string): string => `${publicOrigin(req, publicBaseUrl)}/auth/token`;

/**
 * The API keys' throttle (bridge/http/auth-throttle.ts) applies here too: after AUTH_FAIL_LIMIT `invalid_client`s from
 * an address it is answered 429 unchecked, except for a client id that has already succeeded from that address.
 */
async function token(svc: AccessServices, req: Request, publicBaseUrl?: string, guard?: AuthGuard): Promise<TokenAnswer> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const field = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
  if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  if (field('grant_type') !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  if (field('client_assertion_type') !== ASSERTION_TYPE) throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
  const assertion = field('client_assertion');
  if (!assertion) throw new OAuthError(400, 'invalid_request', 'client_assertion is missing');

  let clientId: unknown;
  try {
    clientId = decodeJwt(assertion).iss;
  } catch {
    clientId = undefined;
  }
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const credential = createHash('sha256')
    .update(`smart:${String(clientId)}`)
    .digest('hex');
  const wait = guard?.throttle.retryAfter(address, credential);
  if (wait !== undefined)
    throw new OAuthError(429, 'temporarily_unavailable', `too many failed authentication attempts from this address; retry after ${wait} s`, wait);
  try {
    const answer = await issueAccessToken(svc, assertion, clientId, field('scope'), tokenUrl(req, publicBaseUrl));
    guard?.throttle.succeeded(address, credential);
    return answer;
  } catch (err) {
    if (guard && err instanceof OAuthError && err.error === 'invalid_client' && guard.throttle.failed(address)) {
      guard.log.warn({ client: address, kind: 'smart-client' }, 'failed authentication attempts throttled for this address');
    }
    throw err;
  }
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
export function smartRouter(svc: AccessServices, publicBaseUrl?: string, guard?: AuthGuard): Router {
  const router = Router();
  router.post('/auth/token', express.urlencoded({ extended: false, limit: 16 * 1024 }), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache'); // RFC 6749 §5.1
    try {
      res.json(await token(svc, req, publicBaseUrl, guard));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
      if (err.retryAfter !== undefined) res.set('Retry-After', String(err.retryAfter));
      res.status(err.status).json({ error: err.error, error_description: err.description });
    }
  });
  const discovery = (req: Request, res: Response): void => {
    res.json(smartConfiguration(req, publicBaseUrl));
  };
  router.get('/.well-known/smart-configuration', discovery);
  router.get('/fhir/.well-known/smart-configuration', discovery);
  return router;
}
