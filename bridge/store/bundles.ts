import type { Tx } from './db';

export interface BundleRow {
  id: string;
  clinicId: string;
  hash: string;
  bundleType: string;
  entryCount: number;
  canonical: string;
  rootId: string | null;
  rootMeta: unknown;
  salt: Buffer;
}

const hex = (h: string): Buffer => Buffer.from(h.replace(/^0x/, ''), 'hex');

/**
 * Serializes pushes of the same bytes by one clinic until the end of the transaction (an advisory lock on clinic and
 * hash): a concurrent identical push waits for the first to commit, then sees its row and may replay it.
 */
export async function lockBundleHash(tx: Tx, clinicId: string, hash: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`bundle:${clinicId}:${hash}`]);
}

/**
 * Records a pushed bundle (the same bytes may be stored again when they are applied again: each row its own salt and
 * leaf), and queues its verifiable-log entry in the same statement (store/log.ts).
 */
export async function insertBundle(tx: Tx, row: BundleRow): Promise<void> {
  await tx.query(
    `WITH b AS (INSERT INTO bundle (id, clinic_id, hash, bundle_type, entry_count, canonical, root_id, root_meta, response, salt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}'::json, $9) RETURNING id, hash, clinic_id)
     INSERT INTO log_queue (kind, ref_id, doc_hash, clinic_id) SELECT 'bundle', id, hash, clinic_id FROM b`,
    [
      row.id,
      row.clinicId,
      hex(row.hash),
      row.bundleType,
      row.entryCount,
      row.canonical,
      row.rootId,
      row.rootMeta === undefined ? null : JSON.stringify(row.rootMeta),
      row.salt,
    ],
  );
}

export async function setBundleResponse(tx: Tx, id: string, response: unknown): Promise<void> {
  await tx.query('UPDATE bundle SET response = $2 WHERE id = $1', [id, JSON.stringify(response)]);
}

/** The responses of every earlier push of these bytes by this clinic, newest first. */
export async function findBundleResponses(tx: Tx, clinicId: string, hash: string): Promise<unknown[]> {
  const res = await tx.query('SELECT response FROM bundle WHERE clinic_id = $1 AND hash = $2 ORDER BY received_at DESC, id', [clinicId, hex(hash)]);
  return res.rows.map((r: { response: unknown }) => r.response);
}
