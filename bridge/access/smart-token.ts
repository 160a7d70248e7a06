/**
 * SMART Backend Services token issuance (HL7 SMART App Launch 2.x "Backend Services"): the client credentials grant
 * with a `private_key_jwt` client assertion checked per RFC 7523 §3 against the JWKS an admin registered, each jti used
 * once, then an opaque access token (stored as its hash, bridge/store/smart.ts) for the granted system scopes.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, JWTVerifyGetKey, jwtVerify } from 'jose';
import { findSmartClient, issueToken, useJti } from '../store/smart';
import { grantScopes } from './scopes';
import type { AccessServices } from './services';

export const TOKEN_LIFETIME_SECONDS = 300;
/** SMART Backend Services: the assertion's exp no more than five minutes ahead. */
const MAX_ASSERTION_SECONDS = 300;
export const SIGNING_ALGS = ['RS384', 'ES384'];

/** An OAuth 2.0 error answer (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401 | 429,
    readonly error: string,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}
export const invalidClient = (why: string): OAuthError => new OAuthError(401, 'invalid_client', why);

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

export interface TokenAnswer {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

/** RFC 7523 §3 checks of the assertion (audience: the token URL), the jti's first use, then the token for the granted scopes. */
export async function issueAccessToken(
  svc: AccessServices,
  assertion: string,
  clientId: unknown,
  scope: string | undefined,
  audience: string,
): Promise<TokenAnswer> {
  if (clientId === undefined) throw invalidClient('client_assertion is not a JWT with an iss');
  const client = typeof clientId === 'string' ? await findSmartClient(svc.db, clientId) : null;
  if (!client) throw invalidClient('the client is not registered');
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keySet(client), {
      algorithms: SIGNING_ALGS,
      issuer: client.clientId,
      subject: client.clientId,
      audience,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (err) {
    // The reason, never the token: jose's messages name the claim that failed, not its value.
    const why =
      err instanceof joseErrors.JWTExpired
        ? 'the client assertion has expired'
        : err instanceof joseErrors.JWTClaimValidationFailed
          ? `the client assertion's ${err.claim} claim is not valid`
          : err instanceof joseErrors.JWKSTimeout || (client.jwksUrl && !(err instanceof joseErrors.JOSEError))
            ? "the client's JWKS URL could not be fetched"
            : 'the client assertion signature could not be verified with the registered keys';
    throw invalidClient(why);
  }
  const exp = payload.exp!;
  if (exp > Math.floor(Date.now() / 1000) + MAX_ASSERTION_SECONDS) throw invalidClient('the client assertion must expire within five minutes');
  if (typeof payload.jti !== 'string' || payload.jti.length > 255) throw invalidClient('the client assertion needs a jti');
  if (!(await useJti(svc.db, client.clientId, payload.jti, new Date(exp * 1000)))) throw invalidClient('the client assertion was already used (jti replayed)');

  const scopes = grantScopes(scope);
  if (scopes.length === 0) throw new OAuthError(400, 'invalid_scope', `scope must name system scopes such as system/*.rs or system/Patient.cruds`);
  const accessToken = await issueToken(svc.db, client.clinicId, scopes, TOKEN_LIFETIME_SECONDS);
  return { access_token: accessToken, token_type: 'bearer', expires_in: TOKEN_LIFETIME_SECONDS, scope: scopes.join(' ') };
}
