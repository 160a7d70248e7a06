/**
 * Patients' identity: enrolment codes issued by a home clinic for its own record, redeemed once to set a credential
 * (a WebAuthn passkey — W3C Web Authentication Level 3 through @simplewebauthn/server — or a username and password,
 * hashed with argon2id, RFC 9106, OWASP Password Storage Cheat Sheet parameters), and browser sign-in sessions.
 * Throttling of attempts is the HTTP edge's (bridge/http/routes/identity.ts); the decisions and SQL calls are here.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { argon2id, argon2Verify } from 'hash-wasm';
import { outcomes } from '../fhir/outcome';
import { inTransaction, type Db, type Tx } from '../store/db';
import { enrolRecord, findAccount } from '../store/patient-accounts';
import {
  addPasskey,
  clinicPatient,
  consumeEnrolmentCode,
  createSigninSession,
  findPasskey,
  findPassword,
  findSigninSession,
  passkeyUsed,
  peekEnrolmentCode,
  revokeSigninSession,
  setPassword,
  storeChallenge,
  storeEnrolmentCode,
  takeChallenge,
  type SigninSession,
} from '../store/patient-identity';
import { audit } from './audit';
import type { AccessServices } from './services';
import { actingClinic, type Session } from './session';

export const DEFAULT_ENROLMENT_CODE_TTL_MINUTES = 4320;
export const DEFAULT_SIGNIN_SESSION_SECONDS = 12 * 3600;
/** WebAuthn challenges live five minutes (the ceremony's timeout) and are used once. */
const CHALLENGE_SECONDS = 300;

/** A refusal of the sign-in JSON API: `{error, error_description}` with its status. */
export class SigninError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 409 | 429,
    readonly error: string,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}
const badCode = (): SigninError => new SigninError(400, 'invalid_code', 'the enrolment code is not valid (unknown, used or expired)');
const signinFailed = (): SigninError => new SigninError(401, 'invalid_credentials', 'sign-in failed');

// ---- enrolment codes ----

/** Crockford base32 (no I, L, O, U): 20 characters, 100 bits, shown as four groups of five. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function newCode(): string {
  const chars = Array.from({ length: 20 }, () => ALPHABET[randomInt(32)]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}
/** As typed: case, spaces and dashes do not matter; O → 0, I/L → 1 (Crockford). */
export function normalizeCode(code: unknown): string | null {
  if (typeof code !== 'string' || code.length > 64) return null;
  const c = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{20}$/.test(c)) return null;
  return [0, 5, 10, 15].map((i) => c.slice(i, i + 5)).join('-');
}

/**
 * A new enrolment code for the Patient record `patientId` of the acting clinic (its own records only: another clinic's
 * record answers exactly like an unknown one, and both are audited as refusals). Earlier unused codes of the record end.
 */
export async function issueEnrolmentCode(
  svc: Pick<AccessServices, 'db'>,
  session: Session,
  patientId: string,
  ttlMinutes: number,
): Promise<{ code: string; expires: Date }> {
  const clinicId = actingClinic(session);
  return inTransaction(svc.db, async (tx) => {
    const record = await clinicPatient(tx, clinicId, patientId);
    if (!record) {
      await audit(svc.db, {
        clinicId,
        action: 'refused',
        outcome: 'refused',
        resourceTypes: ['Patient'],
        detail: 'enrolment code refused: not a record of this clinic',
      });
      throw outcomes.notFound(`Patient/${patientId} is not known`);
    }
    const code = newCode();
    const expires = await storeEnrolmentCode(tx, { code, patientId, clinicId, ttlMinutes });
    await audit(tx, {
      clinicId,
      action: 'enrolment-code',
      outcome: 'success',
      personId: record.personId,
      patientIds: [patientId],
      resourceTypes: ['Patient'],
      detail: 'enrolment code issued',
    });
    return { code, expires };
  });
}

// ---- sign-in sessions ----

export interface NewSignin {
  /** The cookie value (shown once; stored as its hash). */
  token: string;
  maxAgeSeconds: number;
}

async function startSignin(db: Db | Tx, accountId: string, ttlSeconds: number): Promise<NewSignin> {
  const token = `fabs_${randomBytes(32).toString('base64url')}`;
  await createSigninSession(db, { id: randomUUID(), token, accountId, ttlSeconds });
  return { token, maxAgeSeconds: ttlSeconds };
}

/** The live sign-in session of a cookie value (account live), or null. */
export async function currentSignin(svc: Pick<AccessServices, 'db'>, token: string | undefined): Promise<SigninSession | null> {
  if (!token || token.length > 200) return null;
  return findSigninSession(svc.db, token);
}

/** Signs out: the session and every token issued through it are revoked. */
export async function signOut(svc: Pick<AccessServices, 'db'>, token: string | undefined): Promise<boolean> {
  if (!token || token.length > 200) return false;
  return inTransaction(svc.db, (tx) => revokeSigninSession(tx, token));
}

// ---- passwords ----

/** OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1; a 16-byte salt per password. */
const ARGON2 = { parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32 } as const;
const hashPassword = (password: string): Promise<string> => argon2id({ ...ARGON2, password, salt: randomBytes(16), outputType: 'encoded' });
let dummyHash: Promise<string> | undefined;

/** Usernames: 3-64 characters of letters, digits and `._@+-`, compared in lower case. */
export function normalizeUsername(u: unknown): string | null {
  if (typeof u !== 'string') return null;
  const n = u.trim().toLowerCase();
  return /^[a-z0-9._@+-]{3,64}$/.test(n) ? n : null;
}
/** NIST SP 800-63B §3.1.1.2: at least 8 characters (15 recommended for single-factor), at least 64 accepted. */
const passwordOk = (p: unknown): p is string => typeof p === 'string' && p.length >= 8 && p.length <= 256;

/** Redeems `code` with a username and password: the record joins its person's account, the code is consumed. */
export async function enrolWithPassword(
  svc: Pick<AccessServices, 'db'>,
  input: { code: unknown; username: unknown; password: unknown },
  sessionSeconds: number,
): Promise<NewSignin> {
  const code = normalizeCode(input.code);
  const username = normalizeUsername(input.username);
  if (!code) throw badCode();
  if (!username) throw new SigninError(400, 'invalid_request', 'username: 3-64 characters of letters, digits and . _ @ + -');
  if (!passwordOk(input.password)) throw new SigninError(400, 'invalid_request', 'password: 8 to 256 characters');
  if (!(await peekEnrolmentCode(svc.db, code))) throw badCode();
  const hash = await hashPassword(input.password);
  return inTransaction(svc.db, async (tx) => {
    const record = await consumeEnrolmentCode(tx, code);
    if (!record) throw badCode();
    const accountId = await enrolRecord(tx, record.patientId);
    if (!(await setPassword(tx, accountId, username, hash))) throw new SigninError(409, 'username_taken', 'this username is taken: choose another');
    return startSignin(tx, accountId, sessionSeconds);
  });
}

/**
 * Password sign-in. An unknown username costs one argon2id verification like a known one and answers the same
 * 401, so neither the answer nor its time tells them apart.
 */
export async function signInWithPassword(
  svc: Pick<AccessServices, 'db'>,
  input: { username: unknown; password: unknown },
  sessionSeconds: number,
): Promise<NewSignin> {
  const username = normalizeUsername(input.username);
  const password = typeof input.password === 'string' && input.password.length <= 256 ? input.password : '';
  const stored = username ? await findPassword(svc.db, username) : null;
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const ok = await argon2Verify({ password: password || ' ', hash: stored?.hash ?? (await dummyHash) });
  if (!stored || !ok || !password || !(await findAccount(svc.db, stored.accountId))) throw signinFailed();
  return startSignin(svc.db, stored.accountId, sessionSeconds);
}

// ---- passkeys (WebAuthn) ----

/** The relying party: its ID is the public origin's host name, the expected origin the public origin itself. */
export interface RelyingParty {
  origin: string;
  rpID: string;
}
export const relyingParty = (origin: string): RelyingParty => ({ origin, rpID: new URL(origin).hostname });

/** The challenge a response answers (its clientDataJSON), to take it out of the store before verifying. */
function responseChallenge(response: unknown): string | null {
  try {
    const r = response as { response?: { clientDataJSON?: unknown } };
    const raw = r?.response?.clientDataJSON;
    if (typeof raw !== 'string' || raw.length > 4096) return null;
    const c = (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    return typeof c === 'string' && c.length <= 256 ? c : null;
  } catch {
    return null;
  }
}

/** Registration options for a passkey (discoverable, attestation none) bound to a live enrolment code. */
export async function passkeyRegistrationOptions(
  svc: Pick<AccessServices, 'db'>,
  rp: RelyingParty,
  input: { code: unknown },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const code = normalizeCode(input.code);
  if (!code || !(await peekEnrolmentCode(svc.db, code))) throw badCode();
  const options = await generateRegistrationOptions({
    rpName: 'fhir-anchor-bridge',
    rpID: rp.rpID,
    // No personal data in the authenticator: the account is named generically.
    userName: 'patient',
    userDisplayName: 'Patient',
    userID: new Uint8Array(randomBytes(16)),
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    timeout: CHALLENGE_SECONDS * 1000,
  });
  await storeChallenge(svc.db, { challenge: options.challenge, purpose: 'registration', code, userHandle: options.user.id, ttlSeconds: CHALLENGE_SECONDS });
  return options;
}

/** Verifies the registration (its challenge used once), then in one transaction consumes the code and stores the passkey. */
export async function enrolWithPasskey(
  svc: Pick<AccessServices, 'db'>,
  rp: RelyingParty,
  input: { code: unknown; response: unknown },
  sessionSeconds: number,
): Promise<NewSignin> {
  const code = normalizeCode(input.code);
  if (!code) throw badCode();
  const challenge = responseChallenge(input.response);
  if (!challenge || !(await takeChallenge(svc.db, challenge, 'registration', code)))
    throw new SigninError(400, 'invalid_request', 'the passkey response answers no live registration challenge of this code');
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: false,
    });
  } catch {
    verified = undefined;
  }
  if (!verified?.verified || !verified.registrationInfo) throw new SigninError(400, 'invalid_request', 'the passkey registration could not be verified');
  const cred = verified.registrationInfo.credential;
  return inTransaction(svc.db, async (tx) => {
    const record = await consumeEnrolmentCode(tx, code);
    if (!record) throw badCode();
    const accountId = await enrolRecord(tx, record.patientId);
    if (await findPasskey(tx, cred.id)) throw new SigninError(409, 'credential_exists', 'this passkey is already registered');
    await addPasskey(tx, {
      credentialId: cred.id,
      accountId,
      publicKey: Buffer.from(cred.publicKey),
      counter: cred.counter,
      transports: cred.transports ?? [],
    });
    return startSignin(tx, accountId, sessionSeconds);
  });
}

/** Authentication options for a discoverable credential (no username, empty allowCredentials). */
export async function passkeySigninOptions(svc: Pick<AccessServices, 'db'>, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({ rpID: rp.rpID, userVerification: 'preferred', timeout: CHALLENGE_SECONDS * 1000 });
  await storeChallenge(svc.db, { challenge: options.challenge, purpose: 'authentication', ttlSeconds: CHALLENGE_SECONDS });
  return options;
}

/** The credential id a sign-in response names (for the throttle), or null. */
export const responseCredentialId = (response: unknown): string | null => {
  const id = (response as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 1024 ? id : null;
};

/** Passkey sign-in: the challenge used once, the signature and counter checked against the stored credential. */
export async function signInWithPasskey(
  svc: Pick<AccessServices, 'db'>,
  rp: RelyingParty,
  input: { response: unknown },
  sessionSeconds: number,
): Promise<NewSignin> {
  const challenge = responseChallenge(input.response);
  const credentialId = responseCredentialId(input.response);
  if (!challenge || !credentialId || !(await takeChallenge(svc.db, challenge, 'authentication'))) throw signinFailed();
  const passkey = await findPasskey(svc.db, credentialId);
  if (!passkey) throw signinFailed();
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: input.response as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports as NonNullable<Parameters<typeof verifyAuthenticationResponse>[0]['credential']['transports']>,
      },
      requireUserVerification: false,
    });
  } catch {
    verified = undefined;
  }
  if (!verified?.verified || !(await findAccount(svc.db, passkey.accountId))) throw signinFailed();
  await passkeyUsed(svc.db, passkey.credentialId, verified.authenticationInfo.newCounter);
  return startSignin(svc.db, passkey.accountId, sessionSeconds);
}
