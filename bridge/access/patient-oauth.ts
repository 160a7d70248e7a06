/**
 * The patients' OAuth 2.0 authorization server: HL7 SMART App Launch 2.0 standalone patient launch with public clients.
 * Authorization code grant (RFC 6749 §4.1) with PKCE S256 only (RFC 7636 §4.2; `plain` refused as SMART 2.0 requires),
 * refresh tokens with rotation where a reused refresh token revokes its family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2),
 * token revocation (RFC 7009), and OpenID Connect id_tokens with the SMART `fhirUser` claim.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { inTransaction } from '../store/db';
import { findAccount, issuePatientToken, revokeTokenFamily, tokenFamily } from '../store/patient-accounts';
import {
  addPatientApp,
  consumeAuthorizationCode,
  consumeAuthorizationRequest,
  familySession,
  findAuthorizationRequest,
  findPatientApp,
  storeAuthorizationCode,
  storeAuthorizationRequest,
  takeRefreshToken,
  type AuthorizationRequest,
  type PatientApp,
  type SigninSession,
} from '../store/patient-identity';
import { audit } from './audit';
import { signIdToken, type IdTokenKey } from './id-token';
import { OAuthError } from './smart-token';
import { grantPatientScopes, withinGrant } from './patient-scopes';
import type { AccessServices } from './services';
import { actingAdmin, type Session } from './session';

export interface PatientOAuthSettings {
  idTokenKey: IdTokenKey;
  accessTokenSeconds: number;
  /** offline_access refresh tokens: absolute life from the authorization (rotation keeps the end). */
  offlineRefreshSeconds: number;
}
export const DEFAULT_PATIENT_ACCESS_TOKEN_SECONDS = 3600;
export const DEFAULT_OFFLINE_REFRESH_SECONDS = 90 * 86_400;
/** RFC 6749 §4.1.2: a code lives at most ten minutes; one minute is plenty. A pending request waits 15 minutes for sign-in. */
const CODE_SECONDS = 60;
const REQUEST_SECONDS = 900;

const BUILTIN_PORTAL_PATH = '/portal/';

/** The redirect URIs of an app: the portal's is computed from the public origin. */
export const redirectUrisOf = (app: PatientApp, origin: string): string[] => (app.builtin ? [`${origin}${BUILTIN_PORTAL_PATH}`] : app.redirectUris);

// ---- apps ----

/** https anywhere, http only on the loopback interface (RFC 8252 §7.3), no fragment (RFC 6749 §3.1.2). */
export function checkRedirectUri(u: unknown): string | null {
  if (typeof u !== 'string' || u.length > 2000) return null;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return null;
  }
  if (url.hash || u.includes('#')) return null;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  return u;
}

/** Registers a public patient app (admin); its client_id is new. Audited. */
export async function registerPatientApp(
  svc: Pick<AccessServices, 'db'>,
  session: Session,
  name: string,
  redirectUris: string[],
  via: 'admin-api' | 'cli',
): Promise<{ clientId: string; name: string; redirectUris: string[] }> {
  actingAdmin(session);
  const clientId = `app_${randomBytes(12).toString('base64url')}`;
  return inTransaction(svc.db, async (tx) => {
    await addPatientApp(tx, { clientId, name, redirectUris });
    await audit(tx, { clinicId: null, action: 'app-register', outcome: 'success', detail: `patient app ${clientId} registered (${via})` });
    return { clientId, name, redirectUris };
  });
}

// ---- authorize ----

export type AuthorizeResult =
  /** 400 answered to the browser, never a redirect: the client or redirect URI cannot be trusted (RFC 6749 §4.1.2.1). */
  | { kind: 'refuse'; error: string; description: string }
  | { kind: 'redirect'; location: string }
  /** Not signed in: the portal signs the patient in, then navigates to /auth/authorize?request=<requestId>. */
  | { kind: 'signin'; requestId: string };

export interface AuthorizeInput {
  params: Record<string, string | undefined>;
  signin: SigninSession | null;
  origin: string;
  fhirBase: string;
}

const redirectTo = (uri: string, params: Record<string, string | undefined>): string => {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
};

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The authorization endpoint's decision (RFC 6749 §4.1.1-4.1.2; SMART App Launch 2.0 §"Obtain authorization code"). */
export async function authorize(svc: Pick<AccessServices, 'db'>, input: AuthorizeInput): Promise<AuthorizeResult> {
  const p = input.params;
  if (p.request !== undefined) {
    const pending = await findAuthorizationRequest(svc.db, p.request);
    if (!pending)
      return { kind: 'refuse', error: 'invalid_request', description: 'the authorization request is unknown, used or expired: start again from the app' };
    if (!input.signin) return { kind: 'signin', requestId: p.request };
    const taken = await inTransaction(svc.db, (tx) => consumeAuthorizationRequest(tx, p.request as string));
    if (!taken)
      return { kind: 'refuse', error: 'invalid_request', description: 'the authorization request is unknown, used or expired: start again from the app' };
    return { kind: 'redirect', location: await grantCode(svc, taken, input.signin) };
  }
  const app = p.client_id ? await findPatientApp(svc.db, p.client_id) : null;
  if (!app) return { kind: 'refuse', error: 'invalid_client', description: 'client_id is not a registered app' };
  if (!p.redirect_uri || !redirectUrisOf(app, input.origin).includes(p.redirect_uri))
    return { kind: 'refuse', error: 'invalid_request', description: 'redirect_uri is not one registered for this client' };
  const fail = (error: string, description: string): AuthorizeResult => ({
    kind: 'redirect',
    location: redirectTo(p.redirect_uri as string, { error, error_description: description, state: p.state }),
  });
  if (p.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  if (p.code_challenge_method !== 'S256') return fail('invalid_request', 'PKCE is required: code_challenge_method must be S256');
  if (!p.code_challenge || !S256_CHALLENGE.test(p.code_challenge))
    return fail('invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier');
  if (!p.state || p.state.length > 1024) return fail('invalid_request', 'state is required (SMART App Launch), at most 1024 characters');
  if (!p.aud || p.aud.replace(/\/$/, '') !== input.fhirBase) return fail('invalid_request', `aud must be the FHIR base URL ${input.fhirBase}`);
  const scopes = grantPatientScopes(p.scope);
  if (scopes.length === 0)
    return fail('invalid_scope', 'no requested scope can be granted (patient/<Type|*>.rs, launch/patient, openid, fhirUser, offline_access, online_access)');
  const request: AuthorizationRequest = { clientId: app.clientId, redirectUri: p.redirect_uri, scopes, state: p.state, codeChallenge: p.code_challenge };
  if (input.signin) return { kind: 'redirect', location: await grantCode(svc, request, input.signin) };
  const requestId = randomBytes(24).toString('base64url');
  await storeAuthorizationRequest(svc.db, requestId, request, REQUEST_SECONDS);
  return { kind: 'signin', requestId };
}

async function grantCode(svc: Pick<AccessServices, 'db'>, r: AuthorizationRequest, signin: SigninSession): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  await storeAuthorizationCode(
    svc.db,
    code,
    {
      clientId: r.clientId,
      redirectUri: r.redirectUri,
      scopes: r.scopes,
      codeChallenge: r.codeChallenge,
      accountId: signin.accountId,
      sessionId: signin.id,
      family: randomUUID(),
    },
    CODE_SECONDS,
  );
  return redirectTo(r.redirectUri, { code, state: r.state });
}

/** What the pending request asks, for the portal to show the patient before signing in ("App X asks to read …"). */
export async function describeRequest(svc: Pick<AccessServices, 'db'>, requestId: string): Promise<{ client: string; scopes: string[] } | null> {
  const r = await findAuthorizationRequest(svc.db, requestId);
  if (!r) return null;
  const app = await findPatientApp(svc.db, r.clientId);
  return { client: app?.name ?? r.clientId, scopes: r.scopes };
}

// ---- token ----

export interface PatientTokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient: string;
  refresh_token?: string;
  id_token?: string;
}

const invalidGrant = (why: string): OAuthError => new OAuthError(400, 'invalid_grant', why);
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

const secondsUntil = (d: Date): number => Math.floor((d.getTime() - Date.now()) / 1000);

async function answer(
  svc: Pick<AccessServices, 'db'>,
  settings: PatientOAuthSettings,
  g: { accountId: string; clientId: string; scopes: string[]; family: string; refreshSeconds: number },
  fhirBase: string,
): Promise<PatientTokenAnswer> {
  const account = await findAccount(svc.db, g.accountId);
  if (!account) throw invalidGrant('the account is disabled');
  const access = await issuePatientToken(svc.db, {
    accountId: g.accountId,
    kind: 'access',
    clientId: g.clientId,
    scopes: g.scopes,
    lifetimeSeconds: settings.accessTokenSeconds,
    family: g.family,
  });
  const out: PatientTokenAnswer = {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: settings.accessTokenSeconds,
    scope: g.scopes.join(' '),
    patient: account.patientId,
  };
  const refreshable = g.scopes.includes('offline_access') || g.scopes.includes('online_access');
  if (refreshable && g.refreshSeconds > 0) {
    out.refresh_token = (
      await issuePatientToken(svc.db, {
        accountId: g.accountId,
        kind: 'refresh',
        clientId: g.clientId,
        scopes: g.scopes,
        lifetimeSeconds: g.refreshSeconds,
        family: g.family,
      })
    ).token;
  }
  if (g.scopes.includes('openid')) {
    out.id_token = await signIdToken(settings.idTokenKey, {
      issuer: fhirBase,
      accountId: g.accountId,
      clientId: g.clientId,
      fhirUser: `${fhirBase}/Patient/${account.patientId}`,
      lifetimeSeconds: settings.accessTokenSeconds,
    });
  }
  return out;
}

/** grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is consumed by the first try, right or wrong. */
export async function tokenFromCode(
  svc: Pick<AccessServices, 'db'>,
  settings: PatientOAuthSettings,
  f: Record<string, string | undefined>,
  fhirBase: string,
): Promise<PatientTokenAnswer> {
  if (!f.code || !f.redirect_uri || !f.client_id) throw new OAuthError(400, 'invalid_request', 'code, redirect_uri and client_id are required');
  if (!f.code_verifier || !VERIFIER.test(f.code_verifier)) throw new OAuthError(400, 'invalid_request', 'code_verifier (PKCE, 43-128 characters) is required');
  const used = await inTransaction(svc.db, (tx) => consumeAuthorizationCode(tx, f.code as string));
  if (!used) throw invalidGrant('the authorization code is not valid');
  if (used.state === 'reused') {
    // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
    await revokeTokenFamily(svc.db, used.family);
    throw invalidGrant('the authorization code is not valid');
  }
  const c = used.code;
  if (c.clientId !== f.client_id || c.redirectUri !== f.redirect_uri) throw invalidGrant('the authorization code was issued to another client or redirect_uri');
  if (!pkceMatches(f.code_verifier, c.codeChallenge)) throw invalidGrant('code_verifier does not match the code_challenge');
  const refreshSeconds = c.scopes.includes('offline_access') ? settings.offlineRefreshSeconds : secondsUntil(used.sessionExpiresAt);
  return answer(svc, settings, { accountId: c.accountId, clientId: c.clientId, scopes: c.scopes, family: c.family, refreshSeconds }, fhirBase);
}

/** grant_type=refresh_token (RFC 6749 §6): rotation; a reused refresh token revokes its whole family. */
export async function tokenFromRefresh(
  svc: Pick<AccessServices, 'db'>,
  settings: PatientOAuthSettings,
  f: Record<string, string | undefined>,
  fhirBase: string,
): Promise<PatientTokenAnswer> {
  // RFC 6749 §6: a public client is not authenticated; a client_id, when sent, must be the token's.
  if (!f.refresh_token) throw new OAuthError(400, 'invalid_request', 'refresh_token is required');
  const taken = await inTransaction(svc.db, (tx) => takeRefreshToken(tx, f.refresh_token as string));
  if (!taken) throw invalidGrant('the refresh token is not valid');
  if (taken.state === 'reused') {
    await revokeTokenFamily(svc.db, taken.family);
    throw invalidGrant('the refresh token is not valid');
  }
  if (f.client_id !== undefined && taken.clientId !== f.client_id) {
    await revokeTokenFamily(svc.db, taken.family);
    throw invalidGrant('the refresh token was issued to another client');
  }
  let scopes = taken.scopes;
  if (f.scope !== undefined) {
    const asked = f.scope.split(' ').filter(Boolean);
    if (!withinGrant(asked, taken.scopes)) throw new OAuthError(400, 'invalid_scope', 'a refresh may narrow the scope, never widen it');
    scopes = asked;
  }
  let refreshSeconds = secondsUntil(taken.expiresAt);
  if (!taken.scopes.includes('offline_access')) {
    // online_access: usable while the patient's sign-in session lives.
    const s = await familySession(svc.db, taken.family);
    if (!s?.live) throw invalidGrant('the sign-in session of this refresh token has ended');
    refreshSeconds = Math.min(refreshSeconds, secondsUntil(s.expiresAt));
  }
  return answer(svc, settings, { accountId: taken.accountId, clientId: taken.clientId, scopes, family: taken.family, refreshSeconds }, fhirBase);
}

/**
 * RFC 7009 §2: revokes the token's family (an access token's refresh token goes too, §2.1 "SHOULD"). Public clients
 * are not authenticated, so holding the token suffices; a client_id, when sent, must be the token's. Unknown tokens
 * are answered alike (200), as §2.2 asks.
 */
export async function revokePatientToken(svc: Pick<AccessServices, 'db'>, f: Record<string, string | undefined>): Promise<void> {
  if (!f.token) throw new OAuthError(400, 'invalid_request', 'token is required');
  if (f.token.length > 200) return;
  const t = await tokenFamily(svc.db, f.token);
  if (t && (f.client_id === undefined || t.clientId === f.client_id)) await revokeTokenFamily(svc.db, t.family);
}
