import fs, { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { checkpointOnChain, verifyReceipt } from '../../bridge/anchor/verify';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { insertCheckpoint } from '../../bridge/store/log-anchors';
import { waitFor } from '../helpers/anchor/bundles';
import { checkpointStates, logIdOf, makeCheckpoint, testOrigin } from '../helpers/anchor/checkpoints';
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
  });
  return startBridge(config, createLogger('silent'));
}

const bundle = (i: number): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, `RP-${i}`)) as Record<string, unknown>;

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
  const origin = testOrigin('replay');
  const logId = logIdOf(origin);

  // Batch, checkpoint, batch, checkpoint, checkpoint, batch: each anchored before the next is due.
  const pushed: { bundle: Record<string, unknown>; hash: string }[] = [];
  const checkpoints: { treeSize: number; root: string }[] = [];
  const pushOne = async (i: number): Promise<void> => {
    const b = bundle(i);
    const res = await api(bridge!.url, apiKey, 'POST', '/fhir', b);
    expect(res.status).toBe(200);
    const hash = res.headers.get('x-bundle-hash') as string;
    pushed.push({ bundle: b, hash });
    await waitFor(
      async () => ((await (await fetch(`${bridge!.url}/anchors/bundles/${hash}`)).json()) as { status: string }).status === 'anchored',
      20_000,
      `bundle ${i}`,
    );
  };
  const publishOne = async (size: number): Promise<void> => {
    const cp = makeCheckpoint(origin, size);
    expect(await insertCheckpoint(database.db, cp)).toBe(true);
    checkpoints.push(cp);
    bridge!.anchoring.checkpoints.wake();
    await waitFor(async () => (await checkpointStates(database.db)).find((r) => r.tree_size === size)?.status === 'confirmed', 20_000, `checkpoint ${size}`);
  };
  await pushOne(1);
  await publishOne(3);
  await pushOne(2);
  await publishOne(9);
  await publishOne(12);
  await pushOne(3);

  const receipts = [];
  for (const p of pushed) receipts.push(((await (await fetch(`${bridge.url}/anchors/bundles/${p.hash}`)).json()) as { receipt: unknown }).receipt);
  const rowsBefore = await checkpointStates(database.db);
  const batchesBefore = await batchStates(database.db);
  // Interleaved on chain: a checkpoint block between two batch blocks.
  const blocks = [...rowsBefore.map((r) => ['c', r.block_number!] as const), ...batchesBefore.map((b) => ['b', b.block_number!] as const)]
    .sort((x, y) => x[1] - y[1])
    .map((x) => x[0])
    .join('');
  expect(blocks).toBe('bcbccb');
  for (const cp of checkpoints)
    expect(await checkpointOnChain(contract.rpcUrl, contract.address, logId, cp.treeSize)).toEqual({ root: cp.root, latestSize: 12 });

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
  for (const cp of checkpoints) expect(await checkpointOnChain(again.rpcUrl, again.address, logId, cp.treeSize)).toEqual({ root: cp.root, latestSize: 12 });
  expect(await checkpointOnChain(again.rpcUrl, again.address, logId, 10)).toEqual({ root: null, latestSize: 12 });
  // Same history → same transactions in the same blocks: nothing moved.
  const pick = (r: { tx_hash: string | null; block_number: number | null }) => [r.tx_hash, r.block_number];
  expect((await checkpointStates(database.db)).map(pick)).toEqual(rowsBefore.map(pick));
  expect((await batchStates(database.db)).map(pick)).toEqual(batchesBefore.map(pick));

  // And the log grows on from there.
  const next = makeCheckpoint(origin, 20);
  expect(await insertCheckpoint(database.db, next)).toBe(true);
  bridge.anchoring.checkpoints.wake();
  await waitFor(async () => (await checkpointStates(database.db)).find((r) => r.tree_size === 20)?.status === 'confirmed', 20_000, 'checkpoint 20');
  expect(await checkpointOnChain(again.rpcUrl, again.address, logId, 20)).toEqual({ root: next.root, latestSize: 20 });
});
