import { JsonRpcProvider } from 'ethers';
import { createBatcher, type Batcher } from '../../../bridge/anchor/batcher';
import { connectChain, DEV_ADDRESS, DEV_PRIVATE_KEY, REGISTRY_ABI, type AnchorChain } from '../../../bridge/anchor/chain';
import { buildTree, closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { createLogger } from '../../../bridge/log';
import { closeBatch, listUnconfirmedBatches, markSubmitted } from '../../../bridge/store/batches';
import { createClinic } from '../../../bridge/store/clinics';
import { createPool } from '../../../bridge/store/db';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { hex32, sampleBundle } from '../../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../../helpers/anchor/bundles';
import { startDevNode, startProxy } from '../../helpers/anchor/dev-node';

/**
 * Faults against a real chain: an in-process EVM served as an external JSON-RPC node behind a TCP proxy that can
 * refuse connections (chain down) and serve again (chain back).
 */
const log = createLogger('silent');
let database: TestDatabase;
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let chain: AnchorChain;
let provider: JsonRpcProvider;
let clinicId: string;
const batchers: Batcher[] = [];
let n = 0;
const more = (count: number): Record<string, unknown>[] => Array.from({ length: count }, () => sampleBundle(10_000 + n++));

const rows = async (): Promise<
  {
    id: string;
    root: string;
    leaf_count: number;
    status: string;
    block_number: number | null;
    tx_hash: string | null;
    attempts: number;
    last_error: string | null;
  }[]
> =>
  (
    await database.db.query(
      `SELECT '0x' || encode(id, 'hex') AS id, '0x' || encode(root, 'hex') AS root, leaf_count, status, block_number,
            '0x' || encode(tx_hash, 'hex') AS tx_hash, attempts, last_error FROM batch ORDER BY seq`,
    )
  ).rows;
const anchoredEvents = async (): Promise<string[]> => {
  const logs = await provider.getLogs({
    address: chain.contractAddress,
    topics: [REGISTRY_ABI.getEvent('Anchored')!.topicHash],
    fromBlock: 0,
    toBlock: 'latest',
  });
  return logs.map((l) => l.topics[1]);
};

beforeAll(async () => {
  database = await createTestDatabase();
  clinicId = (await createClinic(database.db, 'Faults')).id;
  node = await startDevNode();
  proxy = await startProxy(node.port);
  chain = await connectChain({ rpcUrl: proxy.url, privateKey: DEV_PRIVATE_KEY, confirmations: 1 }); // deploys a registry
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
});
afterEach(async () => {
  for (const b of batchers.splice(0)) await b.stop();
});
afterAll(async () => {
  provider?.destroy();
  await chain?.close();
  await proxy?.close();
  await node?.close();
  await database?.drop();
  await closeMerkleWorker();
});

test('chain down while bundles arrive: ingest goes on, batches wait, then all are anchored exactly once, in order', async () => {
  await proxy.down();
  const b = createBatcher({ db: database.db, log, chain, maxBundles: 3, maxWaitMs: 100, pollMs: 20, backoff: { initialMs: 50, maxMs: 200 } });
  batchers.push(b);
  b.start();
  for (let wave = 0; wave < 3; wave++) {
    await storeBundles(database.db, clinicId, more(4)); // accepted while the chain is down
    // Wait for what is asserted below: every leaf of this wave in a batch (3 by size, the 4th by age).
    await waitFor(async () => (await rows()).reduce((s, r) => s + r.leaf_count, 0) === 4 * (wave + 1), 10_000, `wave ${wave} batched while the chain is down`);
  }
  await waitFor(async () => b.failures() >= 2 && (await rows())[0].last_error, 10_000, 'failures recorded while the chain is down');
  const waiting = await rows();
  expect(waiting.every((r) => r.status !== 'confirmed')).toBe(true);
  expect(waiting[0].last_error).toMatch(/unreachable/);
  // The live message is set with the count, so a status that reports the failures always says why.
  expect(b.lastError()).toMatch(/unreachable/);
  expect(waiting.reduce((s, r) => s + r.leaf_count, 0)).toBe(12);

  await proxy.up();
  // The pass that confirms the last batch resets the failure count when it ends: wait for both.
  await waitFor(async () => (await rows()).every((r) => r.status === 'confirmed') && b.failures() === 0, 20_000, 'anchoring after the chain came back');
  const done = await rows();
  for (let i = 1; i < done.length; i++) expect(done[i].block_number!).toBeGreaterThan(done[i - 1].block_number!);
  for (const r of done) expect((await chain.rootOf(r.id)).toLowerCase()).toBe(r.root);
  expect(await anchoredEvents()).toEqual(done.map((r) => r.id)); // exactly once each, in closing order
  expect(done.every((r) => r.last_error === null)).toBe(true);
  expect(b.lastError()).toBeNull();
});

test('crash after sending, before recording: a new batcher reconciles with rootOf and sends nothing', async () => {
  await storeBundles(database.db, clinicId, more(3));
  const batch = (await closeBatch(database.db, 10, hex32, (l) => buildTree(l)))!;
  // What a batcher does before sending…
  await markSubmitted(database.db, batch.batchId, chain.chainId, chain.contractAddress, await chain.headBlock());
  // …then the transaction goes out and the process dies before it records the result.
  const sent = await chain.anchor(batch.batchId, batch.root, batch.leafCount);
  const nonce = await provider.getTransactionCount(DEV_ADDRESS);
  expect((await listUnconfirmedBatches(database.db)).map((r) => r.batchId)).toEqual([batch.batchId]);

  const b = createBatcher({ db: database.db, log, chain, maxBundles: 10, maxWaitMs: 60_000, pollMs: 20 });
  batchers.push(b);
  b.start();
  await waitFor(async () => (await rows()).find((r) => r.id === batch.batchId)?.status === 'confirmed', 10_000, 'reconciliation');
  const row = (await rows()).find((r) => r.id === batch.batchId)!;
  expect(row).toMatchObject({ tx_hash: sent.txHash, block_number: sent.blockNumber, attempts: 1, last_error: null });
  expect(await provider.getTransactionCount(DEV_ADDRESS)).toBe(nonce); // no second transaction, so no revert either
  expect((await anchoredEvents()).filter((id) => id === batch.batchId)).toHaveLength(1);
});

test('crash after sending, on a chain whose RPC refuses eth_getLogs over 10,000 blocks: reconciliation searches from the submission block', async () => {
  await provider.send('hardhat_mine', ['0x7530']); // 30,000 blocks of history before this batch
  await storeBundles(database.db, clinicId, more(2));
  const batch = (await closeBatch(database.db, 10, hex32, (l) => buildTree(l)))!;
  await markSubmitted(database.db, batch.batchId, chain.chainId, chain.contractAddress, await chain.headBlock());
  await provider.send('hardhat_mine', ['0x3a98']); // 15,000 more before it is mined
  const sent = await chain.anchor(batch.batchId, batch.root, batch.leafCount);
  node.limitLogRange(10_000);
  try {
    const b = createBatcher({ db: database.db, log, chain, maxBundles: 10, maxWaitMs: 60_000, pollMs: 20 });
    batchers.push(b);
    b.start();
    await waitFor(async () => (await rows()).find((r) => r.id === batch.batchId)?.status === 'confirmed', 10_000, 'reconciliation');
    expect((await rows()).find((r) => r.id === batch.batchId)).toMatchObject({
      tx_hash: sent.txHash,
      block_number: sent.blockNumber,
      attempts: 1,
      last_error: null,
    });
  } finally {
    node.limitLogRange(undefined);
  }
});

test('two batchers (two pools, as two processes) on one database: disjoint batches, each anchored once, in order', async () => {
  const pools = [createPool(database.url, 3), createPool(database.url, 3)];
  try {
    for (const db of pools) {
      const b = createBatcher({ db, log, chain, maxBundles: 4, maxWaitMs: 30, pollMs: 5 });
      batchers.push(b);
      b.start();
    }
    const before = (await rows()).length;
    for (let i = 0; i < 5; i++) await storeBundles(database.db, clinicId, more(8));
    await waitFor(
      async () => {
        const r = await rows();
        const leaves = r.slice(before).reduce((s, x) => s + x.leaf_count, 0);
        return leaves === 40 && r.every((x) => x.status === 'confirmed');
      },
      20_000,
      'both batchers done',
    );
    const membership = (
      await database.db.query(
        `SELECT '0x' || encode(b.id, 'hex') AS id, b.leaf_count, count(u.id)::int AS members FROM batch b LEFT JOIN bundle u ON u.batch_id = b.id GROUP BY b.id, b.leaf_count`,
      )
    ).rows as { id: string; leaf_count: number; members: number }[];
    for (const m of membership) expect(m.members).toBe(m.leaf_count); // no bundle claimed by two batches
    const done = await rows();
    expect(await anchoredEvents()).toEqual(done.map((r) => r.id));
  } finally {
    for (const b of batchers.splice(0)) await b.stop();
    for (const p of pools) await p.end();
  }
});
