/**
 * The batcher: groups accepted bundles into batches, builds each batch's Merkle tree (in the worker, never on the
 * event loop), stores every bundle's proof, and anchors each batch root with one transaction, in closing order.
 *
 * Batch states (table `batch`): pending (tree and proofs stored) → submitted (written *before* a transaction is sent)
 * → confirmed (tx hash, block number, block time). A batch found `submitted` is reconciled with `rootOf(batchId)`
 * before anything is sent again, so a crash between sending and recording never anchors a batch id twice.
 * When the chain is unreachable or a transaction fails, ingest goes on (batches keep closing), anchoring retries
 * with capped exponential backoff and resumes in order.
 */
import { randomBytes } from 'node:crypto';
import { ZeroHash } from 'ethers';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import {
  closeBatch, listConfirmedBatches, listUnconfirmedBatches, markConfirmed, markSubmitted, recordBatchError,
  unbatchedSummary, updateAnchorLocation, withSubmitterLock, type BatchRow,
} from '../store/batches';
import type { AnchorChain, EmbeddedChain } from './chain';
import { ChainError } from './chain-errors';
import { openRegistryView } from './chain-reader';
import { buildTree } from './merkle';

export interface BatcherOptions {
  db: Db;
  log: Logger;
  /** The chain, or how to connect to it (retried with backoff while it fails, e.g. an external node that is down). */
  chain: AnchorChain | (() => Promise<AnchorChain>);
  /** A batch closes when this many bundles wait… */
  maxBundles: number;
  /** …or when the oldest waiting bundle is this old. */
  maxWaitMs: number;
  /** How often to look for new bundles when none wait (default min(250, maxWaitMs)). */
  pollMs?: number;
  /** Retry delays after a chain failure: initialMs, doubled per failure up to maxMs (defaults 1 s, 60 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** An anchor that has not finished after this long counts as failed; the batch stays submitted (default 10 min). */
  anchorTimeoutMs?: number;
}

export interface Batcher {
  start(): void;
  /** Stops looking for work; an in-flight tree build or anchor finishes first. */
  stop(): Promise<void>;
  /** Look now instead of at the next poll (e.g. right after a push). */
  wake(): void;
  /** The connected chain, once connected. */
  chain(): AnchorChain | undefined;
  /** Failures in a row since the last successful anchoring pass (0 when healthy). */
  failures(): number;
}

const sleepFor = (ms: number, signal: { wake?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.wake = undefined;
      resolve();
    }
    signal.wake = done;
  });

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChainError('rpc', `${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const shortId = (h: string): string => h.slice(0, 10);
const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Where a batch is anchored, read from the chain: the Anchored event of `batchId`, searched from the block it was
 * submitted at (reconciliation after a crash; batches submitted by an older release are searched from block 0).
 */
async function findAnchored(chain: AnchorChain, batchId: string, fromBlock: number): Promise<{ txHash: string; blockNumber: number } | null> {
  const view = await openRegistryView(chain.rpcUrl, chain.contractAddress);
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
  let loop: Promise<void> | undefined;
  const sleeper: { wake?: () => void } = {};
  let failures = 0;
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
      const batch = await closeBatch(db, opts.maxBundles, () => '0x' + randomBytes(32).toString('hex'), (leaves) => buildTree(leaves));
      if (!batch) return pollMs; // another process claimed them
      log.info({ batchId: batch.batchId, seq: batch.seq, leafCount: batch.leafCount, reason: batch.leafCount >= opts.maxBundles ? 'size' : 'age', ms: Math.round(performance.now() - started) }, 'batch closed');
      if (stopping) return 0;
    }
  }

  /** Confirms `batch` from what the chain says; true when it was already anchored with its root. */
  async function reconcile(c: AnchorChain, batch: BatchRow): Promise<boolean> {
    const onChain = (await c.rootOf(batch.batchId)).toLowerCase();
    if (onChain === ZeroHash) return false;
    if (onChain !== batch.root) throw new ChainError('reverted', `batch ${shortId(batch.batchId)} is anchored with another root ${shortId(onChain)}: not re-sending`);
    const found = await findAnchored(c, batch.batchId, batch.submittedBlock ?? 0);
    if (!found) throw new ChainError('rpc', `batch ${shortId(batch.batchId)} has a root on chain but no Anchored event was found`);
    const blockTime = await c.blockTime(found.blockNumber);
    await markConfirmed(db, batch.batchId, { chainId: c.chainId, contract: c.contractAddress, ...found, blockTime });
    log.info({ batchId: batch.batchId, txHash: found.txHash, blockNumber: found.blockNumber }, 'batch reconciled: already anchored, not sent again');
    return true;
  }

  async function anchorOne(c: AnchorChain, batch: BatchRow): Promise<void> {
    // Submitted before (maybe sent, then crashed or timed out): ask the chain first.
    if (batch.status === 'submitted' && (await reconcile(c, batch))) return;
    await markSubmitted(db, batch.batchId, c.chainId, c.contractAddress, await c.headBlock());
    const started = performance.now();
    let result: { txHash: string; blockNumber: number };
    try {
      result = await withTimeout(c.anchor(batch.batchId, batch.root, batch.leafCount), anchorTimeoutMs, `anchor batch ${shortId(batch.batchId)}`);
    } catch (e) {
      // Sent by an earlier attempt that we could not record (or by a concurrent bridge): the chain has the truth.
      if (e instanceof ChainError && e.revertName === 'BatchAlreadyAnchored' && (await reconcile(c, { ...batch, status: 'submitted' }))) return;
      throw e;
    }
    const blockTime = await c.blockTime(result.blockNumber);
    await markConfirmed(db, batch.batchId, { chainId: c.chainId, contract: c.contractAddress, ...result, blockTime });
    log.info({ batchId: batch.batchId, seq: batch.seq, leafCount: batch.leafCount, txHash: result.txHash, blockNumber: result.blockNumber, ms: Math.round(performance.now() - started) }, 'batch anchored');
  }

  /** Anchors every unconfirmed batch in order; stops at the first failure (the rest wait behind it). */
  async function anchorQueued(): Promise<void> {
    await withSubmitterLock(db, async () => {
      const queue = await listUnconfirmedBatches(db);
      if (!queue.length) return;
      const c = await connected();
      for (const batch of queue) {
        if (stopping) return;
        try {
          await anchorOne(c, batch);
        } catch (e) {
          await recordBatchError(db, batch.batchId, errMessage(e)).catch(() => undefined);
          throw e;
        }
      }
    });
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let delay = pollMs;
      try {
        delay = await closeDueBatches();
      } catch (e) {
        log.error({ err: errMessage(e) }, 'closing a batch failed');
      }
      if (!stopping && Date.now() >= retryAt) {
        try {
          await anchorQueued();
          if (failures) log.info({ after: failures }, 'anchoring recovered');
          failures = 0;
        } catch (e) {
          failures++;
          const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
          retryAt = Date.now() + wait;
          log.warn({ err: errMessage(e), kind: e instanceof ChainError ? e.kind : undefined, failures, retryInMs: wait }, 'anchoring failed; batches wait');
        }
      }
      if (!stopping) await sleepFor(failures ? Math.min(delay, Math.max(5, retryAt - Date.now())) : delay, sleeper);
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
    },
    async stop() {
      stopping = true;
      sleeper.wake?.();
      await loop;
      loop = undefined;
    },
    wake() {
      sleeper.wake?.();
    },
    chain: () => chain,
    failures: () => failures,
  };
}

/**
 * Rebuilds a fresh embedded chain from the database: re-anchors, in their on-chain order, the batches confirmed on
 * this chain id and contract, so earlier receipts verify again. With the same history the embedded chain repeats the
 * same transaction hashes and block numbers; when one differs (e.g. the old chain had a transaction the database
 * never recorded) the batch row is updated to where it is now. Block times are those of the replay; the database
 * keeps the original ones when tx and block are unchanged.
 */
export async function replayEmbeddedChain(db: Db, chain: EmbeddedChain, log: Logger): Promise<{ replayed: number; moved: number }> {
  const batches = await listConfirmedBatches(db, chain.chainId, chain.contractAddress);
  let replayed = 0;
  let moved = 0;
  const started = performance.now();
  for (const b of batches) {
    const [r] = await chain.replay([{ batchId: b.batchId, root: b.root, leafCount: b.leafCount }]);
    if (!r) continue;
    replayed++;
    if (r.txHash !== b.txHash || r.blockNumber !== b.blockNumber) {
      moved++;
      await updateAnchorLocation(db, b.batchId, { ...r, blockTime: await chain.blockTime(r.blockNumber) });
    }
  }
  if (batches.length) log.info({ batches: batches.length, replayed, moved, ms: Math.round(performance.now() - started) }, 'embedded chain rebuilt from the database');
  return { replayed, moved };
}
