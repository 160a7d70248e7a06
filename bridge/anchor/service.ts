/**
 * Anchoring as the bridge runs it: the chain from the configuration (embedded, rebuilt from the database at start;
 * or external), the batcher that anchors pushed bundles and the anchorer of the log's checkpoints, both sending
 * through one wallet under one submitter lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChainConfig } from '../config';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import { createBatcher, replayEmbeddedChain, type Batcher } from './batcher';
import { connectChain, startEmbeddedChain, type AnchorChain } from './chain';
import { ChainError } from './chain-errors';
import { createCheckpointAnchorer, type CheckpointAnchorer } from './checkpoints';

export interface Anchoring {
  batcher: Batcher;
  /** Anchors the newest log checkpoint; call `checkpoints.wake()` after publishing one. */
  checkpoints: CheckpointAnchorer;
  /** Chain id, contract and RPC URL once the chain is reached. */
  contract(): { chainId: number; address: string; rpcUrl: string } | undefined;
  embedded: boolean;
  /** Stops the batcher and the checkpoint anchorer (an in-flight anchor finishes), then the chain. */
  close(): Promise<void>;
}

export interface AnchoringOptions {
  chain: ChainConfig;
  dataDir: string;
  maxBundles: number;
  maxWaitMs: number;
  /** CHECKPOINT_ANCHOR_INTERVAL_MS (default 0: each checkpoint as soon as it is published). */
  checkpointIntervalMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** The deployment record written by `fhir-bridge deploy` (DATA_DIR/deployment.json), if any. */
export function readDeployment(dataDir: string): { address: string; chainId: number } | undefined {
  const file = path.join(dataDir, 'deployment.json');
  if (!fs.existsSync(file)) return undefined;
  const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { address?: unknown; chainId?: unknown };
  if (typeof rec.address !== 'string' || typeof rec.chainId !== 'number') throw new Error(`${file} is not a deployment record (address, chainId)`);
  return { address: rec.address, chainId: rec.chainId };
}

export async function startAnchoring(db: Db, log: Logger, opts: AnchoringOptions): Promise<Anchoring> {
  const cfg = opts.chain;
  let chainSource: AnchorChain | (() => Promise<AnchorChain>);
  let embeddedChain: AnchorChain | undefined;
  if (cfg.kind === 'embedded') {
    const chain = await startEmbeddedChain({ port: cfg.port, host: cfg.host });
    try {
      await replayEmbeddedChain(db, chain, log);
    } catch (e) {
      await chain.close();
      throw e;
    }
    embeddedChain = chain;
    chainSource = chain;
  } else {
    const deployment = cfg.contract ? undefined : readDeployment(opts.dataDir);
    const contract = cfg.contract ?? deployment?.address;
    if (!contract) {
      throw new Error(
        `no AnchorRegistry address: set ANCHOR_CONTRACT or run \`fhir-bridge deploy --rpc ${cfg.rpcUrl} --out ${path.join(opts.dataDir, 'deployment.json')}\``,
      );
    }
    const connect = async (): Promise<AnchorChain> => {
      const chain = await connectChain({
        rpcUrl: cfg.rpcUrl,
        privateKey: cfg.privateKey,
        contract,
        confirmations: cfg.confirmations,
        rpcTimeoutMs: cfg.rpcTimeoutMs,
      });
      if (deployment && BigInt(deployment.chainId) !== chain.chainId) {
        await chain.close();
        throw new ChainError('wrong-chain', `deployment record is for chain ${deployment.chainId}, ${cfg.rpcUrl} serves chain ${chain.chainId}`);
      }
      return chain;
    };
    // Reach it now if it answers (to print where we anchor); else both loops keep trying while ingest goes on.
    chainSource = await connect().catch((e: unknown) => {
      if (!(e instanceof ChainError) || (e.kind !== 'unreachable' && e.kind !== 'rpc')) throw e;
      log.warn({ rpcUrl: cfg.rpcUrl, err: e.message }, 'anchoring chain unreachable at start; bundles are accepted and will be anchored when it answers');
      return sharedConnection(connect);
    });
  }
  const batcher = createBatcher({ db, log, chain: chainSource, maxBundles: opts.maxBundles, maxWaitMs: opts.maxWaitMs, backoff: opts.backoff });
  const checkpoints = createCheckpointAnchorer({ db, log, chain: chainSource, intervalMs: opts.checkpointIntervalMs ?? 0, backoff: opts.backoff });
  batcher.start();
  checkpoints.start();
  return {
    batcher,
    checkpoints,
    embedded: cfg.kind === 'embedded',
    contract() {
      const c = batcher.chain() ?? checkpoints.chain();
      return c ? { chainId: Number(c.chainId), address: c.contractAddress, rpcUrl: c.rpcUrl } : undefined;
    },
    async close() {
      await Promise.all([batcher.stop(), checkpoints.stop()]);
      await (batcher.chain() ?? checkpoints.chain() ?? embeddedChain)?.close();
    },
  };
}

/** One connection for both loops: concurrent callers share one attempt; a failed attempt is retried by the next caller. */
function sharedConnection(connect: () => Promise<AnchorChain>): () => Promise<AnchorChain> {
  let attempt: Promise<AnchorChain> | undefined;
  return () =>
    (attempt ??= connect().catch((e: unknown) => {
      attempt = undefined;
      throw e;
    }));
}
