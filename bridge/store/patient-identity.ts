/**
 * How patients sign in (migration 019): enrolment codes, credentials (passkeys, passwords), WebAuthn challenges,
 * browser sign-in sessions, patient apps, and the authorization requests and codes of the patients' OAuth server.
 * Every secret is stored as its SHA-256 (keyHash); single use is decided by one UPDATE … RETURNING, so two processes
 * racing for one code never both win.
 */
import { keyHash } from './clinics';
import type { Db, Tx } from './db';

type Q = Db | Tx;

// ---- enrolment codes ----

/** The Patient record `patientId` when it is `clinicId`'s (a clinic enrols only its own records); null otherwise. */
export async function clinicPatient(db: Q, clinicId: string, patientId: string): Promise<{ personId: string } | null> {
  if (!/^[0-9a-f-]{36}$/i.test(patientId)) return null;
  const res = await db.query('SELECT person_id AS "personId" FROM patient WHERE id = $1 AND clinic_id = $2', [patientId, clinicId]);
  return res.rows[0] ?? null;
}

/** Stores a new code for the record and ends its earlier unused ones (the newest code is the one that works). */
export async function storeEnrolmentCode(tx: Tx, c: { code: string; patientId: string; clinicId: string; ttlMinutes: number }): Promise<Date> {
  await tx.query(
    'UPDATE enrolment_code SET expires_at = statement_timestamp() WHERE patient_id = $1 AND used_at IS NULL AND expires_at > statement_timestamp()',
    [c.patientId],
  );
  const res = await tx.query(
    `INSERT INTO enrolment_code (code_hash, patient_id, clinic_id, expires_at)
       VALUES ($1, $2, $3, statement_timestamp() + make_interval(mins => $4)) RETURNING expires_at`,
    [keyHash(c.code), c.patientId, c.clinicId, c.ttlMinutes],
  );
  return new Date(res.rows[0].expires_at);
}

/** The record of a live (unused, unexpired) code, without consuming it; null otherwise. */
export async function peekEnrolmentCode(db: Q, code: string): Promise<{ patientId: string } | null> {
  const res = await db.query(
    'SELECT patient_id AS "patientId" FROM enrolment_code WHERE code_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp()',
    [keyHash(code)],
  );
  return res.rows[0] ?? null;
}

/** Consumes a live code (once, whoever races); its record, or null. */
export async function consumeEnrolmentCode(tx: Tx, code: string): Promise<{ patientId: string; clinicId: string } | null> {
  const res = await tx.query(
    `UPDATE enrolment_code SET used_at = statement_timestamp()
      WHERE code_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp()
      RETURNING patient_id AS "patientId", clinic_id AS "clinicId"`,
    [keyHash(code)],
  );
  return res.rows[0] ?? null;
}

// ---- credentials ----

/** Sets (or replaces) the account's username and password hash; false when the username belongs to another account. */
export async function setPassword(tx: Tx, accountId: string, username: string, hash: string): Promise<boolean> {
  const taken = await tx.query('SELECT account_id FROM patient_password WHERE username = $1 AND account_id <> $2', [username, accountId]);
  if (taken.rows[0]) return false;
  const res = await tx
    .query(
      `INSERT INTO patient_password (account_id, username, hash) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, hash = EXCLUDED.hash, created_at = statement_timestamp()
       RETURNING account_id`,
      [accountId, username, hash],
    )
    .catch((err: { code?: string }) => {
      if (err.code === '23505') return { rows: [] }; // the username was taken concurrently
      throw err;
    });
  return res.rows.length > 0;
}

export async function findPassword(db: Q, username: string): Promise<{ accountId: string; hash: string } | null> {
  const res = await db.query('SELECT account_id AS "accountId", hash FROM patient_password WHERE username = $1', [username]);
  return res.rows[0] ?? null;
}

export interface StoredPasskey {
  credentialId: string;
  accountId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
}

export async function addPasskey(tx: Tx, p: StoredPasskey): Promise<void> {
  await tx.query('INSERT INTO patient_passkey (credential_id, account_id, public_key, counter, transports) VALUES ($1, $2, $3, $4, $5)', [
    p.credentialId,
    p.accountId,
    p.publicKey,
    p.counter,
    p.transports,
  ]);
}

export async function findPasskey(db: Q, credentialId: string): Promise<StoredPasskey | null> {
  const res = await db.query(
    `SELECT credential_id AS "credentialId", account_id AS "accountId", public_key AS "publicKey", counter::int AS counter, transports
       FROM patient_passkey WHERE credential_id = $1`,
    [credentialId],
  );
  return res.rows[0] ?? null;
}

export async function passkeyUsed(db: Q, credentialId: string, counter: number): Promise<void> {
  await db.query('UPDATE patient_passkey SET counter = $2, last_used_at = statement_timestamp() WHERE credential_id = $1', [credentialId, counter]);
}

// ---- WebAuthn challenges ----

export type ChallengePurpose = 'registration' | 'authentication';

export async function storeChallenge(
  db: Q,
  c: { challenge: string; purpose: ChallengePurpose; code?: string; userHandle?: string; ttlSeconds: number },
): Promise<void> {
  await db.query('DELETE FROM webauthn_challenge WHERE expires_at < statement_timestamp()');
  await db.query(
    `INSERT INTO webauthn_challenge (challenge, purpose, code_hash, user_handle, expires_at)
       VALUES ($1, $2, $3, $4, statement_timestamp() + make_interval(secs => $5))`,
    [c.challenge, c.purpose, c.code ? keyHash(c.code) : null, c.userHandle ?? null, c.ttlSeconds],
  );
}

/** Takes a live challenge of `purpose` (bound to `code` for a registration) out of the store: true once, false after. */
export async function takeChallenge(db: Q, challenge: string, purpose: ChallengePurpose, code?: string): Promise<{ userHandle: string | null } | null> {
  const res = await db.query(
    `DELETE FROM webauthn_challenge WHERE challenge = $1 AND purpose = $2 AND expires_at > statement_timestamp()
        AND code_hash IS NOT DISTINCT FROM $3 RETURNING user_handle AS "userHandle"`,
    [challenge, purpose, code ? keyHash(code) : null],
  );
  return res.rows[0] ?? null;
}

// ---- sign-in sessions ----

export async function createSigninSession(db: Q, s: { id: string; token: string; accountId: string; ttlSeconds: number }): Promise<void> {
  await db.query(`INSERT INTO signin_session (id, token_hash, account_id, expires_at) VALUES ($1, $2, $3, statement_timestamp() + make_interval(secs => $4))`, [
    s.id,
    keyHash(s.token),
    s.accountId,
    s.ttlSeconds,
  ]);
}

export interface SigninSession {
  id: string;
  accountId: string;
  expiresAt: Date;
}

export async function findSigninSession(db: Q, token: string): Promise<SigninSession | null> {
  const res = await db.query(
    `SELECT s.id, s.account_id AS "accountId", s.expires_at AS "expiresAt" FROM signin_session s JOIN patient_account a ON a.id = s.account_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND a.disabled_at IS NULL`,
    [keyHash(token)],
  );
  return res.rows[0] ? { ...res.rows[0], expiresAt: new Date(res.rows[0].expiresAt) } : null;
}

/** Revokes a sign-in session and every token issued through it (their families). */
export async function revokeSigninSession(tx: Tx, token: string): Promise<boolean> {
  const res = await tx.query('UPDATE signin_session SET revoked_at = statement_timestamp() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id', [
    keyHash(token),
  ]);
  const id = res.rows[0]?.id;
  if (!id) return false;
  await tx.query(
    `UPDATE patient_token SET revoked_at = statement_timestamp()
      WHERE revoked_at IS NULL AND family IN (SELECT family FROM oauth_code WHERE session_id = $1)`,
    [id],
  );
  return true;
}

// ---- patient apps ----

export interface PatientApp {
  clientId: string;
  name: string;
  redirectUris: string[];
  builtin: boolean;
}

export async function findPatientApp(db: Q, clientId: string): Promise<PatientApp | null> {
  const res = await db.query('SELECT client_id AS "clientId", name, redirect_uris AS "redirectUris", builtin FROM patient_app WHERE client_id = $1', [
    clientId,
  ]);
  return res.rows[0] ?? null;
}

export async function addPatientApp(db: Q, app: { clientId: string; name: string; redirectUris: string[] }): Promise<void> {
  await db.query('INSERT INTO patient_app (client_id, name, redirect_uris) VALUES ($1, $2, $3)', [app.clientId, app.name, app.redirectUris]);
}

// ---- authorization requests and codes ----

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
}

export async function storeAuthorizationRequest(db: Q, id: string, r: AuthorizationRequest, ttlSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO oauth_request (id_hash, client_id, redirect_uri, scopes, state, code_challenge, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, statement_timestamp() + make_interval(secs => $7))`,
    [keyHash(id), r.clientId, r.redirectUri, r.scopes, r.state, r.codeChallenge, ttlSeconds],
  );
}

const REQUEST_COLUMNS = 'client_id AS "clientId", redirect_uri AS "redirectUri", scopes, state, code_challenge AS "codeChallenge"';

export async function findAuthorizationRequest(db: Q, id: string): Promise<AuthorizationRequest | null> {
  const res = await db.query(`SELECT ${REQUEST_COLUMNS} FROM oauth_request WHERE id_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp()`, [
    keyHash(id),
  ]);
  return res.rows[0] ?? null;
}

export async function consumeAuthorizationRequest(tx: Tx, id: string): Promise<AuthorizationRequest | null> {
  const res = await tx.query(
    `UPDATE oauth_request SET used_at = statement_timestamp() WHERE id_hash = $1 AND used_at IS NULL AND expires_at > statement_timestamp()
      RETURNING ${REQUEST_COLUMNS}`,
    [keyHash(id)],
  );
  return res.rows[0] ?? null;
}

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string;
  accountId: string;
  sessionId: string;
  family: string;
}

export async function storeAuthorizationCode(db: Q, code: string, c: AuthorizationCode, ttlSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO oauth_code (code_hash, client_id, redirect_uri, scopes, code_challenge, account_id, session_id, family, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, statement_timestamp() + make_interval(secs => $9))`,
    [keyHash(code), c.clientId, c.redirectUri, c.scopes, c.codeChallenge, c.accountId, c.sessionId, c.family, ttlSeconds],
  );
}

/**
 * Consumes a code: `live` with its grant the first time (unexpired, session not revoked); `reused` with its family when
 * it was used before (the caller revokes that family, RFC 6749 §4.1.2); null when unknown or expired.
 */
export async function consumeAuthorizationCode(
  tx: Tx,
  code: string,
): Promise<{ state: 'live'; code: AuthorizationCode; sessionExpiresAt: Date } | { state: 'reused'; family: string } | null> {
  const res = await tx.query(
    `UPDATE oauth_code c SET used_at = statement_timestamp() FROM signin_session s
      WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > statement_timestamp() AND s.id = c.session_id AND s.revoked_at IS NULL
      RETURNING c.client_id AS "clientId", c.redirect_uri AS "redirectUri", c.scopes, c.code_challenge AS "codeChallenge",
                c.account_id AS "accountId", c.session_id AS "sessionId", c.family, s.expires_at AS "sessionExpiresAt"`,
    [keyHash(code)],
  );
  if (res.rows[0]) {
    const { sessionExpiresAt, ...grant } = res.rows[0];
    return { state: 'live', code: grant, sessionExpiresAt: new Date(sessionExpiresAt) };
  }
  const used = await tx.query('SELECT family FROM oauth_code WHERE code_hash = $1 AND used_at IS NOT NULL', [keyHash(code)]);
  return used.rows[0] ? { state: 'reused', family: used.rows[0].family } : null;
}

/** The sign-in session a token family was issued through (for online_access refresh tokens) and its expiry. */
export async function familySession(db: Q, family: string): Promise<{ sessionId: string; expiresAt: Date; live: boolean } | null> {
  const res = await db.query(
    `SELECT s.id AS "sessionId", s.expires_at AS "expiresAt", (s.revoked_at IS NULL AND s.expires_at > statement_timestamp()) AS live
       FROM oauth_code c JOIN signin_session s ON s.id = c.session_id WHERE c.family = $1 LIMIT 1`,
    [family],
  );
  return res.rows[0] ? { ...res.rows[0], expiresAt: new Date(res.rows[0].expiresAt) } : null;
}

/**
 * Rotates a refresh token (OAuth 2.0 Security BCP §4.14.2): `live` the first time (the token is revoked now, the caller
 * issues the next); `reused` when it was already rotated or revoked (the caller revokes the family); null when unknown.
 */
export async function takeRefreshToken(
  tx: Tx,
  token: string,
): Promise<
  { state: 'live'; accountId: string; clientId: string; scopes: string[]; family: string; expiresAt: Date } | { state: 'reused'; family: string } | null
> {
  const res = await tx.query(
    `UPDATE patient_token SET revoked_at = statement_timestamp()
      WHERE token_hash = $1 AND kind = 'refresh' AND revoked_at IS NULL AND expires_at > statement_timestamp()
      RETURNING account_id AS "accountId", client_id AS "clientId", scopes, family, expires_at AS "expiresAt"`,
    [keyHash(token)],
  );
  if (res.rows[0]) return { state: 'live', ...res.rows[0], expiresAt: new Date(res.rows[0].expiresAt) };
  const old = await tx.query(`SELECT family, revoked_at IS NOT NULL AS revoked FROM patient_token WHERE token_hash = $1 AND kind = 'refresh'`, [
    keyHash(token),
  ]);
  return old.rows[0]?.revoked ? { state: 'reused', family: old.rows[0].family } : null;
}
