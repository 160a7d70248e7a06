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
 * Records a bundle unless this clinic already sent the same bytes. A concurrent push of the same bundle waits on the
 * unique index until the first commits, then sees it: returns null and the caller replays the first response.
 */
export async function insertBundle(tx: Tx, row: BundleRow): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO bundle (id, clinic_id, hash, bundle_type, entry_count, canonical, root_id, root_meta, response, salt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}'::json, $9)
     ON CONFLICT (clinic_id, hash) DO NOTHING RETURNING id`,
    [row.id, row.clinicId, hex(row.hash), row.bundleType, row.entryCount, row.canonical, row.rootId, row.rootMeta === undefined ? null : JSON.stringify(row.rootMeta), row.salt],
  );
  return res.rowCount === 1;
}

export async function setBundleResponse(tx: Tx, id: string, response: unknown): Promise<void> {
  await tx.query('UPDATE bundle SET response = $2 WHERE id = $1', [id, JSON.stringify(response)]);
}

export async function findBundleResponse(tx: Tx, clinicId: string, hash: string): Promise<unknown | null> {
  const res = await tx.query('SELECT response FROM bundle WHERE clinic_id = $1 AND hash = $2', [clinicId, hex(hash)]);
  return res.rows[0]?.response ?? null;
}
