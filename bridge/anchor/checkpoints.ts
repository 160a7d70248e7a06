/**
 * The checkpoint anchorer: puts the log's newest signed checkpoint (tree size, root hash) on chain with
 * `AnchorRegistry.anchorCheckpoint(logId, treeSize, rootHash)`, one transaction at a time.
 *
 * Only the newest checkpoint not yet anchored is sent: an older one is covered by a consistency proof (RFC 9162
 * §2.1.4) from it to any later anchored one, and the contract refuses a size that does not grow anyway. The log id is
 * keccak256 of the checkpoint's origin line (C2SP tlog-checkpoint), read from the stored note itself, so what is
 * anchored is exactly what a verifier computes from the checkpoint it holds.
 *
 * States (table `log_checkpoint`) as for batches: pending → submitted (written before signing, with the head block) →
 * tx hash written before broadcast → confirmed (tx, block, block time, chain id, contract, log id). A `submitted`
 * checkpoint is reconciled with the chain (its transaction's state, then `checkpointRoot(logId, size)`) before
 * anything is sent, so a crash or timeout between sending and recording never anchors a size twice; one that turns
 * out never to have been sent and is no longer the newest goes back to pending. Sends hold the database-wide
 * submitter lock of the batcher, so batches and checkpoints never race for the wallet's nonce.
 *
 * Failures never block publishing (the sequencer writes checkpoints without waiting for this loop): a chain that is
 * down, hung or refusing is retried with capped exponential backoff. A root on chain that differs from ours at the
 * same size is a fork and a size the contract refuses (TreeSizeNotGrowing: the chain has a larger checkpoint of this
 * log than the newest in our database) is a shrink: both are logged as errors on every attempt, kept in the row's
 * last_error and in {@link CheckpointAnchorer.lastError}, and nothing is sent for them.
 */
import { ZeroHash } from 'ethers';
import { withSubmitterLock } from '../store/batches';
import {
  listSubmittedCheckpoints,
  markCheckpointConfirmed,
  markCheckpointSent,
  markCheckpointSubmitted,
  markCheckpointUnsent,
  msSinceLastCheckpointSend,
  newestCheckpoint,
  recordCheckpointError,
  type CheckpointRow,
} from '../store/log-anchors';
import type { AnchorChain, SignedAnchor } from './chain';
import { ChainError } from './chain-errors';
import { checkpointLogId, CheckpointProblem } from './checkpoint-id';
import { openRegistryView } from './chain-reader';
import { backoffMs, errMessage, sleepFor, type AnchorLoop, type AnchorLoopOptions, type Sleeper } from './loop';

export interface CheckpointAnchorerOptions extends AnchorLoopOptions {
  /**
   * Least time between two checkpoint transactions (CHECKPOINT_ANCHOR_INTERVAL_MS, by the database's clock, across
   * processes). 0: anchor each checkpoint as soon as it is published.
   */
  intervalMs: number;
  /** How often to look for a new checkpoint without a wake() (default 1 s: another process may publish). */
  pollMs?: number;
}

/** Its lastError() includes a fork or a size the contract refused. */
export interface CheckpointAnchorer extends AnchorLoop {
  /** Stops the loop: an in-flight send finishes; a wait for mining is abandoned (reconciled at the next start). */
  stop(): Promise<void>;
}

export { checkpointLogId, CheckpointProblem } from './checkpoint-id';

const short = (h: string): string => h.slice(0, 10);

/** True when retrying will not help until something changes (a fork, a refusal by the contract): logged as errors. */
const isProblem = (e: unknown): boolean => e instanceof CheckpointProblem || (e instanceof ChainError && e.kind !== 'unreachable' && e.kind !== 'rpc');

export function createCheckpointAnchorer(opts: CheckpointAnchorerOptions): CheckpointAnchorer {
  const { db, log, intervalMs } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const backoff = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const anchorTimeoutMs = opts.anchorTimeoutMs ?? 600_000;
  let chain: AnchorChain | undefined = typeof opts.chain === 'function' ? undefined : opts.chain;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let abandon = new AbortController();
  const sleeper: Sleeper = {};
  let failures = 0;
  let lastError: string | null = null;
  /** A wake() that came during a pass (nobody was sleeping): look again at once rather than after pollMs. */
  let woken = false;

  async function connected(): Promise<AnchorChain> {
    chain ??= await (opts.chain as () => Promise<AnchorChain>)();
    return chain;
  }

  async function confirm(c: AnchorChain, cp: CheckpointRow, logId: string, at: { txHash: string; blockNumber: number }, msg: string): Promise<void> {
    const blockTime = await c.blockTime(at.blockNumber);
    await markCheckpointConfirmed(db, cp.treeSize, { chainId: c.chainId, contract: c.contractAddress, logId, ...at, blockTime });
    log.info({ treeSize: cp.treeSize, logId, txHash: at.txHash, blockNumber: at.blockNumber }, msg);
  }

  /**
   * What the registry says about this size of this log: not anchored (false), anchored with our root (confirmed from
   * its CheckpointAnchored event, true), or anchored with another root: a fork, never "fixed" by sending.
   */
  async function fromRegistry(c: AnchorChain, cp: CheckpointRow, logId: string): Promise<boolean> {
    const onChain = (
      await c.checkpointRoot(logId, cp.treeSize).catch((e: unknown) => {
        if (e instanceof ChainError && e.kind === 'reverted' && !e.revertName)
          throw new ChainError('no-contract', `the registry at ${c.contractAddress} has no checkpointRoot: deployed before log checkpoints, deploy a new one`);
        throw e;
      })
    ).toLowerCase();
    if (onChain === ZeroHash) return false;
    if (onChain !== cp.root)
      throw new CheckpointProblem(
        `FORK: checkpoint ${cp.treeSize} of log ${short(logId)} is anchored on chain with root ${short(onChain)}, ours is ${short(cp.root)}; not sending`,
      );
    const view = await openRegistryView(c.rpcUrl, c.contractAddress, c.rpcTimeoutMs);
    try {
      const ev = await view.checkpointEvent(logId, cp.treeSize, cp.submittedBlock ?? 0, 'latest');
      if (!ev) throw new ChainError('rpc', `checkpoint ${cp.treeSize} has a root on chain but no CheckpointAnchored event was found`);
      await confirm(c, cp, logId, ev, 'checkpoint reconciled: already anchored, not sent again');
      return true;
    } finally {
      view.close();
    }
  }

  /** Confirms a submitted checkpoint from what the chain says; true when it is anchored. */
  async function reconcile(c: AnchorChain, cp: CheckpointRow, logId: string): Promise<boolean> {
    if (cp.txHash) {
      // The transaction it was last sent with: in the node's pool or mined → wait for that one, send nothing.
      const st = await c.txState(cp.txHash);
      if (st.state === 'pending' || (st.state === 'mined' && st.ok)) {
        const mined = await c.waitMined(cp.txHash, { timeoutMs: anchorTimeoutMs, signal: abandon.signal });
        await confirm(c, cp, logId, mined, 'checkpoint anchored by its earlier transaction, not sent again');
        return true;
      }
      // Unknown to the node (never arrived, or dropped) or reverted: the registry has the last word.
    }
    return fromRegistry(c, cp, logId);
  }

  /** Explains a refusal by the contract with what the chain holds (a shrink: the chain has a larger checkpoint). */
  async function refused(c: AnchorChain, cp: CheckpointRow, logId: string, e: ChainError): Promise<Error> {
    if (e.revertName !== 'TreeSizeNotGrowing') return e;
    const latest = await c.latestCheckpoint(logId).catch(() => undefined);
    return new ChainError(
      'reverted',
      `${e.message}: the chain's newest checkpoint of log ${short(logId)} has size ${latest?.treeSize ?? '?'}, larger than ours (${cp.treeSize}); ` +
        'a log never shrinks: is this database behind the chain (restored from a backup?) or does another log use this origin?',
      e.revertName,
    );
  }

  async function send(c: AnchorChain, cp: CheckpointRow, logId: string): Promise<void> {
    await markCheckpointSubmitted(db, cp.treeSize, { chainId: c.chainId, contract: c.contractAddress, logId, headBlock: await c.headBlock() });
    let signed: SignedAnchor;
    try {
      signed = await c.signCheckpoint(logId, cp.treeSize, cp.root);
    } catch (e) {
      // Refused at simulation: nothing was signed, so nothing of this attempt can be on chain.
      if (e instanceof ChainError && e.kind === 'reverted') {
        await markCheckpointUnsent(db, cp.treeSize);
        throw await refused(c, cp, logId, e);
      }
      throw e;
    }
    await markCheckpointSent(db, cp.treeSize, signed.txHash);
    try {
      await signed.send();
    } catch (e) {
      // The node may have taken it and then failed to answer: only a transaction it does not know is a failed send.
      const st = await c.txState(signed.txHash).catch(() => undefined);
      if (!st || st.state === 'unknown') throw e;
    }
    const mined = await c.waitMined(signed.txHash, { timeoutMs: anchorTimeoutMs, signal: abandon.signal });
    await confirm(c, cp, logId, mined, 'checkpoint anchored');
  }

  /** One pass under the submitter lock; returns how long to sleep before the next look. */
  async function pass(): Promise<number> {
    let current: CheckpointRow | undefined;
    try {
      const delay = await withSubmitterLock(db, async () => {
        // First whatever may be on chain unrecorded: nothing is sent while one of those is unresolved.
        const newest = await newestCheckpoint(db);
        for (const cp of await listSubmittedCheckpoints(db)) {
          if (stopping) return 0;
          current = cp;
          const anchored = await reconcile(await connected(), cp, checkpointLogId(cp));
          if (!anchored && cp.treeSize !== newest?.treeSize) await markCheckpointUnsent(db, cp.treeSize); // superseded: never sent
        }
        const cp = await newestCheckpoint(db);
        current = cp ?? undefined;
        if (!cp || cp.status === 'confirmed' || stopping) return pollMs;
        if (intervalMs > 0) {
          const since = await msSinceLastCheckpointSend(db);
          if (since !== null && since < intervalMs) return Math.max(5, intervalMs - since);
        }
        const c = await connected();
        const logId = checkpointLogId(cp);
        // Never submitted, or reconciled above and found not anchored: is this size anchored (ours, or a fork)?
        if (cp.status === 'pending' && (await fromRegistry(c, cp, logId))) return 0;
        await send(c, cp, logId);
        return 0; // a newer checkpoint may be waiting already
      });
      return delay ?? pollMs; // undefined: another process holds the lock and sends
    } catch (e) {
      const row = current as CheckpointRow | undefined;
      if (row && !stopping) await recordCheckpointError(db, row.treeSize, errMessage(e)).catch(() => undefined);
      throw e;
    }
  }

  async function run(): Promise<void> {
    let retryAt = 0;
    while (!stopping) {
      let delay = Math.max(5, retryAt - Date.now());
      if (Date.now() >= retryAt) {
        woken = false;
        try {
          delay = await pass();
          if (failures) log.info({ after: failures }, 'checkpoint anchoring recovered');
          failures = 0;
          lastError = null;
        } catch (e) {
          if (stopping) break; // an abandoned wait at shutdown is not a chain failure
          failures++;
          lastError = errMessage(e);
          delay = backoffMs(failures, backoff);
          retryAt = Date.now() + delay;
          const fields = { err: lastError, kind: e instanceof ChainError ? e.kind : 'checkpoint', failures, retryInMs: delay };
          if (isProblem(e)) log.error(fields, 'checkpoint not anchored: the chain refuses it or disagrees with it');
          else log.warn(fields, 'checkpoint anchoring failed; checkpoints keep being published and wait');
        }
      }
      if (woken && Date.now() >= retryAt) delay = 0;
      if (!stopping) await sleepFor(delay, sleeper);
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = false;
      abandon = new AbortController();
      loop = run();
    },
    async stop() {
      stopping = true;
      abandon.abort();
      sleeper.wake?.();
      await loop;
      loop = undefined;
    },
    wake() {
      woken = true;
      sleeper.wake?.();
    },
    chain: () => chain,
    failures: () => failures,
    lastError: () => lastError,
  };
}
