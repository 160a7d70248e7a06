import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider } from 'ethers';
import { connectChain, deployRegistry, DEV_ADDRESS, DEV_PRIVATE_KEY } from '../../../bridge/anchor/chain';
import { openRegistryView } from '../../../bridge/anchor/chain-reader';
import { closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { loadConfig } from '../../../bridge/config';
import { createLogger } from '../../../bridge/log';
import { startBridge, type RunningBridge } from '../../../bridge/main';
import { createClinic } from '../../../bridge/store/clinics';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { sampleBundle } from '../../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../../helpers/anchor/bundles';
import { startDevNode } from '../../helpers/anchor/dev-node';
import { startBlackHole, startHangProxy } from '../../helpers/anchor/hang-proxy';
import { checkpointEvents } from '../../helpers/anchor/checkpoints';
import { anchoredOnChain, batchStates } from '../../helpers/anchor/onchain';

/**
 * A chain that accepts connections and never answers (a paused node): every RPC call gives up after
 * CHAIN_RPC_TIMEOUT_MS, the hang counts as a failure in /anchors/status, batches keep closing, and once the node
 * answers again everything is anchored exactly once, in closing order, and a transaction sent before the hang is
 * waited for, not sent again.
 */
const log = createLogger('silent');
const RPC_TIMEOUT_MS = 1000;
let database: TestDatabase;
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startHangProxy>>;
let provider: JsonRpcProvider;
let contract: string;
let bridge: RunningBridge;
let clinicId: string;
const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'anchor-hang-'));
let n = 0;
const more = (count: number): Record<string, unknown>[] => Array.from({ length: count }, () => sampleBundle(30_000 + n++));

interface Status {
  unbatched: number;
  pending: number;
  submitted: number;
  confirmed: number;
  chainFailures: number;
  lastConfirmedAt: string | null;
  secondsSinceLastConfirmation: number | null;
  lastError: string | null;
}
const status = async (): Promise<Status> => (await (await fetch(`${bridge.url}/anchors/status`)).json()) as Status;
const rpc = (method: string, params: unknown[] = []): Promise<unknown> => provider.send(method, params);

beforeAll(async () => {
  database = await createTestDatabase();
  clinicId = (await createClinic(database.db, 'Hang')).id;
  node = await startDevNode();
  proxy = await startHangProxy(node.port);
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1, staticNetwork: true });
  contract = (await deployRegistry({ rpcUrl: node.url, privateKey: DEV_PRIVATE_KEY })).address;
  bridge = await startBridge(
    loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      DATA_DIR: dataDir,
      CHAIN_RPC_URL: proxy.url,
      ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
      ANCHOR_CONTRACT: contract,
      CHAIN_RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS),
      BATCH_MAX_BUNDLES: '3',
      BATCH_MAX_WAIT_MS: '100',
      BRIDGE_ADMIN_TOKEN: 'hang-test-admin-token-0123456789',
      LOG_LEVEL: 'silent',
      INGEST_WORKERS: '0',
    }),
    log,
  );
}, 60_000);
afterAll(async () => {
  await bridge?.close();
  provider?.destroy();
  await proxy?.close();
  await node?.close();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a node that never answers fails connect, probe and reads within the deadline, naming it', async () => {
  const hole = await startBlackHole();
  try {
    await expect(connectChain({ rpcUrl: hole.url, privateKey: DEV_PRIVATE_KEY, contract, confirmations: 1, rpcTimeoutMs: 200 })).rejects.toThrow(
      `RPC at ${hole.url} did not answer within 200 ms`,
    );
    await expect(openRegistryView(hole.url, contract, 200)).rejects.toThrow(/did not answer within 200 ms/);
  } finally {
    await hole.close();
  }
});

test('hung chain: failures counted, batches keep closing, then all anchored exactly once in closing order; a transaction sent before the hang is not sent again', async () => {
  await storeBundles(database.db, clinicId, more(3));
  const healthy = await waitFor(
    async () => {
      const s = await status();
      return s.confirmed === 1 && s.chainFailures === 0 ? s : undefined;
    },
    20_000,
    'the first batch confirmed while healthy',
  );
  expect(healthy).toMatchObject({ unbatched: 0, lastError: null });
  expect(Date.parse(healthy.lastConfirmedAt!)).not.toBeNaN();

  // A transaction in the node's pool, not yet mined, when the node stops answering.
  await rpc('evm_setAutomine', [false]);
  await storeBundles(database.db, clinicId, more(3));
  const inFlight = await waitFor(async () => (await batchStates(database.db)).find((b) => b.status === 'submitted' && b.tx_hash), 20_000, 'a batch sent');
  await waitFor(async () => (await provider.getTransaction(inFlight.tx_hash!)) !== null, 10_000, 'the transaction in the pool');
  proxy.hang();
  await rpc('evm_mine'); // mined while the bridge cannot see it

  // While hung: failures counted, the last confirmation ages, batches keep closing and wait.
  const before = (await batchStates(database.db)).length;
  for (let wave = 0; wave < 3; wave++) {
    await storeBundles(database.db, clinicId, more(4));
    await waitFor(async () => (await status()).unbatched === 0, 10_000, `wave ${wave} batched while the chain hangs`);
  }
  const hung = await waitFor(
    async () => {
      const s = await status();
      return s.chainFailures >= 2 && (s.secondsSinceLastConfirmation ?? 0) >= 1 ? s : undefined;
    },
    30_000,
    'failures counted while the chain hangs',
  );
  expect(hung.confirmed).toBe(1);
  expect(hung.lastError).toMatch(`did not answer within ${RPC_TIMEOUT_MS} ms`);
  const closedWhileHung = (await batchStates(database.db)).slice(before);
  expect(closedWhileHung.reduce((s, b) => s + b.leaf_count, 0)).toBe(12);
  expect(closedWhileHung.every((b) => b.status !== 'confirmed')).toBe(true);

  proxy.forward();
  await rpc('evm_setAutomine', [true]);
  await waitFor(
    async () => {
      const s = await status();
      return s.unbatched === 0 && s.pending === 0 && s.submitted === 0 && s.chainFailures === 0;
    },
    60_000,
    'everything anchored after the chain answers again',
  );

  const done = await batchStates(database.db);
  const events = await anchoredOnChain(provider, contract);
  expect(events.map((e) => e.batchId)).toEqual(done.map((b) => b.id)); // each batch exactly once, in closing order
  const sentBefore = done.find((b) => b.id === inFlight.id)!;
  expect(sentBefore).toMatchObject({ tx_hash: inFlight.tx_hash, attempts: 1, last_error: null }); // waited for, never re-sent
  // The deployment, then one transaction per batch and one per anchored log checkpoint (the log publishes them too).
  const checkpoints = await checkpointEvents(provider, contract);
  expect(await provider.getTransactionCount(DEV_ADDRESS)).toBe(1 + done.length + checkpoints.length);
  expect((await status()).lastError).toBeNull();
}, 120_000);
