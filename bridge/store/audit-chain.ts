/** Where audit entries stand in the verifiable log: their person-chain link and whether a checkpoint / an anchor covers them. */
import type { Db } from './db';

export interface AuditChainRow {
  seq: number | null;
  /** `0x` hex commitment of the previous entry of the chain (null for the first). */
  prev: string | null;
  inCheckpoint: boolean;
  anchored: boolean;
}

/** The chain state of each audit id that is already a leaf (ids still queued are absent). */
export async function auditChainStates(db: Db, ids: string[]): Promise<Map<string, AuditChainRow>> {
  if (!ids.length) return new Map();
  const res = await db.query(
    `SELECT l.ref_id AS id, l.chain_seq AS seq, CASE WHEN l.chain_prev IS NULL THEN NULL ELSE '0x' || encode(l.chain_prev, 'hex') END AS prev,
       l.leaf_index < COALESCE((SELECT max(tree_size) FROM log_checkpoint), 0) AS "inCheckpoint",
       l.leaf_index < COALESCE((SELECT max(tree_size) FROM log_checkpoint WHERE status = 'confirmed'), 0) AS anchored
     FROM log_leaf l WHERE l.kind = 'audit' AND l.ref_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(
    res.rows.map((r) => [
      r.id as string,
      { seq: r.seq === null ? null : Number(r.seq), prev: r.prev as string | null, inCheckpoint: r.inCheckpoint as boolean, anchored: r.anchored as boolean },
    ]),
  );
}
