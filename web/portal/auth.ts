/**
 * The portal's own sign-in to the bridge's FHIR API: SMART App Launch 2.x standalone patient launch, authorization code
 * with PKCE (RFC 7636, S256) for the built-in public client `portal`, redirect URI `<origin>/portal/`.
 * The code verifier and state live in sessionStorage (this tab only); the token too (cleared on sign-out / tab close).
 * The `?code=&state=` query is removed from the address bar before anything else runs (RFC 6749 §10.6, §10.12).
 */
import { request } from '../shared/api';

export const CLIENT_ID = 'portal';
/** Patient-level SMART v2 scopes: read everything of one's own, write consents, answer requests, manage Health Links. */
export const SCOPES = 'openid fhirUser launch/patient patient/*.rs patient/Consent.cud patient/Task.u patient/Subscription.cud';
const PKCE_KEY = 'portal.pkce';
const TOKEN_KEY = 'portal.token';

export interface PortalToken {
  access_token: string;
  patient: string;
  expiresAt: number;
  refresh_token?: string;
}

const redirectUri = (): string => `${location.origin}/portal/`;

function base64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export function storedToken(): PortalToken | undefined {
  try {
    const t = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null') as PortalToken | null;
    return t && t.access_token && t.patient && t.expiresAt > Date.now() ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the authorization request (a full-page navigation to /auth/authorize). */
export async function beginAuthorize(): Promise<void> {
  const verifier = randomString();
  const state = randomString();
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPES,
    state,
    aud: `${location.origin}/fhir`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`/auth/authorize?${q}`);
}

/** Continues a pending authorization request of the bridge (`#/signin?request=<id>`) after sign-in. */
export function continueAuthorize(requestId: string): void {
  location.assign(`/auth/authorize?${new URLSearchParams({ request: requestId })}`);
}

/**
 * If this load is the redirect back from /auth/authorize: strips the query at once, then exchanges the code.
 * Returns the token, undefined if this is not a redirect, or throws with the reason.
 */
export async function completeAuthorize(): Promise<PortalToken | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  history.replaceState(null, '', `/portal/${location.hash}`);
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  if (params.has('error')) throw new Error(`sign-in was refused (${params.get('error')})`);
  if (!pending || params.get('state') !== pending.state) throw new Error('the sign-in answer does not match this tab: sign in again');
  const t = await request<{ access_token: string; expires_in?: number; patient?: string; refresh_token?: string }>('/auth/token', {
    form: {
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: CLIENT_ID,
      code_verifier: pending.verifier,
    },
  });
  if (!t.patient) throw new Error('the token names no patient');
  const token: PortalToken = {
    access_token: t.access_token,
    patient: t.patient,
    expiresAt: Date.now() + (t.expires_in ?? 3600) * 1000,
    refresh_token: t.refresh_token,
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(token));
  return token;
}

export async function signOut(token: PortalToken | undefined): Promise<void> {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(PKCE_KEY);
  if (token) await request('/auth/revoke', { form: { token: token.access_token, client_id: CLIENT_ID } }).catch(() => undefined);
  await request('/auth/signout', { json: {} }).catch(() => undefined);
}
