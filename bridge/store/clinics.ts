import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Db, inTransaction, Tx } from './db';

export interface Clinic {
  id: string;
  name: string;
}

/** One API key of a clinic, as listed (never the key nor its hash). */
export interface ClinicKey {
  keyId: string;
  createdAt: string;
  /** When the key stopped (or, in a grace period, stops) authenticating; null while it has no end. */
  revokedAt: string | null;
  active: boolean;
}

/** SHA-256 of a key: what is stored and looked up (a random 256-bit key needs no slow hash). */
export const keyHash = (apiKey: string): Buffer => createHash('sha256').update(apiKey, 'utf8').digest();
const newApiKey = (): string => `fab_${randomBytes(32).toString('base64url')}`;

async function addKey(db: Db | Tx, clinicId: string): Promise<{ keyId: string; apiKey: string }> {
  const keyId = randomUUID();
  const apiKey = newApiKey();
  await db.query('INSERT INTO clinic_key (id, clinic_id, key_hash) VALUES ($1, $2, $3)', [keyId, clinicId, keyHash(apiKey)]);
  return { keyId, apiKey };
}

/** Creates a clinic and its API key. The key is returned once; only its SHA-256 is stored. */
export async function createClinic(db: Db, name: string): Promise<Clinic & { apiKey: string; keyId: string }> {
  const id = randomUUID();
  return inTransaction(db, async (tx) => {
    await tx.query('INSERT INTO clinic (id, name) VALUES ($1, $2)', [id, name]);
    return { id, name, ...(await addKey(tx, id)) };
  });
}

/**
 * The clinic a key belongs to, if the key is live now. Read on every request (no cache), so a revocation holds on
 * every process sharing the database from the instant it commits; `statement_timestamp()` is the database's clock.
 */
export async function findClinicByApiKey(db: Db, apiKey: string): Promise<Clinic | null> {
  const res = await db.query(
    `SELECT c.id, c.name FROM clinic_key k JOIN clinic c ON c.id = k.clinic_id
      WHERE k.key_hash = $1 AND (k.revoked_at IS NULL OR k.revoked_at > statement_timestamp())`,
    [keyHash(apiKey)],
  );
  return res.rows[0] ?? null;
}

export async function listClinics(db: Db): Promise<Clinic[]> {
  const res = await db.query('SELECT id, name FROM clinic ORDER BY created_at');
  return res.rows;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

export async function findClinic(db: Db, clinicId: string): Promise<Clinic | null> {
  if (!isUuid(clinicId)) return null;
  const res = await db.query('SELECT id, name FROM clinic WHERE id = $1', [clinicId]);
  return res.rows[0] ?? null;
}

/** The clinic, locked for a key change (so two rotations of one clinic serialize), or null when unknown. */
export async function lockClinic(tx: Tx, clinicId: string): Promise<Clinic | null> {
  if (!isUuid(clinicId)) return null;
  const res = await tx.query('SELECT id, name FROM clinic WHERE id = $1 FOR UPDATE', [clinicId]);
  return res.rows[0] ?? null;
}

export async function listClinicKeys(db: Db | Tx, clinicId: string): Promise<ClinicKey[]> {
  const res = await db.query(
    `SELECT id AS "keyId", created_at AS "createdAt", revoked_at AS "revokedAt",
            (revoked_at IS NULL OR revoked_at > statement_timestamp()) AS active
       FROM clinic_key WHERE clinic_id = $1 ORDER BY created_at, id`,
    [clinicId],
  );
  return res.rows;
}

/**
 * Rotation inside the caller's transaction: a new key, and every live key of the clinic revoked now, or
 * `graceSeconds` from now (a key already ending sooner keeps its earlier end).
 */
export async function rotateClinicKey(tx: Tx, clinicId: string, graceSeconds: number): Promise<{ keyId: string; apiKey: string; revoked: ClinicKey[] }> {
  const revoked = await tx.query(
    `UPDATE clinic_key SET revoked_at = statement_timestamp() + make_interval(secs => $2)
      WHERE clinic_id = $1 AND (revoked_at IS NULL OR revoked_at > statement_timestamp() + make_interval(secs => $2))
      RETURNING id AS "keyId", created_at AS "createdAt", revoked_at AS "revokedAt", revoked_at > statement_timestamp() AS active`,
    [clinicId, graceSeconds],
  );
  const key = await addKey(tx, clinicId);
  return { ...key, revoked: revoked.rows };
}

/**
 * Revokes keys of a clinic now, inside the caller's transaction: the one named, or every live one. Returns the keys
 * whose end moved to now (an already revoked key is left as it was), or null when the named key is not the clinic's.
 */
export async function revokeClinicKeys(tx: Tx, clinicId: string, keyId?: string): Promise<ClinicKey[] | null> {
  if (keyId !== undefined) {
    if (!isUuid(keyId)) return null;
    const found = await tx.query('SELECT 1 FROM clinic_key WHERE id = $1 AND clinic_id = $2', [keyId, clinicId]);
    if (!found.rowCount) return null;
  }
  const res = await tx.query(
    `UPDATE clinic_key SET revoked_at = statement_timestamp()
      WHERE clinic_id = $1 AND ($2::uuid IS NULL OR id = $2) AND (revoked_at IS NULL OR revoked_at > statement_timestamp())
      RETURNING id AS "keyId", created_at AS "createdAt", revoked_at AS "revokedAt", false AS active`,
    [clinicId, keyId ?? null],
  );
  return res.rows;
}

/** Who asked for a key change, for the audit trail. */
export type KeyActor = 'admin-api' | 'cli';
