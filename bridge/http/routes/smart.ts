/**
 * SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the client credentials grant with a
 * `private_key_jwt` client assertion (RFC 7523 §2.2, §3), the token answer of RFC 6749 §5.1 and its errors (§5.2),
 * and the discovery document `.well-known/smart-configuration`. Access tokens are opaque and live in the database
 * (bridge/access/smart-token.ts), so every process sharing it accepts them and honours their expiry alike.
 * The same endpoint serves patient apps (SMART App Launch 2.0 standalone launch, public clients): the grant types
 * authorization_code (PKCE S256) and refresh_token (bridge/access/patient-oauth.ts).
 */
import { createHash } from 'node:crypto';
import express, { Request, Response, Router } from 'express';
import { decodeJwt } from 'jose';
import { SUPPORTED_SCOPES } from '../../access/scopes';
import type { AccessServices } from '../../access/services';
import { tokenFromCode, tokenFromRefresh, type PatientOAuthSettings, type PatientTokenAnswer } from '../../access/patient-oauth';
import { PATIENT_SUPPORTED_SCOPES } from '../../access/patient-scopes';
import { issueAccessToken, OAuthError, SIGNING_ALGS, TokenAnswer } from '../../access/smart-token';
import type { AuthGuard } from '../auth';
import { fhirBaseUrl, publicOrigin } from '../toolkit';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const tokenUrl = (req: Request, publicBaseUrl?: string): string => `${publicOrigin(req, publicBaseUrl)}/auth/token`;

/**
 * The API keys' throttle (bridge/http/auth-throttle.ts) applies here too: after AUTH_FAIL_LIMIT `invalid_client`s from
 * an address it is answered 429 unchecked, except for a client id that has already succeeded from that address.
 */
async function token(
  svc: AccessServices,
  req: Request,
  publicBaseUrl?: string,
  guard?: AuthGuard,
  patient?: PatientOAuthSettings,
): Promise<TokenAnswer | PatientTokenAnswer> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const field = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
  if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  const grant = field('grant_type');
  if (patient && (grant === 'authorization_code' || grant === 'refresh_token')) {
    const fields: Record<string, string | undefined> = {};
    for (const k of Object.keys(body)) fields[k] = field(k);
    const base = fhirBaseUrl(req, publicBaseUrl);
    return grant === 'authorization_code' ? tokenFromCode(svc, patient, fields, base) : tokenFromRefresh(svc, patient, fields, base);
  }
  if (grant !== 'client_credentials')
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be client_credentials${patient ? ', authorization_code or refresh_token' : ''}`);
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

/**
 * SMART App Launch 2.0 §"Conformance" (`.well-known/smart-configuration`): what is implemented, nothing more. With the
 * patients' authorization server: standalone patient launch for public clients, PKCE S256, refresh tokens
 * (offline_access and online_access), OpenID Connect id_tokens (sso-openid-connect), revocation (RFC 7009).
 */
export function smartConfiguration(req: Request, publicBaseUrl?: string, patient?: PatientOAuthSettings): Record<string, unknown> {
  const backend = {
    token_endpoint: tokenUrl(req, publicBaseUrl),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    grant_types_supported: ['client_credentials'],
    scopes_supported: SUPPORTED_SCOPES,
    capabilities: ['client-confidential-asymmetric', 'permission-v2', 'permission-v1'],
  };
  if (!patient) return backend;
  const origin = publicOrigin(req, publicBaseUrl);
  return {
    issuer: fhirBaseUrl(req, publicBaseUrl),
    jwks_uri: `${origin}/auth/jwks`,
    authorization_endpoint: `${origin}/auth/authorize`,
    token_endpoint: backend.token_endpoint,
    revocation_endpoint: `${origin}/auth/revoke`,
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [...PATIENT_SUPPORTED_SCOPES, ...SUPPORTED_SCOPES],
    capabilities: [
      'launch-standalone',
      'context-standalone-patient',
      'client-public',
      'client-confidential-asymmetric',
      'permission-patient',
      'permission-offline',
      'permission-online',
      'permission-v2',
      'permission-v1',
      'sso-openid-connect',
    ],
  };
}

/** `POST /auth/token` and the discovery document at `/.well-known/…` and `/fhir/.well-known/…` (no authentication). */
export function smartRouter(svc: AccessServices, publicBaseUrl?: string, guard?: AuthGuard, patient?: PatientOAuthSettings): Router {
  const router = Router();
  router.post('/auth/token', express.urlencoded({ extended: false, limit: 16 * 1024 }), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache'); // RFC 6749 §5.1
    try {
      res.json(await token(svc, req, publicBaseUrl, guard, patient));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
      if (err.retryAfter !== undefined) res.set('Retry-After', String(err.retryAfter));
      res.status(err.status).json({ error: err.error, error_description: err.description });
    }
  });
  const discovery = (req: Request, res: Response): void => {
    res.json(smartConfiguration(req, publicBaseUrl, patient));
  };
  router.get('/.well-known/smart-configuration', discovery);
  router.get('/fhir/.well-known/smart-configuration', discovery);
  return router;
}
