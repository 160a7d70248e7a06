/**
 * Patient accounts and their opaque tokens. An account is enrolled on patient records (one per clinic); the person it
 * reaches is the current person of its oldest enrolled record, resolved on every request, so an admin's link or
 * unlink takes effect at once. Tokens are looked up per request (no cache) like the clinics' API keys.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { keyHash } from './clinics';
import type { Db, Tx } from './db';

export interface PatientAccount {
  accountId: string;
  /** Person reached (of the oldest enrolled record). */
  personId: string;
  /** The oldest enrolled record: the SMART `patient` launch context. */
  patientId: string;
}

export type PatientTokenKind = 'access' | 'refresh';

export interface PatientToken extends PatientAccount {
  kind: PatientTokenKind;
  clientId: string;
  scopes: string[];
  family: string;
}

/** Prefixes: access tokens `fapt_`, refresh tokens `fapr_` (the prefix routes a bearer to its table). */
export const PATIENT_ACCESS_PREFIX = 'fapt_';
export const PATIENT_REFRESH_PREFIX = 'fapr_';

/**
 * The account enrolled on `patientId`, else the account of another record of the same person (one person, one
 * account), else a new one; the record is attached to it. Inside the caller's transaction.
 */
export async function enrolRecord(tx: Tx, patientId: string): Promise<string> {
  const own = await tx.query('SELECT account_id FROM patient_account_record WHERE patient_id = $1', [patientId]);
  if (own.rows[0]) return own.rows[0].account_id;
  const sibling = await tx.query(
    `SELECT par.account_id FROM patient p JOIN patient q ON q.person_id = p.person_id
       JOIN patient_account_record par ON par.patient_id = q.id
      WHERE p.id = $1 ORDER BY par.enrolled_at LIMIT 1`,
    [patientId],
  );
  let accountId: string = sibling.rows[0]?.account_id;
  if (!accountId) {
    accountId = randomUUID();
    await tx.query('INSERT INTO patient_account (id) VALUES ($1)', [accountId]);
  }
  await tx.query('INSERT INTO patient_account_record (patient_id, account_id) VALUES ($1, $2)', [patientId, accountId]);
  return accountId;
}

/** The account with the person it reaches now; null when unknown, disabled or without records. */
export async function findAccount(db: Db | Tx, accountId: string): Promise<PatientAccount | null> {
  const res = await db.query(
    `SELECT a.id AS "accountId", p.person_id AS "personId", p.id AS "patientId"
       FROM patient_account a JOIN patient_account_record par ON par.account_id = a.id JOIN patient p ON p.id = par.patient_id
      WHERE a.id = $1 AND a.disabled_at IS NULL ORDER BY par.enrolled_at, p.id LIMIT 1`,
    [accountId],
  );
  return res.rows[0] ?? null;
}

/** Issues an opaque token of `kind` for the account; only its SHA-256 is stored. `family` groups one authorization's tokens. */
export async function issuePatientToken(
  db: Db | Tx,
  t: { accountId: string; kind: PatientTokenKind; clientId: string; scopes: string[]; lifetimeSeconds: number; family?: string },
): Promise<{ token: string; family: string }> {
  const token = `${t.kind === 'access' ? PATIENT_ACCESS_PREFIX : PATIENT_REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;
  const family = t.family ?? randomUUID();
  await db.query(
    `INSERT INTO patient_token (token_hash, account_id, kind, client_id, scopes, family, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, statement_timestamp() + make_interval(secs => $7))`,
    [keyHash(token), t.accountId, t.kind, t.clientId, t.scopes, family, t.lifetimeSeconds],
  );
  return { token, family };
}

/** A live (unexpired, unrevoked) token of `kind` with its account; null otherwise. */
export async function findPatientToken(db: Db | Tx, token: string, kind: PatientTokenKind): Promise<PatientToken | null> {
  const res = await db.query(
    `SELECT t.account_id AS "accountId", t.kind, t.client_id AS "clientId", t.scopes, t.family
       FROM patient_token t WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND t.expires_at > statement_timestamp()`,
    [keyHash(token), kind],
  );
  const row = res.rows[0];
  if (!row) return null;
  const account = await findAccount(db, row.accountId);
  return account ? { ...row, ...account } : null;
}

/** Revokes every token of a family (a sign-out, a revocation, a reused refresh token). True when any was live. */
export async function revokeTokenFamily(db: Db | Tx, family: string): Promise<boolean> {
  const res = await db.query('UPDATE patient_token SET revoked_at = statement_timestamp() WHERE family = $1 AND revoked_at IS NULL', [family]);
  return (res.rowCount ?? 0) > 0;
}

/** The family of a token (live or not), for revocation by token (RFC 7009); null when unknown. */
export async function tokenFamily(db: Db | Tx, token: string): Promise<{ family: string; accountId: string; clientId: string } | null> {
  const res = await db.query('SELECT family, account_id AS "accountId", client_id AS "clientId" FROM patient_token WHERE token_hash = $1', [keyHash(token)]);
  return res.rows[0] ?? null;
}
