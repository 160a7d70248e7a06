/**
 * Anchoring as the bridge runs it: the chain from the configuration (embedded, rebuilt from the database at start;
 * or external), and the batcher that anchors pushed bundles.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChainConfig } from '../config';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import { createBatcher, replayEmbeddedChain, type Batcher } from './batcher';
import { connectChain, startEmbeddedChain, type AnchorChain } from './chain';
import { ChainError } from './chain-errors';

export interface Anchoring {
  batcher: Batcher;
  /** Chain id, contract and RPC URL once the chain is reached. */
  contract(): { chainId: number; address: string; rpcUrl: string } | undefined;
  embedded: boolean;
  /** Stops the batcher (an in-flight anchor finishes), then the chain. */
  close(): Promise<void>;
}

export interface AnchoringOptions {
  chain: ChainConfig;
  dataDir: string;
  maxBundles: number;
  maxWaitMs: number;
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
    // Reach it now if it answers (to print where we anchor); else the batcher keeps trying while ingest goes on.
    chainSource = await connect().catch((e: unknown) => {
      if (!(e instanceof ChainError) || (e.kind !== 'unreachable' && e.kind !== 'rpc')) throw e;
      log.warn({ rpcUrl: cfg.rpcUrl, err: e.message }, 'anchoring chain unreachable at start; bundles are accepted and will be anchored when it answers');
      return connect;
    });
  }
  const batcher = createBatcher({ db, log, chain: chainSource, maxBundles: opts.maxBundles, maxWaitMs: opts.maxWaitMs, backoff: opts.backoff });
  batcher.start();
  return {
    batcher,
    embedded: cfg.kind === 'embedded',
    contract() {
      const c = batcher.chain();
      return c ? { chainId: Number(c.chainId), address: c.contractAddress, rpcUrl: c.rpcUrl } : undefined;
    },
    async close() {
      await batcher.stop();
      await (batcher.chain() ?? embeddedChain)?.close();
    },
  };
}
