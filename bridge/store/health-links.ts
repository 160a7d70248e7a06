/**
 * SMART Health Links of patient accounts (migration 021): the encrypted IPS snapshot, the SHA-256 of the manifest id and
 * of each single-use file ticket, the passcode's Argon2id hash with its lifetime count of wrong attempts. The
 * decisions (who, passcode, expiry, audit) are bridge/access/health-links.ts'; these are its statements.
 */
import type { Db, Tx } from './db';

export interface NewHealthLink {
  id: string;
  accountId: string;
  manifestHash: Buffer;
  label: string | null;
  passcodeHash: string | null;
  attemptsLeft: number | null;
  expiresAt: string;
  patientIds: string[];
  resourceTypes: string[];
  fileJwe: string;
}

export async function insertHealthLink(db: Db | Tx, l: NewHealthLink): Promise<{ createdAt: string }> {
  const res = await db.query(
    `INSERT INTO health_link (id, account_id, manifest_hash, label, passcode_hash, attempts_left, expires_at, patient_ids, resource_types, file_jwe)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::uuid[], $9::text[], $10) RETURNING created_at AS "createdAt"`,
    [l.id, l.accountId, l.manifestHash, l.label, l.passcodeHash, l.attemptsLeft, l.expiresAt, l.patientIds, l.resourceTypes, l.fileJwe],
  );
  return res.rows[0];
}

export interface HealthLinkSummary {
  id: string;
  label: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  disabledAt: string | null;
  expired: boolean;
  hasPasscode: boolean;
  attemptsLeft: number | null;
  accessCount: number;
  lastAccessAt: string | null;
}

const SUMMARY_COLUMNS = `id, label, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", disabled_at AS "disabledAt",
  expires_at <= statement_timestamp() AS expired, passcode_hash IS NOT NULL AS "hasPasscode", attempts_left AS "attemptsLeft",
  access_count AS "accessCount", last_access_at AS "lastAccessAt"`;

/** The account's links, newest first. */
export async function accountHealthLinks(db: Db | Tx, accountId: string): Promise<HealthLinkSummary[]> {
  const res = await db.query(`SELECT ${SUMMARY_COLUMNS} FROM health_link WHERE account_id = $1 ORDER BY created_at DESC, id`, [accountId]);
  return res.rows;
}

/**
 * Revokes the account's link `id` (its encrypted file and open tickets dropped at once). 'revoked' also when it was
 * revoked before (DELETE is idempotent); 'unknown' when no link `id` belongs to the account.
 */
export async function revokeHealthLink(tx: Tx, accountId: string, id: string): Promise<'revoked' | 'unknown'> {
  const res = await tx.query(
    `UPDATE health_link SET revoked_at = COALESCE(revoked_at, statement_timestamp()), file_jwe = NULL WHERE id = $1 AND account_id = $2 RETURNING id`,
    [id, accountId],
  );
  if (!res.rowCount) return 'unknown';
  await tx.query('DELETE FROM health_link_ticket WHERE link_id = $1', [id]);
  return 'revoked';
}

/** A link as a manifest request sees it, locked for the request's transaction (passcode attempts are counted serially). */
export interface LockedHealthLink {
  id: string;
  accountId: string;
  /** The person the owner's account reaches now (null when the account is disabled or has no records left). */
  personId: string | null;
  passcodeHash: string | null;
  attemptsLeft: number | null;
  createdAt: string;
  state: 'active' | 'expired' | 'revoked' | 'disabled';
  patientIds: string[];
  resourceTypes: string[];
  fileJwe: string | null;
}

/** The link whose manifest id hashes to `manifestHash`, `FOR UPDATE`; null when none. */
export async function lockHealthLinkByManifest(tx: Tx, manifestHash: Buffer): Promise<LockedHealthLink | null> {
  const res = await tx.query(
    `SELECT l.id, l.account_id AS "accountId", l.passcode_hash AS "passcodeHash", l.attempts_left AS "attemptsLeft", l.created_at AS "createdAt",
            CASE WHEN l.revoked_at IS NOT NULL THEN 'revoked' WHEN l.disabled_at IS NOT NULL THEN 'disabled'
                 WHEN l.expires_at <= statement_timestamp() THEN 'expired' ELSE 'active' END AS state,
            l.patient_ids AS "patientIds", l.resource_types AS "resourceTypes", l.file_jwe AS "fileJwe",
            (SELECT p.person_id FROM patient_account a JOIN patient_account_record par ON par.account_id = a.id JOIN patient p ON p.id = par.patient_id
              WHERE a.id = l.account_id AND a.disabled_at IS NULL ORDER BY par.enrolled_at, p.id LIMIT 1) AS "personId"
       FROM health_link l WHERE l.manifest_hash = $1 FOR UPDATE OF l`,
    [manifestHash],
  );
  return res.rows[0] ?? null;
}

/** One wrong passcode counted; at zero attempts left the link is disabled and its file dropped. Returns the attempts left. */
export async function countWrongPasscode(tx: Tx, id: string): Promise<number> {
  const res = await tx.query(
    `UPDATE health_link SET attempts_left = attempts_left - 1,
            disabled_at = CASE WHEN attempts_left - 1 <= 0 THEN statement_timestamp() ELSE disabled_at END,
            file_jwe = CASE WHEN attempts_left - 1 <= 0 THEN NULL ELSE file_jwe END
      WHERE id = $1 AND attempts_left > 0 RETURNING attempts_left AS "attemptsLeft"`,
    [id],
  );
  return res.rows[0]?.attemptsLeft ?? 0;
}

/** A successful manifest request counted. */
export async function countHealthLinkAccess(tx: Tx, id: string): Promise<void> {
  await tx.query('UPDATE health_link SET access_count = access_count + 1, last_access_at = statement_timestamp() WHERE id = $1', [id]);
}

/** A single-use `files.location` ticket of `link` for `recipient`, valid `ttlSeconds`. */
export async function insertHealthLinkTicket(tx: Tx, t: { tokenHash: Buffer; linkId: string; recipient: string; ttlSeconds: number }): Promise<void> {
  await tx.query(
    `INSERT INTO health_link_ticket (token_hash, link_id, recipient, expires_at) VALUES ($1, $2, $3, statement_timestamp() + make_interval(secs => $4))`,
    [t.tokenHash, t.linkId, t.recipient, t.ttlSeconds],
  );
}

export interface RedeemedTicket {
  linkId: string;
  recipient: string;
  personId: string | null;
  patientIds: string[];
  resourceTypes: string[];
  fileJwe: string;
}

/**
 * Consumes the ticket hashing to `tokenHash` when it is unused, unexpired and its link still active (not revoked,
 * disabled or expired, its file present); null otherwise. Expired tickets of any link are swept on the way.
 */
export async function redeemHealthLinkTicket(tx: Tx, tokenHash: Buffer): Promise<RedeemedTicket | null> {
  await tx.query("DELETE FROM health_link_ticket WHERE expires_at < statement_timestamp() - interval '1 day'");
  const res = await tx.query(
    `UPDATE health_link_ticket t SET used_at = statement_timestamp()
       FROM health_link l
      WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > statement_timestamp() AND l.id = t.link_id
        AND l.revoked_at IS NULL AND l.disabled_at IS NULL AND l.expires_at > statement_timestamp() AND l.file_jwe IS NOT NULL
     RETURNING l.id AS "linkId", t.recipient, l.patient_ids AS "patientIds", l.resource_types AS "resourceTypes", l.file_jwe AS "fileJwe",
       (SELECT p.person_id FROM patient_account a JOIN patient_account_record par ON par.account_id = a.id JOIN patient p ON p.id = par.patient_id
         WHERE a.id = l.account_id AND a.disabled_at IS NULL ORDER BY par.enrolled_at, p.id LIMIT 1) AS "personId"`,
    [tokenHash],
  );
  return res.rows[0] ?? null;
}
