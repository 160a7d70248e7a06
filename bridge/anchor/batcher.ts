/**
 * The batcher: groups accepted bundles into batches, builds each batch's Merkle tree (in the worker, never on the
 * event loop), stores every bundle's proof, and anchors each batch root with one transaction, in closing order.
 *
 * Two loops: one closes batches, the other sends them. Closing never waits for the chain, so batches keep closing at
 * BATCH_MAX_BUNDLES / BATCH_MAX_WAIT_MS while a transaction is being mined or the chain is down or hung.
 *
 * Batch states (table `batch`): pending (tree and proofs stored) → submitted (written *before* a transaction is
 * signed; its hash is written before it is broadcast) → confirmed (tx hash, block number, block time). A batch found
 * `submitted` is reconciled with the chain (that transaction's receipt, then `rootOf(batchId)`) before anything is
 * sent again, so a crash or timeout between sending and recording never anchors a batch id twice.
 * Sending is strictly one batch at a time, lowest seq first, under a database-wide advisory lock: a later batch is
 * never sent while an earlier one is pending or its transaction is unmined. Every chain call has a deadline; a
 * failure (refused, hung, reverted) stops the pass, and anchoring retries with capped exponential backoff.
 */
import { randomBytes } from 'node:crypto';
import { ZeroHash } from 'ethers';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import {
  closeBatch,
  listUnconfirmedBatches,
  markConfirmed,
  markSent,
  markSubmitted,
  recordBatchError,
  unbatchedSummary,
  updateAnchorLocation,
  withSubmitterLock,
  type BatchRow,
} from '../store/batches';
import { listConfirmedAnchors, updateCheckpointLocation } from '../store/log-anchors';
import type { AnchorChain, EmbeddedChain, SignedAnchor } from './chain';
import { ChainError } from './chain-errors';
import { openRegistryView } from './chain-reader';
import { backoffMs, errMessage, sleepFor, type AnchorLoop, type AnchorLoopOptions, type Sleeper } from './loop';
import { buildTree } from './merkle';

export interface BatcherOptions extends AnchorLoopOptions {
  /** A batch closes when this many bundles wait… */
  maxBundles: number;
  /** …or when the oldest waiting bundle is this old. */
  maxWaitMs: number;
  /** How often to look for new bundles when none wait (default min(250, maxWaitMs)). */
  pollMs?: number;
}

export interface Batcher extends AnchorLoop {
  /** Stops both loops: an in-flight tree build or send finishes first; a wait for mining is abandoned (reconciled later). */
  stop(): Promise<void>;
}

const shortId = (h: string): string => h.slice(0, 10);

/**
 * Where a batch is anchored, read from the chain: the Anchored event of `batchId`, searched from the block it was
 * submitted at (reconciliation after a crash; batches submitted by an older release are searched from block 0).
 */
async function findAnchored(chain: AnchorChain, batchId: string, fromBlock: number): Promise<{ txHash: string; blockNumber: number } | null> {
  const view = await openRegistryView(chain.rpcUrl, chain.contractAddress, chain.rpcTimeoutMs);
  try {
    const ev = await view.anchoredEvent(batchId, fromBlock, 'latest');
    return ev ? { txHash: ev.txHash, blockNumber: ev.blockNumber } : null;
  } finally {
    view.close();
  }
}

export function createBatcher(opts: BatcherOptions): Batcher {
  const { db, log } = opts;
  const pollMs = opts.pollMs ?? Math.max(10, Math.min(250, opts.maxWaitMs));
  const backoff = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const anchorTimeoutMs = opts.anchorTimeoutMs ?? 600_000;
  let chain: AnchorChain | undefined = typeof opts.chain === 'function' ? undefined : opts.chain;
  let stopping = false;
  let loops: Promise<void>[] = [];
  let abandon = new AbortController();
  const closer: Sleeper = {};
  const sender: Sleeper = {};
  let failures = 0;
  let lastError: string | null = null;
  let retryAt = 0;

  async function connected(): Promise<AnchorChain> {
    if (chain) return chain;
    chain = await (opts.chain as () => Promise<AnchorChain>)();
    log.info({ chainId: chain.chainId.toString(), contract: chain.contractAddress, rpcUrl: chain.rpcUrl }, 'anchoring chain connected');
    return chain;
  }

  /** Closes every batch that is due; returns how long to sleep before looking again. */
  async function closeDueBatches(): Promise<number> {
    for (;;) {
      const { count, oldestAgeMs } = await unbatchedSummary(db, opts.maxBundles);
      if (count === 0) return pollMs;
      const age = oldestAgeMs ?? 0;
      if (count < opts.maxBundles && age < opts.maxWaitMs) return Math.max(5, Math.min(pollMs, opts.maxWaitMs - age));
      const started = performance.now();
      const batch = await closeBatch(
        db,
        opts.maxBundles,
        () => '0x' + randomBytes(32).toString('hex'),
        (leaves) => buildTree(leaves),
      );
      if (!batch) return pollMs; // another process claimed them
      log.info(
        {
          batchId: batch.batchId,
          seq: batch.seq,
          leafCount: batch.leafCount,
          reason: batch.leafCount >= opts.maxBundles ? 'size' : 'age',
          ms: Math.round(performance.now() - started),
        },
        'batch closed',
      );
      sender.wake?.();
      if (stopping) return 0;
    }
  }

  async function confirm(c: AnchorChain, batch: BatchRow, at: { txHash: string; blockNumber: number }, ms: number, msg: string): Promise<void> {
    const blockTime = await c.blockTime(at.blockNumber);
    await markConfirmed(db, batch.batchId, { chainId: c.chainId, contract: c.contractAddress, ...at, blockTime });
    log.info({ batchId: batch.batchId, seq: batch.seq, leafCount: batch.leafCount, txHash: at.txHash, blockNumber: at.blockNumber, ms }, msg);
  }

  /** Confirms a submitted `batch` from what the chain says; true when it was anchored (or its transaction mined). */
  async function reconcile(c: AnchorChain, batch: BatchRow): Promise<boolean> {
    const started = performance.now();
    if (batch.txHash) {
      // The transaction this batch was last sent with: still in the node's pool or mined → wait for it, send nothing.
      const st = await c.txState(batch.txHash);
      if (st.state === 'pending' || (st.state === 'mined' && st.ok)) {
        const mined = await c.waitMined(batch.txHash, { timeoutMs: anchorTimeoutMs, signal: abandon.signal });
        await confirm(c, batch, mined, Math.round(performance.now() - started), 'batch anchored by its earlier transaction, not sent again');
        return true;
      }
      // Unknown to the node (never arrived, or dropped) or reverted: the registry has the last word.
    }
    const onChain = (await c.rootOf(batch.batchId)).toLowerCase();
    if (onChain === ZeroHash) return false;
    if (onChain !== batch.root)
      throw new ChainError('reverted', `batch ${shortId(batch.batchId)} is anchored with another root ${shortId(onChain)}: not re-sending`);
    const found = await findAnchored(c, batch.batchId, batch.submittedBlock ?? 0);
    if (!found) throw new ChainError('rpc', `batch ${shortId(batch.batchId)} has a root on chain but no Anchored event was found`);
    await confirm(c, batch, found, Math.round(performance.now() - started), 'batch reconciled: already anchored, not sent again');
    return true;
  }

  async function anchorOne(c: AnchorChain, batch: BatchRow): Promise<void> {
    // Submitted before (maybe sent, then crashed or timed out): ask the chain first.
    if (batch.status === 'submitted' && (await reconcile(c, batch))) return;
    await markSubmitted(db, batch.batchId, c.chainId, c.contractAddress, await c.headBlock());
    const started = performance.now();
    let signed: SignedAnchor;
    try {
      signed = await c.signAnchor(batch.batchId, batch.root, batch.leafCount);
    } catch (e) {
      // Sent by an earlier attempt that we could not record (or by a concurrent bridge): the chain has the truth.
      if (e instanceof ChainError && e.revertName === 'BatchAlreadyAnchored' && (await reconcile(c, { ...batch, status: 'submitted', txHash: null }))) return;
      throw e;
    }
    await markSent(db, batch.batchId, signed.txHash);
    try {
      await signed.send();
    } catch (e) {
      // The node may have taken it and then failed to answer: only a transaction it does not know is a failed send.
      const st = await c.txState(signed.txHash).catch(() => undefined);
      if (!st || st.state === 'unknown') throw e;
    }
    const mined = await c.waitMined(signed.txHash, { timeoutMs: anchorTimeoutMs, signal: abandon.signal });
    await confirm(c, batch, mined, Math.round(performance.now() - started), 'batch anchored');
  }

  /**
   * Anchors every unconfirmed batch in closing order, one at a time; stops at the first failure (the rest wait behind
   * it). The submitter lock is taken for one batch at a time, so checkpoint transactions (and other processes) get
   * their turn between two batches instead of waiting for a queue that may never drain.
   */
  async function anchorQueued(): Promise<void> {
    for (let more = true; more && !stopping;) {
      more =
        (await withSubmitterLock(db, async () => {
          // Re-read each time: batches closed meanwhile join the queue without waiting for the next poll.
          const [batch] = await listUnconfirmedBatches(db);
          if (!batch || stopping) return false;
          try {
            await anchorOne(await connected(), batch);
          } catch (e) {
            if (!stopping) await recordBatchError(db, batch.batchId, errMessage(e)).catch(() => undefined);
            throw e;
          }
          return true;
        })) === true;
    }
  }

  async function closeLoop(): Promise<void> {
    while (!stopping) {
      let delay = pollMs;
      try {
        delay = await closeDueBatches();
      } catch (e) {
        log.error({ err: errMessage(e) }, 'closing a batch failed');
      }
      if (!stopping) await sleepFor(delay, closer);
    }
  }

  async function sendLoop(): Promise<void> {
    while (!stopping) {
      if (Date.now() >= retryAt) {
        try {
          await anchorQueued();
          if (failures) log.info({ after: failures }, 'anchoring recovered');
          failures = 0;
          lastError = null;
        } catch (e) {
          if (stopping) break; // an abandoned wait at shutdown is not a chain failure
          failures++;
          lastError = errMessage(e);
          const wait = backoffMs(failures, backoff);
          retryAt = Date.now() + wait;
          log.warn(
            { err: errMessage(e), kind: e instanceof ChainError ? e.kind : undefined, failures, retryInMs: wait },
            'anchoring failed; batches keep closing and wait',
          );
        }
      }
      if (!stopping) await sleepFor(failures ? Math.max(5, retryAt - Date.now()) : pollMs, sender);
    }
  }

  return {
    start() {
      if (loops.length) return;
      stopping = false;
      abandon = new AbortController();
      loops = [closeLoop(), sendLoop()];
    },
    async stop() {
      stopping = true;
      abandon.abort();
      closer.wake?.();
      sender.wake?.();
      await Promise.all(loops);
      loops = [];
    },
    wake() {
      closer.wake?.();
      sender.wake?.();
    },
    chain: () => chain,
    failures: () => failures,
    lastError: () => lastError,
  };
}

/**
 * Rebuilds a fresh embedded chain from the database: re-anchors the batches and log checkpoints confirmed on this
 * chain id and contract, interleaved in their original on-chain order (block, then confirmation order), so earlier
 * receipts and anchored checkpoints verify again. With the same history the embedded chain repeats the same
 * transaction hashes and block numbers; when one differs (e.g. the old chain had a transaction the database never
 * recorded) its row is updated to where it is now. Block times are those of the replay; the database keeps the
 * original ones when tx and block are unchanged.
 */
export async function replayEmbeddedChain(db: Db, chain: EmbeddedChain, log: Logger): Promise<{ replayed: number; moved: number }> {
  const anchors = await listConfirmedAnchors(db, chain.chainId, chain.contractAddress);
  let replayed = 0;
  let moved = 0;
  const started = performance.now();
  for (const a of anchors) {
    const r =
      a.kind === 'batch'
        ? (await chain.replay([{ batchId: a.batchId, root: a.root, leafCount: a.leafCount }]))[0]
        : await chain.replayCheckpoint({ logId: a.logId, treeSize: a.treeSize, root: a.root });
    if (!r) continue;
    replayed++;
    if (r.txHash !== a.txHash || r.blockNumber !== a.blockNumber) {
      moved++;
      const at = { ...r, blockTime: await chain.blockTime(r.blockNumber) };
      if (a.kind === 'batch') await updateAnchorLocation(db, a.batchId, at);
      else await updateCheckpointLocation(db, a.treeSize, at);
    }
  }
  if (anchors.length) {
    const checkpoints = anchors.filter((a) => a.kind === 'checkpoint').length;
    log.info(
      { batches: anchors.length - checkpoints, checkpoints, replayed, moved, ms: Math.round(performance.now() - started) },
      'embedded chain rebuilt from the database',
    );
  }
  return { replayed, moved };
}
