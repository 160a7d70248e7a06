/**
 * SQL of the verifiable log (migration 022): the queue writers append to in their own transaction, the leaves and
 * tiles the sequencer writes under its advisory lock, person chains and checkpoints. Formats live in bridge/log/.
 */
import type { Db, Tx } from './db';

/** Advisory-lock key of the sequencer: one process at a time assigns leaf indexes (Tessera's integration step). */
const SEQUENCER_LOCK_KEY = 0x66616c6f67n; // "falog"

export type LogKind = 'bundle' | 'resource' | 'audit';

export interface QueuedEntry {
  kind: LogKind;
  refId: string;
  version?: number | null;
  /** `0x` + 64 hex. */
  docHash: string;
  clinicId?: string | null;
  resourceType?: string | null;
  personId?: string | null;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Queues log entries inside the caller's transaction (so an entry exists exactly when what it describes does). Their
 * salts are drawn when they are integrated (migration 025); hashes go as hex text, decoded by PostgreSQL.
 */
export async function queueLogEntries(tx: Db | Tx, entries: readonly QueuedEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx.query(
    `INSERT INTO log_queue (kind, ref_id, version, doc_hash, clinic_id, resource_type, person_id)
     SELECT k, r, v, decode(h, 'hex'), c, t, p FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::uuid[], $6::text[], $7::uuid[]) AS u(k, r, v, h, c, t, p)`,
    [
      entries.map((e) => e.kind),
      entries.map((e) => e.refId),
      entries.map((e) => e.version ?? null),
      entries.map((e) => e.docHash.replace(/^0x/, '')),
      entries.map((e) => e.clinicId ?? null),
      entries.map((e) => e.resourceType ?? null),
      entries.map((e) => e.personId ?? null),
    ],
  );
}

export interface QueueRow {
  seq: number;
  kind: LogKind;
  refId: string;
  version: number | null;
  /** `0x` + 64 hex (what the leaf document holds: no bytea parse and re-encode per entry). */
  docHash: string;
  /** Set only for entries queued before migration 025; the sequencer draws the others'. */
  salt: string | null;
  clinicId: string | null;
  resourceType: string | null;
  personId: string | null;
}

/**
 * Runs `work` in one transaction holding the sequencer lock; undefined (work not run) when another process holds it.
 * Everything an integration writes (leaves, tiles, chains, checkpoint) commits together or not at all.
 */
export async function withSequencer<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T | undefined> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const res = await client.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [SEQUENCER_LOCK_KEY.toString()]);
    if (!(res.rows[0] as { ok: boolean }).ok) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function logSize(db: Db | Tx): Promise<number> {
  const res = await db.query('SELECT COALESCE(max(leaf_index) + 1, 0) AS size FROM log_leaf');
  return (res.rows[0] as { size: number }).size;
}

/** The oldest queued entries, in queue order (only what their leaf documents need; the rest moves in SQL). */
export async function claimQueued(tx: Tx, limit: number): Promise<QueueRow[]> {
  const res = await tx.query(
    `SELECT seq, kind, ref_id AS "refId", version, '0x' || encode(doc_hash, 'hex') AS "docHash", '0x' || encode(salt, 'hex') AS salt,
       clinic_id AS "clinicId", resource_type AS "resourceType", person_id AS "personId"
     FROM log_queue ORDER BY seq LIMIT $1`,
    [limit],
  );
  return res.rows;
}

export async function queuedCount(db: Db, limit = 1): Promise<number> {
  const res = await db.query('SELECT count(*)::int AS n FROM (SELECT 1 FROM log_queue LIMIT $1) q', [limit]);
  return (res.rows[0] as { n: number }).n;
}

/** Tiles by (level, index): the stored bytes (a partial tile may be wider than a caller needs). */
export async function readTiles(db: Db | Tx, ids: readonly { level: number; index: number }[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (!ids.length) return out;
  const res = await db.query(
    `SELECT t.level, t.idx, t.hashes FROM log_tile t JOIN unnest($1::smallint[], $2::bigint[]) AS u(level, idx) ON t.level = u.level AND t.idx = u.idx`,
    [ids.map((i) => i.level), ids.map((i) => i.index)],
  );
  for (const r of res.rows as { level: number; idx: number; hashes: Buffer }[]) out.set(`${r.level}/${r.idx}`, new Uint8Array(r.hashes));
  return out;
}

export interface PersonChain {
  personId: string;
  chainId: Buffer;
  seq: number;
  head: Buffer;
}

export async function readPersonChains(tx: Tx, personIds: readonly string[]): Promise<Map<string, PersonChain>> {
  const out = new Map<string, PersonChain>();
  if (!personIds.length) return out;
  const res = await tx.query(`SELECT person_id AS "personId", chain_id AS "chainId", seq, head FROM log_person_chain WHERE person_id = ANY($1::uuid[])`, [
    personIds,
  ]);
  for (const r of res.rows as PersonChain[]) out.set(r.personId, r);
  return out;
}

export interface IntegratedLeaf {
  entry: QueueRow;
  commitment: Uint8Array;
  chain: { id: Buffer; seq: number; prev: Buffer | null } | null;
}

export interface Integration {
  /** Leaf index of the first leaf; the others follow it in turn. */
  firstLeafIndex: number;
  /** In queue order. */
  leaves: IntegratedLeaf[];
  /** 32 bytes per leaf, in leaf order: the salt drawn for it, used where its queued entry has none (migration 025). */
  drawnSalts: Uint8Array;
  tiles: { level: number; index: number; hashes: Uint8Array }[];
  chains: PersonChain[];
  checkpoint: { size: number; root: Uint8Array; note: string };
}

/**
 * Writes one integration: the leaves (moved out of the queue by SQL: only their queue numbers and chain links are
 * sent as arrays; commitments and drawn salts as one bytea each, 32 bytes a leaf, cut by ordinality, and the leaf
 * index is the first one plus the ordinality: no hex text per leaf), the changed tiles, the person chains and the
 * checkpoint.
 */
export async function saveIntegration(tx: Tx, it: Integration): Promise<void> {
  const l = it.leaves;
  if (!l.length) throw new Error('log integration of no leaves');
  const commitments = Buffer.allocUnsafe(l.length * 32);
  l.forEach((x, i) => {
    if (x.commitment.length !== 32) throw new Error(`log integration leaf ${i} has a malformed commitment`);
    commitments.set(x.commitment, i * 32);
  });
  if (it.drawnSalts.length !== l.length * 32) throw new Error('log integration needs 32 drawn salt bytes a leaf');
  const chainHex = (b: Uint8Array | null | undefined): string | null => (b ? hexOf(b) : null);
  const moved = await tx.query(
    `WITH u AS (SELECT *, ((ord - 1) * 32 + 1)::int AS at FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[])
       WITH ORDINALITY AS u(seq, chain_id, chain_seq, chain_prev, ord)),
     moved AS (DELETE FROM log_queue q USING u WHERE q.seq = u.seq RETURNING q.*)
     INSERT INTO log_leaf (leaf_index, kind, ref_id, version, doc_hash, salt, clinic_id, resource_type, chain_id, chain_seq, chain_prev, commitment, queued_at)
     SELECT $5::bigint + u.ord - 1, m.kind, m.ref_id, m.version, m.doc_hash, COALESCE(m.salt, substring($7::bytea FROM u.at FOR 32)),
       m.clinic_id, m.resource_type, decode(u.chain_id, 'hex'), u.chain_seq, decode(u.chain_prev, 'hex'), substring($6::bytea FROM u.at FOR 32), m.queued_at
     FROM moved m JOIN u ON u.seq = m.seq`,
    [
      l.map((x) => x.entry.seq),
      l.map((x) => chainHex(x.chain?.id)),
      l.map((x) => x.chain?.seq ?? null),
      l.map((x) => chainHex(x.chain?.prev)),
      it.firstLeafIndex,
      commitments,
      Buffer.from(it.drawnSalts.buffer, it.drawnSalts.byteOffset, it.drawnSalts.byteLength),
    ],
  );
  // Under the sequencer lock nothing else takes queued entries; a shortfall would leave a gap in the leaf indexes.
  if (moved.rowCount !== l.length) throw new Error(`log integration moved ${moved.rowCount} of ${l.length} queued entries`);
  if (it.tiles.length) {
    await tx.query(
      `INSERT INTO log_tile (level, idx, hashes) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
       ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes WHERE octet_length(EXCLUDED.hashes) > octet_length(log_tile.hashes)`,
      [it.tiles.map((t) => t.level), it.tiles.map((t) => t.index), it.tiles.map((t) => Buffer.from(t.hashes))],
    );
  }
  if (it.chains.length) {
    await tx.query(
      `INSERT INTO log_person_chain (person_id, chain_id, seq, head) SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::bigint[], $4::bytea[])
       ON CONFLICT (person_id) DO UPDATE SET seq = EXCLUDED.seq, head = EXCLUDED.head`,
      [it.chains.map((c) => c.personId), it.chains.map((c) => c.chainId), it.chains.map((c) => c.seq), it.chains.map((c) => c.head)],
    );
  }
  await tx.query('INSERT INTO log_checkpoint (tree_size, root, note) VALUES ($1, $2, $3)', [
    it.checkpoint.size,
    Buffer.from(it.checkpoint.root),
    it.checkpoint.note,
  ]);
}

export interface CheckpointRow {
  size: number;
  root: string;
  /** The signed note with its cosignature lines appended. */
  note: string;
  createdAt: string;
  status: 'pending' | 'submitted' | 'confirmed';
  chainId: number | null;
  contract: string | null;
  logId: string | null;
  txHash: string | null;
  blockNumber: number | null;
}

const CHECKPOINT = `SELECT tree_size AS size, '0x' || encode(root, 'hex') AS root, note || array_to_string(cosignatures, '') AS note, created_at AS "createdAt",
  status, chain_id AS "chainId", contract, '0x' || encode(log_id, 'hex') AS "logId", '0x' || encode(tx_hash, 'hex') AS "txHash", block_number AS "blockNumber"
  FROM log_checkpoint`;

export async function latestCheckpoint(db: Db | Tx): Promise<CheckpointRow | null> {
  const res = await db.query(`${CHECKPOINT} ORDER BY tree_size DESC LIMIT 1`);
  return res.rows[0] ?? null;
}

/** The newest checkpoint and the newest anchored one, in one round trip (what every proof is built against). */
export async function latestCheckpoints(db: Db | Tx): Promise<{ latest: CheckpointRow | null; anchored: CheckpointRow | null }> {
  const res = await db.query(
    `SELECT * FROM ((${CHECKPOINT} ORDER BY tree_size DESC LIMIT 1) UNION ALL (${CHECKPOINT} WHERE status = 'confirmed' ORDER BY tree_size DESC LIMIT 1)) c`,
  );
  const rows = (res.rows as CheckpointRow[]).sort((a, b) => Number(b.size) - Number(a.size));
  return { latest: rows[0] ?? null, anchored: rows.find((r) => r.status === 'confirmed') ?? null };
}

export async function checkpointAt(db: Db, size: number): Promise<CheckpointRow | null> {
  const res = await db.query(`${CHECKPOINT} WHERE tree_size = $1`, [size]);
  return res.rows[0] ?? null;
}

/** The checkpoint to prove a leaf against: the newest anchored one that contains it, else the newest that does. */
export async function checkpointCovering(db: Db, leafIndex: number): Promise<CheckpointRow | null> {
  const res = await db.query(
    `SELECT * FROM ((${CHECKPOINT} WHERE tree_size > $1 AND status = 'confirmed' ORDER BY tree_size DESC LIMIT 1)
       UNION ALL (${CHECKPOINT} WHERE tree_size > $1 ORDER BY tree_size DESC LIMIT 1)) c ORDER BY (c.status = 'confirmed') DESC LIMIT 1`,
    [leafIndex],
  );
  return res.rows[0] ?? null;
}

/** Appends a witness's cosignature line to a checkpoint (once per witness key name). */
export async function addCosignature(db: Db, size: number, keyName: string, line: string): Promise<void> {
  await db.query(
    `UPDATE log_checkpoint SET cosignatures = array_append(cosignatures, $3)
     WHERE tree_size = $1 AND NOT EXISTS (SELECT 1 FROM unnest(cosignatures) c WHERE c LIKE $2)`,
    [size, `— ${keyName.replace(/[\\%_]/g, (c) => '\\' + c)} %`, line],
  );
}

export interface LeafRow {
  leafIndex: number;
  kind: LogKind;
  refId: string;
  version: number | null;
  docHash: string;
  salt: string | null;
  clinicId: string | null;
  resourceType: string | null;
  chainId: string | null;
  chainSeq: number | null;
  chainPrev: string | null;
}

// Hashes leave the database as 0x hex text (what LeafRow holds): no bytea parse and re-encode per leaf of a page.
const LEAF = `SELECT leaf_index AS "leafIndex", kind, ref_id AS "refId", version, '0x' || encode(doc_hash, 'hex') AS "docHash",
  '0x' || encode(salt, 'hex') AS salt, clinic_id AS "clinicId", resource_type AS "resourceType", '0x' || encode(chain_id, 'hex') AS "chainId",
  chain_seq AS "chainSeq", '0x' || encode(chain_prev, 'hex') AS "chainPrev" FROM log_leaf`;

const leafRow = (r: Record<string, unknown>): LeafRow => r as unknown as LeafRow;

/** The run of leaves after a bundle's own where its resources' are looked for: its entries twice over (room for interleaved writes), and some. */
const NEAR_SPAN = '(2 * b.entry_count + 64)';
const NEAR_SCAN_RATIO = 12;

/**
 * The leaves of the resource versions a query selects (its columns: `id`, `version`, `bundle_id`), by `id/version`:
 * null for a version with no leaf yet; a version the query did not select is not in the map. A page of `$everything`
 * runs this beside its own query, on another connection, with the same selection of narrow columns: the leaves cost
 * the page little more than its own rows (npm run bench -- log-everything).
 *
 * Looked for near their bundle: a bundle's entry and its resource versions are queued in one transaction, so their
 * leaves lie together right after the bundle's leaf (interleaved at most with entries of concurrent writes). Scanning
 * that run of the leaf_index key reads a few consecutive pages, where finding each leaf by (ref_id, version) costs a
 * random descent of log_leaf_ref_idx and a heap page apiece (about 6 µs; 1,000 of them were most of what proofs added
 * to a page). A bundle's run is scanned when it is at most NEAR_SCAN_RATIO times the versions wanted from it; a leaf
 * not found there (its bundle too large for what is wanted, a write interleaved farther) is looked up by ref_id and
 * version, so the answer is the same either way. OFFSET 0 keeps each LATERAL subquery a subquery: a range scan per
 * run, and a lookup run only for a version the runs lacked. near_run is MATERIALIZED so that the runs scanned are
 * only those of the page's bundles: inlined, the planner (estimating 200 groups for `rows`) may scan the run of every
 * bundle and join the wanted ones after; with 35 bundles that read 17,000 leaves instead of 2,700, 11 ms where 4.
 */
export async function leavesOfRows(db: Db, rows: string, params: readonly unknown[]): Promise<Map<string, LeafRow | null>> {
  const res = await db.query(
    `WITH rows AS MATERIALIZED (${rows}),
     near_run AS MATERIALIZED (
       SELECT g.bundle_id, bl.leaf_index AS lo, bl.leaf_index + ${NEAR_SPAN} AS hi
       FROM (SELECT bundle_id, count(*) AS wanted FROM rows WHERE bundle_id IS NOT NULL GROUP BY bundle_id) g
       JOIN bundle b ON b.id = g.bundle_id AND ${NEAR_SPAN} <= ${NEAR_SCAN_RATIO} * g.wanted
       JOIN log_leaf bl ON bl.kind = 'bundle' AND bl.ref_id = g.bundle_id),
     near_leaf AS (
       SELECT w.bundle_id, l.leaf_index, l.ref_id, l.version, l.doc_hash, l.salt, l.clinic_id, l.resource_type
       FROM near_run w CROSS JOIN LATERAL (SELECT * FROM log_leaf l WHERE l.leaf_index > w.lo AND l.leaf_index <= w.hi AND l.kind = 'resource' OFFSET 0) l)
     SELECT COALESCE(nl.leaf_index, fl.leaf_index) AS "leafIndex", 'resource' AS kind, rows.id AS "refId", rows.version,
       '0x' || encode(COALESCE(nl.doc_hash, fl.doc_hash), 'hex') AS "docHash", '0x' || encode(COALESCE(nl.salt, fl.salt), 'hex') AS salt,
       COALESCE(nl.clinic_id, fl.clinic_id) AS "clinicId", COALESCE(nl.resource_type, fl.resource_type) AS "resourceType"
     FROM rows
     LEFT JOIN near_leaf nl ON nl.bundle_id = rows.bundle_id AND nl.ref_id = rows.id AND nl.version = rows.version
     LEFT JOIN LATERAL (SELECT fl.leaf_index, fl.doc_hash, fl.salt, fl.clinic_id, fl.resource_type FROM log_leaf fl
       WHERE nl.ref_id IS NULL AND fl.kind = 'resource' AND fl.ref_id = rows.id AND fl.version = rows.version OFFSET 0) fl ON true`,
    [...params],
  );
  // Each row has the columns of a resource LeafRow, as findLeaves reads them; no leaf yet: null.
  const out = new Map<string, LeafRow | null>();
  for (const r of res.rows) out.set(`${r.refId}/${r.version}`, r.leafIndex === null ? null : leafRow(r));
  return out;
}

/**
 * SQL that joins to each row of alias `r` (a resource: `id`, `version`) the leaf of its version, by (ref_id, version):
 * `join` after the FROM, `columns` for the select list, read back with {@link rowLeaf}. For a few rows from many
 * bundles (the resources a page includes), where one descent of log_leaf_ref_idx apiece is the cheapest way.
 */
export const ROW_LEAF = {
  join: `LEFT JOIN LATERAL (SELECT l.leaf_index, l.doc_hash, l.salt, l.clinic_id, l.resource_type FROM log_leaf l
    WHERE l.kind = 'resource' AND l.ref_id = r.id AND l.version = r.version) leaf ON true`,
  columns: `leaf.leaf_index AS "leafIndex", '0x' || encode(leaf.doc_hash, 'hex') AS "docHash", '0x' || encode(leaf.salt, 'hex') AS "leafSalt",
    leaf.clinic_id AS "leafClinicId", leaf.resource_type AS "leafResourceType"`,
};

/** The resource LeafRow of a row read with ROW_LEAF's columns (null: its version has no leaf yet). */
export function rowLeaf(r: {
  id: string;
  version: number;
  leafIndex: number | null;
  docHash: string;
  leafSalt: string | null;
  leafClinicId: string | null;
  leafResourceType: string | null;
}): LeafRow | null {
  if (r.leafIndex === null) return null;
  const version = Number(r.version);
  return {
    leafIndex: r.leafIndex,
    kind: 'resource',
    refId: r.id,
    version,
    docHash: r.docHash,
    salt: r.leafSalt,
    clinicId: r.leafClinicId,
    resourceType: r.leafResourceType,
    chainId: null,
    chainSeq: null,
    chainPrev: null,
  };
}

/** Leaves of the given entries (a resource's by id and version; bundles and audit records by id). */
export async function findLeaves(db: Db, refs: readonly { kind: LogKind; id: string; version?: number | null }[]): Promise<LeafRow[]> {
  const resources = refs.filter((r) => r.kind === 'resource');
  const others = refs.filter((r) => r.kind !== 'resource');
  const [a, b] = await Promise.all([
    // A page of proofs asks for a thousand resource versions: the exact (ref_id, version) index, only the columns a
    // resource leaf has, hashes as hex text.
    resources.length
      ? db.query(
          `SELECT leaf_index AS "leafIndex", 'resource' AS kind, ref_id AS "refId", l.version, '0x' || encode(doc_hash, 'hex') AS "docHash",
             '0x' || encode(salt, 'hex') AS salt, clinic_id AS "clinicId", resource_type AS "resourceType"
           FROM log_leaf l JOIN unnest($1::uuid[], $2::int[]) AS u(u_id, u_version) ON l.ref_id = u.u_id AND l.version = u.u_version
           WHERE l.kind = 'resource'`,
          [resources.map((r) => r.id), resources.map((r) => r.version ?? 0)],
        )
      : undefined,
    others.length
      ? db.query(
          `${LEAF} l JOIN unnest($1::uuid[], $2::int[], $3::text[]) AS u(u_id, u_version, u_kind)
             ON l.ref_id = u.u_id AND COALESCE(l.version, 0) = u.u_version AND l.kind = u.u_kind`,
          [others.map((r) => r.id), others.map((r) => r.version ?? 0), others.map((r) => r.kind)],
        )
      : undefined,
  ]);
  return [...(a?.rows ?? []), ...(b?.rows ?? [])].map(leafRow);
}

/**
 * Which of the entries are accepted but were not found as leaves, as `kind/id/version` keys (version 0 for none):
 * queued, or integrated since their leaf was looked for. One statement reads the queue and the leaves in one
 * snapshot, and the sequencer moves an entry from one to the other in one transaction, so an entry integrated
 * between the two reads is never missed (it would be reported unknown).
 */
export async function acceptedRefs(db: Db, refs: readonly { kind: LogKind; id: string; version?: number | null }[]): Promise<Set<string>> {
  if (!refs.length) return new Set();
  const res = await db.query(
    `WITH u AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[]) AS u(u_id, u_version, u_kind))
     SELECT q.kind || '/' || q.ref_id || '/' || COALESCE(q.version, 0) AS key FROM log_queue q
       JOIN u ON q.ref_id = u.u_id AND COALESCE(q.version, 0) = u.u_version AND q.kind = u.u_kind
     UNION
     SELECT l.kind || '/' || l.ref_id || '/' || COALESCE(l.version, 0) FROM log_leaf l
       JOIN u ON l.ref_id = u.u_id AND COALESCE(l.version, 0) = u.u_version AND l.kind = u.u_kind`,
    [refs.map((r) => r.id), refs.map((r) => r.version ?? 0), refs.map((r) => r.kind)],
  );
  return new Set(res.rows.map((r) => r.key as string));
}

/** Commitments of leaves [start, end), in order (entry bundles). */
export async function readCommitments(db: Db, start: number, end: number): Promise<Uint8Array[]> {
  const res = await db.query('SELECT commitment FROM log_leaf WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index', [start, end]);
  return (res.rows as { commitment: Buffer }[]).map((r) => new Uint8Array(r.commitment));
}

/** Every audit leaf of one person's chain, by sequence number (their access log, provably complete up to its head). */
export async function chainLeaves(db: Db, personId: string): Promise<LeafRow[]> {
  const res = await db.query(`${LEAF} WHERE chain_id = (SELECT chain_id FROM log_person_chain WHERE person_id = $1) ORDER BY chain_seq`, [personId]);
  return res.rows.map(leafRow);
}

export interface BackfillVersion {
  id: string;
  resourceType: string;
  clinicId: string;
  version: number;
  content: unknown;
}

/** Every version of up to `limit` resources stored before the log existed (migration 022's log_backfill). */
export async function backfillBatch(db: Db, limit: number): Promise<{ ids: string[]; versions: BackfillVersion[] }> {
  const ids = (await db.query('SELECT resource_id FROM log_backfill ORDER BY resource_id LIMIT $1', [limit])).rows.map((r) => r.resource_id as string);
  if (!ids.length) return { ids, versions: [] };
  const res = await db.query(
    `SELECT r.id, r.resource_type AS "resourceType", r.clinic_id AS "clinicId", r.version, r.content FROM resource r WHERE r.id = ANY($1::uuid[])
     UNION ALL
     SELECT h.resource_id, r.resource_type, r.clinic_id, h.version, h.content FROM resource_history h JOIN resource r ON r.id = h.resource_id
     WHERE h.resource_id = ANY($1::uuid[])
     ORDER BY 1, 4`,
    [ids],
  );
  return { ids, versions: res.rows };
}

/** Queues the entries of a backfill batch and marks its resources done, in one transaction. */
export async function saveBackfill(db: Db, ids: readonly string[], entries: readonly QueuedEntry[]): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // Only resources still listed: another process may have done this batch meanwhile.
    const claimed = await client.query('DELETE FROM log_backfill WHERE resource_id = ANY($1::uuid[]) RETURNING resource_id', [ids]);
    const mine = new Set(claimed.rows.map((r) => r.resource_id as string));
    await queueLogEntries(
      client,
      entries.filter((e) => mine.has(e.refId)),
    );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
