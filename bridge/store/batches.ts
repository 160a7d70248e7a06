/**
 * All SQL of anchoring: batches (migrations/003_anchoring.sql) and the bundles' batch membership and proofs.
 * Hashes cross this module as `0x` + lower-case hex; they are stored as bytea.
 */
import type { Db, Tx } from './db';
import { inTransaction } from './db';

export type BatchStatus = 'pending' | 'submitted' | 'confirmed';

export interface BatchRow {
  batchId: string;
  seq: number;
  root: string;
  leafCount: number;
  status: BatchStatus;
  chainId: number | null;
  contract: string | null;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: string | null;
  createdAt: string;
  submittedAt: string | null;
  /** Head block when submitted: where reconciliation looks for the Anchored event (null: submitted by an older release). */
  submittedBlock: number | null;
  confirmedAt: string | null;
  attempts: number;
  lastError: string | null;
}

/** What a leaf stands for: a pushed bundle or an audit record, anchored alike. */
export type LeafSource = 'bundle' | 'audit_event';

/** A bundle or audit record claimed into a batch: its id and the two halves of its leaf. */
export interface ClaimedBundle {
  id: string;
  bundleHash: string;
  salt: string;
}

/** What a receipt needs from the database for one bundle hash. */
export interface ReceiptData {
  /** The id of the bundle (or audit record) row: its ref in the verifiable log. */
  refId: string;
  bundleHash: string;
  salt: string;
  proof: string[];
  leafIndex: number;
  batch: BatchRow;
}

const toHex = (b: Buffer | null): string | null => (b ? '0x' + b.toString('hex') : null);
const toBuf = (h: string): Buffer => Buffer.from(h.replace(/^0x/i, ''), 'hex');

const BATCH_COLUMNS = `t.id, t.seq, t.root, t.leaf_count, t.status, t.chain_id, t.contract, t.tx_hash, t.block_number,
  t.block_time, t.created_at, t.submitted_at, t.submitted_block, t.confirmed_at, t.attempts, t.last_error`;

interface RawBatch {
  id: Buffer;
  seq: number;
  root: Buffer;
  leaf_count: number;
  status: BatchStatus;
  chain_id: number | null;
  contract: string | null;
  tx_hash: Buffer | null;
  block_number: number | null;
  block_time: string | null;
  created_at: string;
  submitted_at: string | null;
  submitted_block: string | null;
  confirmed_at: string | null;
  attempts: number;
  last_error: string | null;
}

function batchFrom(r: RawBatch): BatchRow {
  return {
    batchId: toHex(r.id) as string,
    seq: r.seq,
    root: toHex(r.root) as string,
    leafCount: r.leaf_count,
    status: r.status,
    chainId: r.chain_id,
    contract: r.contract,
    txHash: toHex(r.tx_hash),
    blockNumber: r.block_number,
    blockTime: r.block_time,
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
    submittedBlock: r.submitted_block === null ? null : Number(r.submitted_block),
    confirmedAt: r.confirmed_at,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}

/** Bundles and audit records not yet in a batch (each counted up to `limit`) and the age of the oldest, by the database's clock. */
export async function unbatchedSummary(db: Db, limit: number): Promise<{ count: number; oldestAgeMs: number | null }> {
  const res = await db.query(
    `SELECT count(*)::int AS n, (extract(epoch FROM now() - min(t)) * 1000)::float8 AS age FROM (
       (SELECT received_at AS t FROM bundle WHERE batch_id IS NULL ORDER BY received_at, id LIMIT $1)
       UNION ALL
       (SELECT recorded AS t FROM audit_event WHERE batch_id IS NULL ORDER BY seq LIMIT $1)) s`,
    [limit],
  );
  const row = res.rows[0] as { n: number; age: number | null };
  return { count: row.n, oldestAgeMs: row.age };
}

/** Writes batch membership, leaf index and proof for the claimed rows of one source table. */
async function assignLeaves(tx: Tx, table: LeafSource, batchId: string, ids: string[], firstIndex: number, proofs: string[][]): Promise<void> {
  if (!ids.length) return;
  await tx.query(
    `UPDATE ${table} b SET batch_id = $1, leaf_index = u.i, proof = u.p
       FROM unnest($2::uuid[], $3::int[], $4::jsonb[]) AS u(id, i, p) WHERE b.id = u.id`,
    [toBuf(batchId), ids, ids.map((_, i) => firstIndex + i), proofs.map((p) => JSON.stringify(p))],
  );
}

const claimLeaves = (r: { id: string; hash: Buffer; salt: Buffer }): ClaimedBundle => ({
  id: r.id,
  bundleHash: toHex(r.hash) as string,
  salt: toHex(r.salt) as string,
});

/** Arbitrary but fixed key of the transaction-scoped "one batch commits at a time" advisory lock. */
const CLOSE_LOCK_KEY = 0x46414233; // 'FAB3'

/**
 * Closes one batch: claims up to `max` leaves not yet in a batch — bundles oldest first, then audit records — with
 * FOR UPDATE SKIP LOCKED (two bridge processes on one database never claim the same row), lets `build` compute the
 * tree, then stores the batch and each row's leaf index and proof, all in one transaction, so a batch never exists
 * without its proofs. Returns null when there was nothing to claim.
 *
 * Trees are built in parallel, but the batch row is inserted under a transaction-scoped advisory lock held until
 * commit: `seq` (a sequence, drawn at INSERT) is then drawn and committed in the same order everywhere. Without it a
 * batch could draw seq 46, another process draw 47 and commit first, and the submitter, seeing only 47, anchor it
 * before 46: the anchoring queue must only ever show a gap-free prefix of the closing order.
 */
export async function closeBatch(
  db: Db,
  max: number,
  newBatchId: () => string,
  build: (leaves: ClaimedBundle[]) => Promise<{ root: string; proofs: string[][] }>,
): Promise<BatchRow | null> {
  return inTransaction(db, async (tx: Tx) => {
    const bundles = (
      await tx.query(`SELECT id, hash, salt FROM bundle WHERE batch_id IS NULL ORDER BY received_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`, [max])
    ).rows.map(claimLeaves);
    const audits =
      bundles.length < max
        ? (
            await tx.query(`SELECT id, hash, salt FROM audit_event WHERE batch_id IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, [max - bundles.length])
          ).rows.map(claimLeaves)
        : [];
    const leaves = [...bundles, ...audits];
    if (!leaves.length) return null;
    const { root, proofs } = await build(leaves);
    const batchId = newBatchId();
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLOSE_LOCK_KEY]);
    const inserted = await tx.query(`INSERT INTO batch AS t (id, root, leaf_count) VALUES ($1, $2, $3) RETURNING ${BATCH_COLUMNS}`, [
      toBuf(batchId),
      toBuf(root),
      leaves.length,
    ]);
    await assignLeaves(
      tx,
      'bundle',
      batchId,
      bundles.map((l) => l.id),
      0,
      proofs.slice(0, bundles.length),
    );
    await assignLeaves(
      tx,
      'audit_event',
      batchId,
      audits.map((l) => l.id),
      bundles.length,
      proofs.slice(bundles.length),
    );
    return batchFrom(inserted.rows[0] as RawBatch);
  });
}

/** Batches not yet confirmed, in closing order: the anchoring queue. */
export async function listUnconfirmedBatches(db: Db): Promise<BatchRow[]> {
  const res = await db.query(`SELECT ${BATCH_COLUMNS} FROM batch t WHERE t.status <> 'confirmed' ORDER BY t.seq`);
  return (res.rows as RawBatch[]).map(batchFrom);
}

/**
 * pending|submitted → submitted, before a transaction is signed and sent (so a crash after sending is reconciled on
 * restart). The hash of an earlier attempt is cleared: {@link markSent} records the new one before it is broadcast.
 */
export async function markSubmitted(db: Db, batchId: string, chainId: bigint, contract: string, headBlock: number): Promise<void> {
  await db.query(
    `UPDATE batch SET status = 'submitted', submitted_at = now(), submitted_block = $4, attempts = attempts + 1, chain_id = $2, contract = $3,
            tx_hash = NULL
      WHERE id = $1 AND status <> 'confirmed'`,
    [toBuf(batchId), chainId.toString(), contract, headBlock],
  );
}

/** The hash of a signed anchoring transaction, written before it is broadcast: reconciliation asks about that one. */
export async function markSent(db: Db, batchId: string, txHash: string): Promise<void> {
  await db.query(`UPDATE batch SET tx_hash = $2 WHERE id = $1 AND status = 'submitted'`, [toBuf(batchId), toBuf(txHash)]);
}

/** submitted → confirmed, with where and when the root was anchored. */
export async function markConfirmed(
  db: Db,
  batchId: string,
  a: { chainId: bigint; contract: string; txHash: string; blockNumber: number; blockTime: number },
): Promise<void> {
  await db.query(
    `UPDATE batch SET status = 'confirmed', confirmed_at = now(), chain_id = $2, contract = $3, tx_hash = $4, block_number = $5,
            block_time = to_timestamp($6), last_error = NULL
      WHERE id = $1`,
    [toBuf(batchId), a.chainId.toString(), a.contract, toBuf(a.txHash), a.blockNumber, a.blockTime],
  );
}

/** Keeps the last failure of a batch (operator-facing message, no personal data). */
export async function recordBatchError(db: Db, batchId: string, message: string): Promise<void> {
  await db.query('UPDATE batch SET last_error = $2 WHERE id = $1', [toBuf(batchId), message.slice(0, 1000)]);
}

/** Confirmed batches of one chain and contract, in anchoring order (to rebuild the embedded chain). */
export async function listConfirmedBatches(db: Db, chainId: bigint, contract: string): Promise<BatchRow[]> {
  const res = await db.query(
    `SELECT ${BATCH_COLUMNS} FROM batch t WHERE t.status = 'confirmed' AND t.chain_id = $1 AND lower(t.contract) = lower($2) ORDER BY t.block_number, t.seq`,
    [chainId.toString(), contract],
  );
  return (res.rows as RawBatch[]).map(batchFrom);
}

/** After a replay put a batch in another transaction or block: record where it is now. */
export async function updateAnchorLocation(db: Db, batchId: string, a: { txHash: string; blockNumber: number; blockTime: number }): Promise<void> {
  await db.query('UPDATE batch SET tx_hash = $2, block_number = $3, block_time = to_timestamp($4) WHERE id = $1', [
    toBuf(batchId),
    toBuf(a.txHash),
    a.blockNumber,
    a.blockTime,
  ]);
}

export async function getBatch(db: Db, batchId: string): Promise<BatchRow | null> {
  const res = await db.query(`SELECT ${BATCH_COLUMNS} FROM batch t WHERE t.id = $1`, [toBuf(batchId)]);
  return res.rows[0] ? batchFrom(res.rows[0] as RawBatch) : null;
}

/**
 * Receipt data for the hash of a bundle (or of an audit record), or null when none has it. Several clinics may have
 * pushed the same bytes (same hash, different salts): the first anchored one wins (earliest confirmed batch, then leaf
 * index); with none anchored yet, the first received. `batch` is null while the row waits for a batch.
 */
export async function findReceiptData(
  db: Db,
  hash: string,
  source: LeafSource = 'bundle',
): Promise<(Omit<ReceiptData, 'batch'> & { batch: BatchRow | null }) | null> {
  const arrival = source === 'bundle' ? 'b.received_at' : 'b.seq';
  const res = await db.query(
    `SELECT b.id AS ref_id, b.hash AS bundle_hash, b.salt, b.proof, b.leaf_index, ${BATCH_COLUMNS}
       FROM ${source} b LEFT JOIN batch t ON t.id = b.batch_id
      WHERE b.hash = $1
      ORDER BY (t.status = 'confirmed') DESC NULLS LAST, t.seq NULLS LAST, b.leaf_index, ${arrival}
      LIMIT 1`,
    [toBuf(hash)],
  );
  const r = res.rows[0] as (RawBatch & { ref_id: string; bundle_hash: Buffer; salt: Buffer; proof: string[] | null; leaf_index: number | null }) | undefined;
  if (!r) return null;
  return {
    refId: r.ref_id,
    bundleHash: toHex(r.bundle_hash) as string,
    salt: toHex(r.salt) as string,
    proof: r.proof ?? [],
    leafIndex: r.leaf_index ?? -1,
    batch: r.id ? batchFrom(r) : null,
  };
}

/** Batch membership of every bundle of a batch, in leaf order (tests and tools; no personal data). */
export async function listBatchLeaves(db: Db, batchId: string): Promise<{ bundleId: string; bundleHash: string; salt: string; proof: string[] }[]> {
  const res = await db.query('SELECT id, hash, salt, proof FROM bundle WHERE batch_id = $1 ORDER BY leaf_index', [toBuf(batchId)]);
  return res.rows.map((r: { id: string; hash: Buffer; salt: Buffer; proof: string[] }) => ({
    bundleId: r.id,
    bundleHash: toHex(r.hash) as string,
    salt: toHex(r.salt) as string,
    proof: r.proof,
  }));
}

export interface AnchoringCounts {
  unbatched: number;
  pending: number;
  submitted: number;
  confirmed: number;
  /** When the last batch was confirmed (ISO 8601), by any process on this database; null before the first. */
  lastConfirmedAt: string | null;
  /** Seconds since then, by the database's clock (null before the first): grows while the chain is down or hung. */
  secondsSinceLastConfirmation: number | null;
  /** The last failure recorded on the oldest unconfirmed batch (operator-facing, no personal data). */
  lastError: string | null;
}

/** Counts by state and the age of the last confirmation, for `/anchors/status`, logs, readiness and benchmarks. */
export async function anchoringCounts(db: Db): Promise<AnchoringCounts> {
  const res = await db.query(
    `SELECT ((SELECT count(*) FROM bundle WHERE batch_id IS NULL) + (SELECT count(*) FROM audit_event WHERE batch_id IS NULL))::int AS unbatched,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'submitted')::int AS submitted,
            count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed,
            max(confirmed_at) AS last_confirmed,
            floor(extract(epoch FROM now() - max(confirmed_at)))::int AS since,
            (SELECT last_error FROM batch WHERE status <> 'confirmed' ORDER BY seq LIMIT 1) AS last_error
       FROM batch`,
  );
  const r = res.rows[0] as {
    unbatched: number;
    pending: number;
    submitted: number;
    confirmed: number;
    last_confirmed: Date | null;
    since: number | null;
    last_error: string | null;
  };
  return {
    unbatched: r.unbatched,
    pending: r.pending,
    submitted: r.submitted,
    confirmed: r.confirmed,
    lastConfirmedAt: r.last_confirmed ? new Date(r.last_confirmed).toISOString() : null,
    secondsSinceLastConfirmation: r.since,
    lastError: r.last_error,
  };
}

/** Arbitrary but fixed key of the "one anchoring submitter per database" advisory lock. */
const SUBMIT_LOCK_KEY = 0x46414232; // 'FAB2'

/** Callers of one pool (one process) take the submitter lock in turn, first come first served. */
const submitterTurns = new WeakMap<Db, Promise<void>>();

/**
 * Runs `work` while holding the database-wide submitter lock (a session advisory lock on a dedicated connection):
 * one process at a time sends anchoring transactions (batches and log checkpoints), so batches go on chain in order
 * and one wallet's nonces never race. Callers on the same pool wait for their turn (FIFO); returns undefined without
 * running `work` when another process holds the lock.
 */
export async function withSubmitterLock<T>(db: Db, work: () => Promise<T>): Promise<T | undefined> {
  const before = submitterTurns.get(db) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  submitterTurns.set(
    db,
    before.then(() => mine),
  );
  await before;
  try {
    return await holdSubmitterLock(db, work);
  } finally {
    done();
  }
}

async function holdSubmitterLock<T>(db: Db, work: () => Promise<T>): Promise<T | undefined> {
  const client = await db.connect();
  let locked = false;
  try {
    const res = await client.query('SELECT pg_try_advisory_lock($1) AS ok', [SUBMIT_LOCK_KEY]);
    locked = (res.rows[0] as { ok: boolean }).ok;
    if (!locked) return undefined;
    return await work();
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [SUBMIT_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
