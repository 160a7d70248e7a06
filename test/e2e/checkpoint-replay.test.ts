import fs, { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { checkpointOnChain, verifyReceipt } from '../../bridge/anchor/verify';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { waitFor } from '../helpers/anchor/bundles';
import { checkpointStates } from '../helpers/anchor/checkpoints';
import { batchStates } from '../helpers/anchor/onchain';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';

/**
 * The started bridge on its embedded chain anchors pushed bundles (batches) and published log checkpoints, interleaved
 * on chain. After a restart on the same database the embedded chain is rebuilt from both, in their on-chain order:
 * the same transactions in the same blocks, so old receipts and anchored checkpoints verify again, unchanged.
 */
const ADMIN = 'e2e-checkpoint-replay-admin-0123456789';
let database: TestDatabase;
let bridge: RunningBridge | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'checkpoint-replay-'));

async function start(): Promise<RunningBridge> {
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    CHAIN_PORT: String(await freePort()),
    BATCH_MAX_WAIT_MS: '100',
    BATCH_MAX_BUNDLES: '100',
    BRIDGE_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    INGEST_WORKERS: '0',
    CHECKPOINT_INTERVAL_MS: '50',
  });
  return startBridge(config, createLogger('silent'));
}

const bundle = (i: number): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, `RP-${i}`)) as Record<string, unknown>;

/** Nothing queued for the log, and its newest checkpoint (covering every leaf) anchored. */
async function allAnchored(): Promise<boolean> {
  const r = (
    await database.db.query(
      `SELECT (SELECT count(*) FROM log_queue)::int AS queued, (SELECT coalesce(max(leaf_index) + 1, 0) FROM log_leaf)::int AS leaves,
              (SELECT tree_size FROM log_checkpoint WHERE status = 'confirmed' ORDER BY tree_size DESC LIMIT 1) AS anchored`,
    )
  ).rows[0] as { queued: number; leaves: number; anchored: number | null };
  return r.queued === 0 && r.leaves > 0 && r.anchored === r.leaves;
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await bridge?.close();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('batches and checkpoints interleaved on the embedded chain: after a restart both verify again, same transactions and blocks', async () => {
  bridge = await start();
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { chainId: number; address: string; rpcUrl: string };
  const created = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name: 'Replay clinic' }),
  });
  const { apiKey } = (await created.json()) as { apiKey: string };
  const logId = bridge.verifiableLog.logId;

  // Each push: its batch anchored, and the checkpoint the log published with it anchored, before the next push.
  const pushed: { bundle: Record<string, unknown>; hash: string }[] = [];
  for (let i = 1; i <= 3; i++) {
    const b = bundle(i);
    const res = await api(bridge.url, apiKey, 'POST', '/fhir', b);
    expect(res.status).toBe(200);
    const hash = res.headers.get('x-bundle-hash') as string;
    pushed.push({ bundle: b, hash });
    await waitFor(
      async () => ((await (await fetch(`${bridge!.url}/anchors/bundles/${hash}`)).json()) as { status: string }).status === 'anchored',
      20_000,
      `bundle ${i}`,
    );
    await waitFor(allAnchored, 20_000, `the checkpoint after bundle ${i}`);
  }

  const receipts = [];
  for (const p of pushed) receipts.push(((await (await fetch(`${bridge.url}/anchors/bundles/${p.hash}`)).json()) as { receipt: unknown }).receipt);
  const rowsBefore = (await checkpointStates(database.db)).filter((r) => r.status === 'confirmed');
  const batchesBefore = await batchStates(database.db);
  expect(rowsBefore.length).toBeGreaterThanOrEqual(2);
  expect(rowsBefore.every((r) => r.log_id === logId)).toBe(true);
  // Interleaved on chain: a checkpoint between two batches, or a batch between two checkpoints.
  const kinds = [...rowsBefore.map((r) => ['c', r.block_number!] as const), ...batchesBefore.map((b) => ['b', b.block_number!] as const)]
    .sort((x, y) => x[1] - y[1])
    .map((x) => x[0])
    .join('');
  expect(kinds).toMatch(/b.*c.*b|c.*b.*c/);
  for (const r of rowsBefore) expect((await checkpointOnChain(contract.rpcUrl, contract.address, logId, r.tree_size)).root).toBe(r.root);

  // Restart on the same database: a fresh embedded chain, rebuilt from the confirmed batches and checkpoints.
  await bridge.close();
  bridge = undefined;
  bridge = await start();
  const again = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { chainId: number; address: string; rpcUrl: string };
  expect(again.address).toBe(contract.address);
  expect(again.rpcUrl).not.toBe(contract.rpcUrl);
  for (const [i, receipt] of receipts.entries()) {
    expect(await verifyReceipt({ bundle: pushed[i].bundle, receipt, rpcUrl: again.rpcUrl })).toMatchObject({ valid: true });
  }
  const newestBefore = rowsBefore[rowsBefore.length - 1].tree_size;
  for (const r of rowsBefore) {
    const onChain = await checkpointOnChain(again.rpcUrl, again.address, logId, r.tree_size);
    expect(onChain.root).toBe(r.root);
    expect(onChain.latestSize).toBeGreaterThanOrEqual(newestBefore);
  }
  // Same history → same transactions in the same blocks: nothing moved.
  const pick = (r: { tx_hash: string | null; block_number: number | null }) => [r.tx_hash, r.block_number];
  const rowsAfter = await checkpointStates(database.db);
  expect(rowsBefore.map((r) => pick(rowsAfter.find((x) => x.tree_size === r.tree_size)!))).toEqual(rowsBefore.map(pick));
  expect((await batchStates(database.db)).slice(0, batchesBefore.length).map(pick)).toEqual(batchesBefore.map(pick));

  // And the log grows on from there: the next push's checkpoint is anchored on the rebuilt chain.
  const res = await api(bridge.url, apiKey, 'POST', '/fhir', bundle(4));
  expect(res.status).toBe(200);
  const grown = await waitFor(
    async () => {
      const c = await bridge!.verifiableLog.checkpoint();
      return c && c.size > newestBefore && c.status === 'confirmed' ? c : undefined;
    },
    20_000,
    'a checkpoint after the restart',
  );
  expect(await checkpointOnChain(again.rpcUrl, again.address, logId, grown.size)).toEqual({ root: grown.root, latestSize: grown.size });
});
