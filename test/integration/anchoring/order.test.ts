import { JsonRpcProvider } from 'ethers';
import { createBatcher, type Batcher } from '../../../bridge/anchor/batcher';
import { connectChain, DEV_ADDRESS, DEV_PRIVATE_KEY, type AnchorChain } from '../../../bridge/anchor/chain';
import { buildTree, closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { createLogger } from '../../../bridge/log';
import { recordAudit } from '../../../bridge/store/audit';
import { closeBatch, listUnconfirmedBatches } from '../../../bridge/store/batches';
import { createClinic } from '../../../bridge/store/clinics';
import { createPool } from '../../../bridge/store/db';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { hex32, sampleBundle } from '../../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../../helpers/anchor/bundles';
import { startDevNode } from '../../helpers/anchor/dev-node';
import { anchoredOnChain, batchStates } from '../../helpers/anchor/onchain';

/**
 * Anchoring order and pace on a chain that mines slowly: batches are anchored strictly in closing (seq) order, also
 * with two processes on one database, and batches keep closing while a transaction waits to be mined.
 * Each test has its own database; the chain (an in-process EVM served over JSON-RPC) is shared, each test deploys
 * its own registry.
 */
const log = createLogger('silent');
let node: Awaited<ReturnType<typeof startDevNode>>;
let provider: JsonRpcProvider;
const databases: TestDatabase[] = [];
const batchers: Batcher[] = [];
const chains: AnchorChain[] = [];
let n = 0;
const more = (count: number): Record<string, unknown>[] => Array.from({ length: count }, () => sampleBundle(50_000 + n++));
const rpc = (method: string, params: unknown[] = []): Promise<unknown> => provider.send(method, params);

async function freshDatabase(): Promise<{ database: TestDatabase; clinicId: string }> {
  const database = await createTestDatabase();
  databases.push(database);
  return { database, clinicId: (await createClinic(database.db, 'Order')).id };
}
/** A chain client as one bridge process has it (its own provider), on a registry deployed with automine on. */
async function chainClient(contract?: string): Promise<AnchorChain> {
  const c = await connectChain({ rpcUrl: node.url, privateKey: DEV_PRIVATE_KEY, contract, confirmations: 1, receiptPollMs: 20 });
  chains.push(c);
  return c;
}

beforeAll(async () => {
  node = await startDevNode();
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1, staticNetwork: true });
});
afterEach(async () => {
  for (const b of batchers.splice(0)) await b.stop();
  for (const c of chains.splice(0)) await c.close();
  await rpc('evm_setIntervalMining', [0]);
  await rpc('evm_setAutomine', [true]);
});
afterAll(async () => {
  provider?.destroy();
  await node?.close();
  for (const d of databases) await d.drop();
  await closeMerkleWorker();
});

test('a batch that draws its seq later never commits before one that drew it earlier (the anchoring queue has no gaps)', async () => {
  const { database, clinicId } = await freshDatabase();
  const { db } = database;
  // Batch A: a bundle and an audit record. A SHARE lock on audit_event holds A after it drew its seq, before commit.
  await storeBundles(db, clinicId, more(1));
  await recordAudit(db, { clinicId, action: 'read', outcome: 'success' });
  const blocker = await db.connect();
  try {
    await blocker.query('BEGIN');
    const a = closeBatch(db, 10, hex32, async (leaves) => {
      await blocker.query('LOCK TABLE audit_event IN SHARE MODE');
      return buildTree(leaves);
    });
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM pg_locks WHERE relation = 'audit_event'::regclass AND NOT granted`)).rowCount,
      10_000,
      'batch A held before commit',
    );

    // Batch B: one bundle, no audit record, so nothing of its own would hold it.
    await storeBundles(db, clinicId, more(1));
    let bSettled = false;
    const b = closeBatch(db, 10, hex32, (leaves) => buildTree(leaves)).finally(() => (bSettled = true));
    await waitFor(
      async () => bSettled || (await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount,
      10_000,
      'batch B done or waiting',
    );
    expect(bSettled).toBe(false); // B waits for A: it may not commit a later seq while an earlier one is open
    expect(await listUnconfirmedBatches(db)).toEqual([]);

    await blocker.query('COMMIT');
    const [batchA, batchB] = await Promise.all([a, b]);
    expect(batchA!.seq).toBeLessThan(batchB!.seq);
    expect((await listUnconfirmedBatches(db)).map((x) => x.batchId)).toEqual([batchA!.batchId, batchB!.batchId]);
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    blocker.release();
  }
});

test('batches keep closing while a transaction waits to be mined, and the next is sent only after it is mined', async () => {
  const { database, clinicId } = await freshDatabase();
  const chain = await chainClient(); // deploys
  await rpc('evm_setAutomine', [false]);
  const b = createBatcher({ db: database.db, log, chain, maxBundles: 2, maxWaitMs: 50, pollMs: 10 });
  batchers.push(b);
  b.start();

  await storeBundles(database.db, clinicId, more(2));
  const first = await waitFor(async () => (await batchStates(database.db)).find((x) => x.status === 'submitted' && x.tx_hash), 10_000, 'the first batch sent');
  await waitFor(async () => (await provider.getTransaction(first.tx_hash!)) !== null, 10_000, 'its transaction in the pool');

  await storeBundles(database.db, clinicId, more(5));
  const whileInFlight = await waitFor(
    async () => {
      const rows = await batchStates(database.db);
      return rows.reduce((s, x) => s + x.leaf_count, 0) === 7 ? rows : undefined;
    },
    10_000,
    'batches closed while the first waits to be mined',
  );
  expect(whileInFlight.length).toBeGreaterThanOrEqual(4); // 7 leaves, at most 2 a batch
  expect(whileInFlight[0]).toMatchObject({ id: first.id, status: 'submitted' });
  expect(whileInFlight.slice(1).every((x) => x.status === 'pending')).toBe(true);
  // One transaction at a time: only the first is in the pool.
  expect(await provider.getTransactionCount(DEV_ADDRESS, 'pending')).toBe((await provider.getTransactionCount(DEV_ADDRESS, 'latest')) + 1);

  const done = await waitFor(
    async () => {
      await rpc('evm_mine');
      const rows = await batchStates(database.db);
      return rows.every((x) => x.status === 'confirmed') ? rows : undefined;
    },
    20_000,
    'every batch mined, one block at a time',
  );
  for (let i = 1; i < done.length; i++) expect(done[i].block_number!).toBeGreaterThan(done[i - 1].block_number!);
  expect((await anchoredOnChain(provider, chain.contractAddress)).map((e) => e.batchId)).toEqual(done.map((x) => x.id));
});

test('two processes on one database, chain mining every 100 ms: each batch anchored once, on-chain order = closing order', async () => {
  const { database, clinicId } = await freshDatabase();
  const contract = (await chainClient()).contractAddress;
  await rpc('evm_setAutomine', [false]);
  await rpc('evm_setIntervalMining', [100]);
  const pools = [createPool(database.url, 3), createPool(database.url, 3)];
  try {
    for (const db of pools) {
      const b = createBatcher({ db, log, chain: await chainClient(contract), maxBundles: 3, maxWaitMs: 20, pollMs: 5 });
      batchers.push(b);
      b.start();
    }
    // Four clinics' worth of pushes at once, so both processes close batches concurrently.
    await Promise.all([0, 1, 2, 3].map(() => storeBundles(database.db, clinicId, more(12))));
    const done = await waitFor(
      async () => {
        const rows = await batchStates(database.db);
        const leaves = rows.reduce((s, x) => s + x.leaf_count, 0);
        return leaves === 48 && rows.every((x) => x.status === 'confirmed') ? rows : undefined;
      },
      60_000,
      'both processes done',
    );
    const events = await anchoredOnChain(provider, contract);
    expect(events.map((e) => e.batchId)).toEqual(done.map((x) => x.id)); // once each, in seq order (block, then log index)
    for (let i = 1; i < done.length; i++) expect(done[i].block_number!).toBeGreaterThan(done[i - 1].block_number!);
  } finally {
    for (const b of batchers.splice(0)) await b.stop();
    for (const p of pools) await p.end();
  }
}, 90_000);
