/**
 * All SQL of anchoring log checkpoints (table `log_checkpoint`, migrations 022 and 023), and the on-chain order of
 * everything anchored (batches and checkpoints) to rebuild the embedded chain. Hashes cross this module as `0x` +
 * lower-case hex; they are stored as bytea.
 */
import type { Db } from './db';

export type CheckpointStatus = 'pending' | 'submitted' | 'confirmed';

export interface CheckpointRow {
  treeSize: number;
  root: string;
  /** The signed checkpoint note (C2SP tlog-checkpoint), without cosignatures. */
  note: string;
  status: CheckpointStatus;
  chainId: number | null;
  contract: string | null;
  logId: string | null;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: string | null;
  createdAt: string;
  submittedAt: string | null;
  /** Head block when submitted: where reconciliation looks for the CheckpointAnchored event. */
  submittedBlock: number | null;
  confirmedAt: string | null;
  attempts: number;
  lastError: string | null;
}

const toHex = (b: Buffer | null): string | null => (b ? '0x' + b.toString('hex') : null);
const toBuf = (h: string): Buffer => Buffer.from(h.replace(/^0x/i, ''), 'hex');

const COLUMNS = `c.tree_size, c.root, c.note, c.status, c.chain_id, c.contract, c.log_id, c.tx_hash, c.block_number, c.block_time,
  c.created_at, c.submitted_at, c.submitted_block, c.confirmed_at, c.attempts, c.last_error`;

interface RawCheckpoint {
  tree_size: number;
  root: Buffer;
  note: string;
  status: CheckpointStatus;
  chain_id: number | null;
  contract: string | null;
  log_id: Buffer | null;
  tx_hash: Buffer | null;
  block_number: number | null;
  block_time: string | null;
  created_at: string;
  submitted_at: string | null;
  submitted_block: number | null;
  confirmed_at: string | null;
  attempts: number;
  last_error: string | null;
}

function checkpointFrom(r: RawCheckpoint): CheckpointRow {
  return {
    treeSize: r.tree_size,
    root: toHex(r.root) as string,
    note: r.note,
    status: r.status,
    chainId: r.chain_id,
    contract: r.contract,
    logId: toHex(r.log_id),
    txHash: toHex(r.tx_hash),
    blockNumber: r.block_number,
    blockTime: r.block_time,
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
    submittedBlock: r.submitted_block,
    confirmedAt: r.confirmed_at,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}

const rows = (res: { rows: unknown[] }): CheckpointRow[] => (res.rows as RawCheckpoint[]).map(checkpointFrom);

/**
 * Stores a published checkpoint as `pending` (tests and tools; the log's sequencer writes its own). Returns false
 * when that size exists already.
 */
export async function insertCheckpoint(db: Db, cp: { treeSize: number; root: string; note: string }): Promise<boolean> {
  const res = await db.query('INSERT INTO log_checkpoint (tree_size, root, note) VALUES ($1, $2, $3) ON CONFLICT (tree_size) DO NOTHING', [
    cp.treeSize,
    toBuf(cp.root),
    cp.note,
  ]);
  return res.rowCount === 1;
}

export async function getCheckpoint(db: Db, treeSize: number): Promise<CheckpointRow | null> {
  return rows(await db.query(`SELECT ${COLUMNS} FROM log_checkpoint c WHERE c.tree_size = $1`, [treeSize]))[0] ?? null;
}

/** The newest published checkpoint of a non-empty tree (what the anchorer sends), or null. */
export async function newestCheckpoint(db: Db): Promise<CheckpointRow | null> {
  return rows(await db.query(`SELECT ${COLUMNS} FROM log_checkpoint c WHERE c.tree_size > 0 ORDER BY c.tree_size DESC LIMIT 1`))[0] ?? null;
}

/** Checkpoints whose transaction may have been sent and not recorded as mined, oldest first: reconciled before any send. */
export async function listSubmittedCheckpoints(db: Db): Promise<CheckpointRow[]> {
  return rows(await db.query(`SELECT ${COLUMNS} FROM log_checkpoint c WHERE c.status = 'submitted' ORDER BY c.tree_size`));
}

/** Milliseconds since the last checkpoint transaction was signed (by any process, the database's clock), or null before the first. */
export async function msSinceLastCheckpointSend(db: Db): Promise<number | null> {
  const res = await db.query(
    `SELECT (extract(epoch FROM now() - submitted_at) * 1000)::float8 AS ms FROM log_checkpoint
      WHERE tx_hash IS NOT NULL AND submitted_at IS NOT NULL ORDER BY tree_size DESC LIMIT 1`,
  );
  return (res.rows[0] as { ms: number } | undefined)?.ms ?? null;
}

/**
 * pending|submitted → submitted, before a transaction is signed (a crash after sending is then reconciled). The hash
 * of an earlier attempt is cleared: {@link markCheckpointSent} records the new one before it is broadcast.
 */
export async function markCheckpointSubmitted(
  db: Db,
  treeSize: number,
  at: { chainId: bigint; contract: string; logId: string; headBlock: number },
): Promise<void> {
  await db.query(
    `UPDATE log_checkpoint SET status = 'submitted', submitted_at = now(), submitted_block = $5, attempts = attempts + 1,
            chain_id = $2, contract = $3, log_id = $4, tx_hash = NULL
      WHERE tree_size = $1 AND status <> 'confirmed'`,
    [treeSize, at.chainId.toString(), at.contract, toBuf(at.logId), at.headBlock],
  );
}

/** The hash of a signed checkpoint transaction, written before it is broadcast: reconciliation asks about that one. */
export async function markCheckpointSent(db: Db, treeSize: number, txHash: string): Promise<void> {
  await db.query(`UPDATE log_checkpoint SET tx_hash = $2 WHERE tree_size = $1 AND status = 'submitted'`, [treeSize, toBuf(txHash)]);
}

/** submitted → pending: no transaction of it is on chain or in a pool (refused at simulation, or superseded by a newer one). */
export async function markCheckpointUnsent(db: Db, treeSize: number): Promise<void> {
  await db.query(`UPDATE log_checkpoint SET status = 'pending', tx_hash = NULL WHERE tree_size = $1 AND status = 'submitted'`, [treeSize]);
}

/** → confirmed, with where and when the checkpoint was anchored. */
export async function markCheckpointConfirmed(
  db: Db,
  treeSize: number,
  a: { chainId: bigint; contract: string; logId: string; txHash: string; blockNumber: number; blockTime: number },
): Promise<void> {
  await db.query(
    `UPDATE log_checkpoint SET status = 'confirmed', confirmed_at = now(), chain_id = $2, contract = $3, log_id = $4, tx_hash = $5,
            block_number = $6, block_time = to_timestamp($7), last_error = NULL
      WHERE tree_size = $1`,
    [treeSize, a.chainId.toString(), a.contract, toBuf(a.logId), toBuf(a.txHash), a.blockNumber, a.blockTime],
  );
}

/** Keeps the last anchoring failure of a checkpoint (operator-facing message, no personal data). */
export async function recordCheckpointError(db: Db, treeSize: number, message: string): Promise<void> {
  await db.query('UPDATE log_checkpoint SET last_error = $2 WHERE tree_size = $1', [treeSize, message.slice(0, 1000)]);
}

/** After a replay put a checkpoint in another transaction or block: record where it is now. */
export async function updateCheckpointLocation(db: Db, treeSize: number, a: { txHash: string; blockNumber: number; blockTime: number }): Promise<void> {
  await db.query('UPDATE log_checkpoint SET tx_hash = $2, block_number = $3, block_time = to_timestamp($4) WHERE tree_size = $1', [
    treeSize,
    toBuf(a.txHash),
    a.blockNumber,
    a.blockTime,
  ]);
}

/** One confirmed anchoring, batch or checkpoint, as the embedded chain's replay needs it. */
export type ConfirmedAnchor =
  | { kind: 'batch'; batchId: string; root: string; leafCount: number; txHash: string; blockNumber: number }
  | { kind: 'checkpoint'; treeSize: number; logId: string; root: string; txHash: string; blockNumber: number };

/**
 * Batches and checkpoints confirmed on one chain and contract, in their on-chain order (block, then the order they
 * were confirmed in; batch seq or tree size only breaks a tie), so a replay sends them in the same order.
 */
export async function listConfirmedAnchors(db: Db, chainId: bigint, contract: string): Promise<ConfirmedAnchor[]> {
  const res = await db.query(
    `SELECT 'batch' AS kind, id AS key, seq::bigint AS n, root, leaf_count, tx_hash, block_number, confirmed_at
       FROM batch WHERE status = 'confirmed' AND chain_id = $1 AND lower(contract) = lower($2)
     UNION ALL
     SELECT 'checkpoint', log_id, tree_size, root, NULL, tx_hash, block_number, confirmed_at
       FROM log_checkpoint WHERE status = 'confirmed' AND chain_id = $1 AND lower(contract) = lower($2)
     ORDER BY block_number, confirmed_at, kind, n`,
    [chainId.toString(), contract],
  );
  return (
    res.rows as { kind: 'batch' | 'checkpoint'; key: Buffer; n: number; root: Buffer; leaf_count: number | null; tx_hash: Buffer; block_number: number }[]
  ).map((r) =>
    r.kind === 'batch'
      ? {
          kind: 'batch',
          batchId: toHex(r.key) as string,
          root: toHex(r.root) as string,
          leafCount: r.leaf_count as number,
          txHash: toHex(r.tx_hash) as string,
          blockNumber: r.block_number,
        }
      : {
          kind: 'checkpoint',
          treeSize: r.n,
          logId: toHex(r.key) as string,
          root: toHex(r.root) as string,
          txHash: toHex(r.tx_hash) as string,
          blockNumber: r.block_number,
        },
  );
}

/** Where checkpoint anchoring stands, for status pages, logs and tests. */
export interface CheckpointAnchoringState {
  /** Tree size of the newest published checkpoint (null before the first), and when it was published. */
  newestSize: number | null;
  newestAt: string | null;
  /** Tree size of the newest anchored (confirmed) checkpoint, and when it was confirmed. */
  anchoredSize: number | null;
  anchoredAt: string | null;
  /** Seconds since that confirmation, by the database's clock (null before the first): grows while the chain is down. */
  secondsSinceAnchor: number | null;
  /** The newest failure recorded on a checkpoint newer than the anchored one (null once a newer one is anchored). */
  lastError: string | null;
}

export async function checkpointAnchoringState(db: Db): Promise<CheckpointAnchoringState> {
  const res = await db.query(
    `WITH a AS (SELECT tree_size, confirmed_at FROM log_checkpoint WHERE status = 'confirmed' ORDER BY tree_size DESC LIMIT 1),
          n AS (SELECT tree_size, created_at FROM log_checkpoint ORDER BY tree_size DESC LIMIT 1)
     SELECT (SELECT tree_size FROM n) AS newest, (SELECT created_at FROM n) AS newest_at,
            (SELECT tree_size FROM a) AS anchored, (SELECT confirmed_at FROM a) AS confirmed_at,
            (SELECT floor(extract(epoch FROM now() - confirmed_at))::int FROM a) AS since,
            (SELECT last_error FROM log_checkpoint
              WHERE status <> 'confirmed' AND last_error IS NOT NULL AND tree_size > coalesce((SELECT tree_size FROM a), -1)
              ORDER BY tree_size DESC LIMIT 1) AS last_error`,
  );
  const r = res.rows[0] as {
    newest: number | null;
    newest_at: string | null;
    anchored: number | null;
    confirmed_at: string | null;
    since: number | null;
    last_error: string | null;
  };
  return {
    newestSize: r.newest,
    newestAt: r.newest_at,
    anchoredSize: r.anchored,
    anchoredAt: r.confirmed_at,
    secondsSinceAnchor: r.since,
    lastError: r.last_error,
  };
}
