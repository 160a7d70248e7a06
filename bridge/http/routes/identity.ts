/**
 * Patients' sign-in and the authorization endpoint of SMART App Launch 2.0 (standalone patient launch). Parse, call
 * bridge/access/identity.ts and patient-oauth.ts, answer:
 * - `POST /fhir/Patient/{id}/$enrolment-code` (home clinic) → Parameters {code, expires};
 * - the browser sign-in JSON API under /auth (cookie `fab_signin`: HttpOnly, SameSite=Strict, Path=/auth, Secure on
 *   https). CSRF (OWASP CSRF Prevention Cheat Sheet): every POST must be `application/json` (not a form a foreign page
 *   can post without a CORS preflight) and carry an `Origin` equal to the bridge's public origin; else 403;
 * - `GET /auth/authorize` (RFC 6749 §4.1.1), `POST /auth/revoke` (RFC 7009), `GET /auth/jwks`, and OpenID discovery.
 * Failed sign-ins are throttled per address (the API keys' throttle) and per account (username or credential).
 */
import { createHash } from 'node:crypto';
import express, { NextFunction, Request, Response, Router } from 'express';
import {
  currentSignin,
  enrolWithPasskey,
  enrolWithPassword,
  issueEnrolmentCode,
  normalizeUsername,
  passkeyRegistrationOptions,
  passkeySigninOptions,
  relyingParty,
  responseCredentialId,
  signInWithPasskey,
  signInWithPassword,
  signOut,
  SigninError,
  type NewSignin,
} from '../../access/identity';
import { jwks } from '../../access/id-token';
import { checkScope } from '../../access/scope-check';
import { authorize, describeRequest, revokePatientToken, type PatientOAuthSettings } from '../../access/patient-oauth';
import type { AccessServices } from '../../access/services';
import { OAuthError } from '../../access/smart-token';
import { outcomes } from '../../fhir/outcome';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { AuthThrottle } from '../auth-throttle';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, publicOrigin } from '../toolkit';

export const SIGNIN_COOKIE = 'fab_signin';

export interface IdentitySettings {
  enrolmentCodeTtlMinutes: number;
  signinSessionSeconds: number;
  /** Failed sign-ins per account (username or passkey) within the window before 429 (SIGNIN_FAIL_LIMIT). */
  signinFailLimit: number;
  signinFailWindowMs: number;
  oauth: PatientOAuthSettings;
}

export interface IdentityRouteOptions {
  access: AccessServices;
  publicBaseUrl?: string;
  guard?: AuthGuard;
  settings: IdentitySettings;
}

const digest = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const sendError = (res: Response, status: number, error: string, description: string, retryAfter?: number): void => {
  if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
  res.status(status).json({ error, error_description: description });
};

export function identityRouter(opts: IdentityRouteOptions): Router {
  const router = Router();
  const { access: svc, settings } = opts;
  const perAccount = new AuthThrottle({ limit: settings.signinFailLimit, windowMs: settings.signinFailWindowMs });
  const origin = (req: Request): string => publicOrigin(req, opts.publicBaseUrl);

  // ---- enrolment code (home clinic) ----
  router.post('/fhir/Patient/:id/$enrolment-code', requireSession(svc, opts.guard), async (req: Request, res: Response) => {
    // A SMART token needs a write scope on Patient (an enrolment changes who may read the record); an API key may.
    if (sessionOf(req).principal.kind === 'clinic') await checkScope(svc, sessionOf(req), 'Patient', 'update');
    const issued = await issueEnrolmentCode(svc, sessionOf(req), String(req.params.id), settings.enrolmentCodeTtlMinutes);
    res
      .status(200)
      .set('Cache-Control', 'no-store')
      .type(FHIR_JSON)
      .json({
        resourceType: 'Parameters',
        parameter: [
          { name: 'code', valueString: issued.code },
          { name: 'expires', valueInstant: issued.expires.toISOString() },
        ],
      });
  });
  router.all('/fhir/Patient/:id/$enrolment-code', () => {
    throw outcomes.methodNotAllowed('$enrolment-code is invoked with POST');
  });

  // ---- the sign-in JSON API ----
  router.use('/auth', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  const csrf = (req: Request, res: Response, next: NextFunction): void => {
    if (!req.is('application/json')) return sendError(res, 403, 'forbidden', 'this endpoint takes Content-Type: application/json only');
    if (req.get('origin') !== origin(req)) return sendError(res, 403, 'forbidden', 'the Origin header must be this bridge’s origin');
    next();
  };
  const json = express.json({ limit: 64 * 1024 });
  const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

  const setCookie = (req: Request, res: Response, value: string, maxAge: number): void => {
    const secure = origin(req).startsWith('https:') ? '; Secure' : '';
    res.append('Set-Cookie', `${SIGNIN_COOKIE}=${value}; Path=/auth; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`);
  };

  /** Runs a credential check under both throttles; `account` names the username or credential tried (null: none). */
  const attempt = async (req: Request, res: Response, account: string | null, work: () => Promise<NewSignin>): Promise<void> => {
    const address = clientAddress(req);
    const credential = digest(`signin:${account ?? ''}`);
    const wait = opts.guard?.throttle.retryAfter(address, credential) ?? (account ? perAccount.retryAfter(digest(account), '') : undefined);
    if (wait !== undefined) return sendError(res, 429, 'too_many_attempts', `too many failed sign-in attempts; retry after ${wait} s`, wait);
    try {
      const signed = await work();
      opts.guard?.throttle.succeeded(address, credential);
      setCookie(req, res, signed.token, signed.maxAgeSeconds);
      res.json({ signedIn: true });
    } catch (err) {
      if (!(err instanceof SigninError)) throw err;
      if (err.status === 400 || err.status === 401) {
        if (opts.guard?.throttle.failed(address))
          opts.guard.log.warn({ client: address, kind: 'patient-signin' }, 'failed sign-in attempts throttled for this address');
        if (account && err.status === 401) perAccount.failed(digest(account));
      }
      sendError(res, err.status, err.error, err.description, err.retryAfter);
    }
  };
  const answerError = (res: Response, err: unknown): void => {
    if (!(err instanceof SigninError)) throw err;
    sendError(res, err.status, err.error, err.description);
  };

  router.post('/auth/enrol/passkey/options', csrf, json, async (req, res) => {
    try {
      res.json(await passkeyRegistrationOptions(svc, relyingParty(origin(req)), { code: body(req).code }));
    } catch (err) {
      if (err instanceof SigninError && opts.guard) opts.guard.throttle.failed(clientAddress(req));
      answerError(res, err);
    }
  });
  router.post('/auth/enrol/passkey/verify', csrf, json, (req, res) =>
    attempt(req, res, null, () =>
      enrolWithPasskey(svc, relyingParty(origin(req)), { code: body(req).code, response: body(req).response }, settings.signinSessionSeconds),
    ),
  );
  router.post('/auth/enrol/password', csrf, json, (req, res) =>
    attempt(req, res, null, () =>
      enrolWithPassword(svc, { code: body(req).code, username: body(req).username, password: body(req).password }, settings.signinSessionSeconds),
    ),
  );
  router.post('/auth/signin/passkey/options', csrf, json, async (req, res) => {
    res.json(await passkeySigninOptions(svc, relyingParty(origin(req))));
  });
  router.post('/auth/signin/passkey/verify', csrf, json, (req, res) => {
    const id = responseCredentialId(body(req).response);
    return attempt(req, res, id ? `passkey:${id}` : null, () =>
      signInWithPasskey(svc, relyingParty(origin(req)), { response: body(req).response }, settings.signinSessionSeconds),
    );
  });
  router.post('/auth/signin/password', csrf, json, (req, res) => {
    const username = normalizeUsername(body(req).username);
    return attempt(req, res, username ? `user:${username}` : null, () =>
      signInWithPassword(svc, { username: body(req).username, password: body(req).password }, settings.signinSessionSeconds),
    );
  });
  router.post('/auth/signout', csrf, json, async (req, res) => {
    await signOut(svc, cookieValue(req, SIGNIN_COOKIE));
    setCookie(req, res, '', 0);
    res.json({ signedIn: false });
  });
  router.get('/auth/session', async (req, res) => {
    res.json({ signedIn: !!(await currentSignin(svc, cookieValue(req, SIGNIN_COOKIE))) });
  });
  /** What a pending authorization request asks (the portal shows it on its sign-in screen). */
  router.get('/auth/request/:id', async (req, res) => {
    const r = await describeRequest(svc, String(req.params.id));
    if (!r) return sendError(res, 404, 'invalid_request', 'the authorization request is unknown, used or expired');
    res.json(r);
  });

  // ---- SMART App Launch: authorize, revoke, keys ----
  router.get('/auth/authorize', async (req, res) => {
    const params: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') params[k] = v;
    const result = await authorize(svc, {
      params,
      signin: await currentSignin(svc, cookieValue(req, SIGNIN_COOKIE)),
      origin: origin(req),
      fhirBase: fhirBaseUrl(req, opts.publicBaseUrl),
    });
    res.set('Referrer-Policy', 'no-referrer');
    if (result.kind === 'refuse') return sendError(res, 400, result.error, result.description);
    if (result.kind === 'redirect') return res.redirect(302, result.location);
    res.redirect(302, `${origin(req)}/portal/#/signin?request=${encodeURIComponent(result.requestId)}`);
  });
  router.post('/auth/revoke', express.urlencoded({ extended: false, limit: 16 * 1024 }), async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) return sendError(res, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    const f: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(body(req))) if (typeof v === 'string') f[k] = v;
    try {
      await revokePatientToken(svc, f);
      res.status(200).end();
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      sendError(res, err.status, err.error, err.description);
    }
  });
  router.get('/auth/jwks', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(jwks(settings.oauth.idTokenKey));
  });
  // OpenID Connect Discovery 1.0 §4 for the issuer (the FHIR base) of the id_tokens.
  router.get('/fhir/.well-known/openid-configuration', (req, res) => {
    const o = origin(req);
    res.json({
      issuer: fhirBaseUrl(req, opts.publicBaseUrl),
      authorization_endpoint: `${o}/auth/authorize`,
      token_endpoint: `${o}/auth/token`,
      jwks_uri: `${o}/auth/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'fhirUser'],
    });
  });
  return router;
}
