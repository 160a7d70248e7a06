import { randomBytes } from 'node:crypto';
import { Clinic, isUuid, keyHash } from './clinics';
import type { Db, Tx } from './db';

export interface SmartClient {
  clientId: string;
  clinicId: string;
  jwks: { keys: unknown[] } | null;
  jwksUrl: string | null;
}

/** Where a client's keys come from: inline, or fetched from its JWKS URL (SMART Backend Services allows either). */
export type JwksSource = { jwks: { keys: Array<{ kid?: string }> } } | { jwksUrl: string };

/**
 * Registers (or replaces) the clinic's backend client JWKS inside the caller's transaction (the access layer audits
 * it in the same one); the client_id stays the same across replacements. Null when the clinic is unknown.
 */
export async function setSmartClient(tx: Tx, clinicId: string, source: JwksSource): Promise<string | null> {
  if (!isUuid(clinicId)) return null;
  const res = await tx.query(
    `INSERT INTO smart_client (client_id, clinic_id, jwks, jwks_url)
       SELECT $1, id, $2, $4 FROM clinic WHERE id = $3
     ON CONFLICT (clinic_id) DO UPDATE SET jwks = EXCLUDED.jwks, jwks_url = EXCLUDED.jwks_url, updated_at = now()
     RETURNING client_id`,
    [
      `fabc_${randomBytes(16).toString('base64url')}`,
      'jwks' in source ? JSON.stringify(source.jwks) : null,
      clinicId,
      'jwksUrl' in source ? source.jwksUrl : null,
    ],
  );
  return res.rows[0]?.client_id ?? null;
}

export async function findSmartClient(db: Db, clientId: string): Promise<SmartClient | null> {
  const res = await db.query('SELECT client_id AS "clientId", clinic_id AS "clinicId", jwks, jwks_url AS "jwksUrl" FROM smart_client WHERE client_id = $1', [
    clientId,
  ]);
  return res.rows[0] ?? null;
}

/**
 * Records an assertion's jti until it expires; false when it was already used (a replay). The primary key decides,
 * so two processes racing with one assertion cannot both win. Expired jtis are swept on the way.
 */
export async function useJti(db: Db, clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
  await db.query('DELETE FROM smart_jti WHERE expires_at < statement_timestamp()');
  const res = await db.query('INSERT INTO smart_jti (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [clientId, jti, expiresAt]);
  return res.rowCount === 1;
}

/** Issues an opaque access token; only its SHA-256 is stored. */
export async function issueToken(db: Db, clinicId: string, scopes: string[], lifetimeSeconds: number): Promise<string> {
  const token = `fabt_${randomBytes(32).toString('base64url')}`;
  await db.query('DELETE FROM smart_token WHERE expires_at < statement_timestamp()');
  await db.query(
    `INSERT INTO smart_token (token_hash, clinic_id, scopes, expires_at)
       VALUES ($1, $2, $3, statement_timestamp() + make_interval(secs => $4))`,
    [keyHash(token), clinicId, scopes, lifetimeSeconds],
  );
  return token;
}

/** The clinic and scopes of a live access token, read per request like API keys (no cache). */
export async function findToken(db: Db, token: string): Promise<{ clinic: Clinic; scopes: string[] } | null> {
  const res = await db.query(
    `SELECT c.id, c.name, t.scopes FROM smart_token t JOIN clinic c ON c.id = t.clinic_id
      WHERE t.token_hash = $1 AND t.expires_at > statement_timestamp()`,
    [keyHash(token)],
  );
  const row = res.rows[0];
  return row ? { clinic: { id: row.id, name: row.name }, scopes: row.scopes } : null;
}
