import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../bridge/config';
import { createLogger } from '../../../bridge/log';
import { loadOrCreateLogKey } from '../../../bridge/log/key';
import type { SigningKey } from '../../../bridge/log/note';
import { startBridge, type RunningBridge } from '../../../bridge/main';
import type { Db } from '../../../bridge/store/db';
import { waitFor } from '../anchor/bundles';
import type { TestDatabase } from '../db';
import { freePort } from '../net';

const ADMIN = 'log-chain-admin-token-0123456789';

/** A bridge as `npm start` runs it (embedded chain, checkpoints anchored as published), with its data dir. */
export interface ChainBridge {
  bridge: RunningBridge;
  dataDir: string;
  /** Where it anchors (the embedded chain; with an external CHAIN_RPC_URL not reached at start, undefined). */
  contract: { chainId: number; address: string; rpcUrl: string };
  /** The log's signing key, read from the bridge's key file (to forge checkpoints the log key did sign). */
  logKey(): SigningKey;
  /** A new clinic's API key. */
  clinicKey(name: string): Promise<string>;
  /** Waits until nothing is queued for the log and its newest checkpoint (every leaf) is anchored; its size. */
  settled(): Promise<number>;
  close(): Promise<void>;
}

export async function startChainBridge(database: TestDatabase, env: Record<string, string> = {}): Promise<ChainBridge> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-chain-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    CHAIN_PORT: String(await freePort()),
    BATCH_MAX_WAIT_MS: '100',
    BRIDGE_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    INGEST_WORKERS: '0',
    CHECKPOINT_INTERVAL_MS: '50',
    ...env,
  });
  const bridge = await startBridge(config, createLogger('silent'));
  const contract = bridge.anchoring.contract()!;
  return {
    bridge,
    dataDir,
    contract,
    logKey: () => ({ name: bridge.verifiableLog.origin, seed: loadOrCreateLogKey(config.log.keyFile).seed }),
    async clinicKey(name) {
      const res = await fetch(`${bridge.url}/admin/clinics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ name }),
      });
      return ((await res.json()) as { apiKey: string }).apiKey;
    },
    settled: () => waitFor(() => anchoredAll(bridge.db), 20_000, 'the log settled and its newest checkpoint anchored'),
    async close() {
      await bridge.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The anchored size when every leaf is integrated and the checkpoint over all of them is confirmed, else null. */
async function anchoredAll(db: Db): Promise<number | null> {
  const r = (
    await db.query(
      `SELECT (SELECT count(*) FROM log_queue)::int AS queued, (SELECT coalesce(max(leaf_index) + 1, 0) FROM log_leaf)::int AS leaves,
              (SELECT tree_size FROM log_checkpoint WHERE status = 'confirmed' ORDER BY tree_size DESC LIMIT 1) AS anchored`,
    )
  ).rows[0] as { queued: number; leaves: number; anchored: number | null };
  return r.queued === 0 && r.leaves > 0 && r.anchored === r.leaves ? r.anchored : null;
}
