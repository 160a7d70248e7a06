import { randomBytes } from 'node:crypto';
import { JsonRpcProvider } from 'ethers';
import { createBatcher, type Batcher } from '../../../bridge/anchor/batcher';
import { connectChain, DEV_ADDRESS, DEV_PRIVATE_KEY, type AnchorChain } from '../../../bridge/anchor/chain';
import { createCheckpointAnchorer, type CheckpointAnchorer, type CheckpointAnchorerOptions } from '../../../bridge/anchor/checkpoints';
import { closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { checkpointOnChain } from '../../../bridge/anchor/verify';
import { createLogger } from '../../../bridge/log';
import { createClinic } from '../../../bridge/store/clinics';
import { checkpointAnchoringState, insertCheckpoint, markCheckpointSent, markCheckpointSubmitted } from '../../../bridge/store/log-anchors';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { sampleBundle } from '../../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../../helpers/anchor/bundles';
import { checkpointEvents, checkpointState, checkpointStates, logIdOf, makeCheckpoint, testOrigin } from '../../helpers/anchor/checkpoints';
import { startDevNode, startProxy } from '../../helpers/anchor/dev-node';
import { anchoredOnChain, batchStates } from '../../helpers/anchor/onchain';

/**
 * The checkpoint anchorer against a real chain (an in-process EVM served as an external JSON-RPC node, behind a TCP
 * proxy that can refuse connections) and a real PostgreSQL: checkpoint rows are inserted as the log publishes them.
 */
let database: TestDatabase;
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let chain: AnchorChain;
let provider: JsonRpcProvider;
const running: { stop(): Promise<void> }[] = [];
/** Log lines of the anchorers (pino JSON): errors must be reported, not swallowed. */
let lines: { level: number; msg: string; err?: string }[] = [];
const log = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });

function anchorer(extra: Partial<CheckpointAnchorerOptions> = {}): CheckpointAnchorer {
  const a = createCheckpointAnchorer({ db: database.db, log, chain, intervalMs: 0, pollMs: 20, backoff: { initialMs: 50, maxMs: 200 }, ...extra });
  running.push(a);
  a.start();
  return a;
}
async function publish(origin: string, size: number, root?: string): Promise<{ treeSize: number; root: string; note: string }> {
  const cp = makeCheckpoint(origin, size, root);
  expect(await insertCheckpoint(database.db, cp)).toBe(true);
  return cp;
}
const confirmed = (size: number) => async () => (await checkpointState(database.db, size))?.status === 'confirmed';
const nonce = (): Promise<number> => provider.getTransactionCount(DEV_ADDRESS);
const hex32 = (): string => '0x' + randomBytes(32).toString('hex');

beforeAll(async () => {
  database = await createTestDatabase();
  node = await startDevNode();
  proxy = await startProxy(node.port);
  chain = await connectChain({ rpcUrl: proxy.url, privateKey: DEV_PRIVATE_KEY, confirmations: 1, receiptPollMs: 10 }); // deploys a registry
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
});
beforeEach(async () => {
  lines = [];
  await database.db.query('DELETE FROM log_checkpoint'); // one log table per database: each test its own rows
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await proxy.up().catch(() => undefined);
});
afterAll(async () => {
  provider?.destroy();
  await chain?.close();
  await proxy?.close();
  await node?.close();
  await database?.drop();
  await closeMerkleWorker();
});

test('anchors only the newest checkpoint; older ones stay pending (consistency covers them); each newer one anchors on wake', async () => {
  const origin = testOrigin('newest');
  const logId = logIdOf(origin);
  for (const size of [1, 2]) await publish(origin, size);
  const three = await publish(origin, 3);
  const a = anchorer();
  await waitFor(confirmed(3), 10_000, 'checkpoint 3 anchored');
  const events = await checkpointEvents(provider, chain.contractAddress, logId);
  expect(events.map((e) => [e.treeSize, e.rootHash])).toEqual([[3, three.root]]);
  const rows = await checkpointStates(database.db);
  expect(rows.filter((r) => r.tree_size < 3).map((r) => [r.status, r.attempts, r.tx_hash])).toEqual([
    ['pending', 0, null],
    ['pending', 0, null],
  ]);
  const row3 = rows.find((r) => r.tree_size === 3)!;
  expect(row3).toMatchObject({
    status: 'confirmed',
    chain_id: Number(chain.chainId),
    contract: chain.contractAddress,
    log_id: logId,
    tx_hash: events[0].txHash,
    block_number: events[0].blockNumber,
    attempts: 1,
    last_error: null,
  });
  expect(row3.block_time).not.toBeNull();
  expect(await chain.checkpointRoot(logId, 3)).toBe(three.root);

  const seven = await publish(origin, 7);
  a.wake();
  await waitFor(confirmed(7), 10_000, 'checkpoint 7 anchored');
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([3, 7]);
  expect(await chain.latestCheckpoint(logId)).toMatchObject({ treeSize: 7, rootHash: seven.root });
  // What a verifier reads, trusting only the chain.
  expect(await checkpointOnChain(node.url, chain.contractAddress, logId, 7, { chainId: Number(chain.chainId) })).toEqual({ root: seven.root, latestSize: 7 });
  expect(await checkpointOnChain(node.url, chain.contractAddress, logId, 5)).toEqual({ root: null, latestSize: 7 });
  expect(await checkpointOnChain(node.url, chain.contractAddress, logIdOf('never.example/log'), 1)).toEqual({ root: null, latestSize: 0 });
  await expect(checkpointOnChain(node.url, chain.contractAddress, logId, 7, { chainId: 1 })).rejects.toMatchObject({ kind: 'wrong-chain' });
  await expect(checkpointOnChain(node.url, DEV_ADDRESS, logId, 7)).rejects.toMatchObject({ kind: 'no-contract' });
  expect(await checkpointAnchoringState(database.db)).toMatchObject({ newestSize: 7, anchoredSize: 7, lastError: null });
});

test('chain down: checkpoints keep being published, failures are recorded; back up: the newest is anchored once', async () => {
  const origin = testOrigin('down');
  const logId = logIdOf(origin);
  await proxy.down();
  await publish(origin, 10);
  const a = anchorer();
  await waitFor(async () => a.failures() >= 2 && (await checkpointState(database.db, 10))?.last_error, 10_000, 'failures while the chain is down');
  expect((await checkpointState(database.db, 10))!.last_error).toMatch(/unreachable/);
  expect(a.lastError()).toMatch(/unreachable/);
  expect(lines.some((l) => l.level === 40 && /checkpoint anchoring failed/.test(l.msg))).toBe(true);
  await publish(origin, 11); // publishing never waits for the chain
  const twelve = await publish(origin, 12);
  expect((await checkpointAnchoringState(database.db)).newestSize).toBe(12);

  await proxy.up();
  await waitFor(async () => (await confirmed(12)()) && a.failures() === 0, 20_000, 'anchoring after the chain came back');
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => [e.treeSize, e.rootHash])).toEqual([[12, twelve.root]]);
  expect((await checkpointState(database.db, 12))!.last_error).toBeNull();
  expect((await checkpointStates(database.db)).filter((r) => r.status === 'confirmed').map((r) => r.tree_size)).toEqual([12]);
  expect(a.lastError()).toBeNull();
});

test('crash after sending, before the hash was recorded: reconciled from checkpointRoot and its event, nothing sent again', async () => {
  const origin = testOrigin('crash');
  const logId = logIdOf(origin);
  const cp = await publish(origin, 20);
  // What the anchorer writes before signing…
  await markCheckpointSubmitted(database.db, 20, { chainId: chain.chainId, contract: chain.contractAddress, logId, headBlock: await chain.headBlock() });
  // …then the transaction goes out and the process dies before it records anything more.
  const sent = await chain.anchorCheckpoint(logId, 20, cp.root);
  const before = await nonce();
  anchorer();
  await waitFor(confirmed(20), 10_000, 'reconciliation');
  expect(await checkpointState(database.db, 20)).toMatchObject({ tx_hash: sent.txHash, block_number: sent.blockNumber, attempts: 1, last_error: null });
  expect(await nonce()).toBe(before); // no second transaction, so no refusal either
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([20]);
});

test('a submitted checkpoint whose transaction never reached the chain, superseded by a newer one: back to pending, the newer one anchors', async () => {
  const origin = testOrigin('superseded');
  const logId = logIdOf(origin);
  await publish(origin, 30);
  await markCheckpointSubmitted(database.db, 30, { chainId: chain.chainId, contract: chain.contractAddress, logId, headBlock: await chain.headBlock() });
  await markCheckpointSent(database.db, 30, hex32()); // signed, then lost before the node had it
  await publish(origin, 31);
  anchorer();
  await waitFor(confirmed(31), 10_000, 'checkpoint 31 anchored');
  expect(await checkpointState(database.db, 30)).toMatchObject({ status: 'pending', tx_hash: null });
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([31]);
});

test('fork: the chain holds another root at our size; reported as an error on every attempt, nothing sent', async () => {
  const origin = testOrigin('fork');
  const logId = logIdOf(origin);
  const theirs = hex32();
  await chain.anchorCheckpoint(logId, 40, theirs);
  const before = await nonce();
  await publish(origin, 40);
  const a = anchorer();
  await waitFor(async () => lines.filter((l) => l.level === 50 && /FORK/.test(l.err ?? '')).length >= 2, 10_000, 'the fork reported twice');
  expect(a.lastError()).toMatch(/^FORK: checkpoint 40 .* anchored on chain with root/);
  expect(await checkpointState(database.db, 40)).toMatchObject({ status: 'pending', tx_hash: null, last_error: expect.stringMatching(/^FORK/) });
  expect((await checkpointAnchoringState(database.db)).lastError).toMatch(/^FORK/);
  expect(await nonce()).toBe(before);
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => [e.treeSize, e.rootHash])).toEqual([[40, theirs]]);
});

test('shrink: a checkpoint smaller than the chain has is refused by the contract, kept in last_error and reported; a larger one then anchors', async () => {
  const origin = testOrigin('shrink');
  const logId = logIdOf(origin);
  await chain.anchorCheckpoint(logId, 100, hex32());
  const before = await nonce();
  await publish(origin, 50);
  const a = anchorer();
  await waitFor(async () => lines.filter((l) => l.level === 50 && /TreeSizeNotGrowing/.test(l.err ?? '')).length >= 2, 10_000, 'the refusal reported twice');
  expect(a.failures()).toBeGreaterThanOrEqual(2);
  expect(a.lastError()).toMatch(/TreeSizeNotGrowing\(0x[0-9a-f]{64}, 100, 50\).*newest checkpoint of log .* has size 100, larger than ours \(50\)/);
  const row = (await checkpointState(database.db, 50))!;
  expect(row).toMatchObject({ status: 'pending', tx_hash: null });
  expect(row.last_error).toMatch(/TreeSizeNotGrowing/);
  expect(await nonce()).toBe(before); // refused at simulation: no gas spent, no nonce used
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([100]);

  await publish(origin, 101);
  a.wake();
  await waitFor(async () => (await confirmed(101)()) && a.failures() === 0, 10_000, 'a growing checkpoint anchors');
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([100, 101]);
});

test('CHECKPOINT_ANCHOR_INTERVAL_MS: no second transaction within the interval (database clock); then the newest goes', async () => {
  const origin = testOrigin('interval');
  const logId = logIdOf(origin);
  await publish(origin, 60);
  const a = anchorer({ intervalMs: 60_000 });
  await waitFor(confirmed(60), 10_000, 'the first checkpoint, sent at once');
  await publish(origin, 61);
  const last = await publish(origin, 62);
  a.wake();
  await new Promise((r) => setTimeout(r, 300)); // many polls (20 ms) inside the interval: none may send
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => e.treeSize)).toEqual([60]);
  // The interval has passed (by the database's clock, which every process shares).
  await database.db.query(`UPDATE log_checkpoint SET submitted_at = now() - interval '61 seconds' WHERE tree_size = 60`);
  a.wake();
  await waitFor(confirmed(62), 10_000, 'the newest after the interval');
  expect((await checkpointEvents(provider, chain.contractAddress, logId)).map((e) => [e.treeSize, e.rootHash])).toEqual([
    [60, expect.any(String)],
    [62, last.root],
  ]);
  expect((await checkpointState(database.db, 61))!.status).toBe('pending');
});

test('batches and checkpoints share one wallet: interleaved on chain, each anchored once, no nonce clash', async () => {
  const origin = testOrigin('shared');
  const logId = logIdOf(origin);
  const clinicId = (await createClinic(database.db, 'Checkpoints and batches')).id;
  const batcher: Batcher = createBatcher({ db: database.db, log, chain, maxBundles: 2, maxWaitMs: 30, pollMs: 10 });
  running.push(batcher);
  batcher.start();
  const a = anchorer();
  const batchesBefore = (await batchStates(database.db)).length;
  let n = 0;
  for (let wave = 1; wave <= 4; wave++) {
    await storeBundles(
      database.db,
      clinicId,
      Array.from({ length: 3 }, () => sampleBundle(50_000 + n++)),
    );
    batcher.wake();
    await publish(origin, wave * 10);
    a.wake();
  }
  await waitFor(
    async () => {
      const b = (await batchStates(database.db)).slice(batchesBefore);
      return b.reduce((s, x) => s + x.leaf_count, 0) === 12 && b.every((x) => x.status === 'confirmed') && (await confirmed(40)());
    },
    20_000,
    'every batch and the newest checkpoint anchored',
  );
  const batches = (await batchStates(database.db)).slice(batchesBefore);
  const onChain = (await anchoredOnChain(provider, chain.contractAddress)).map((e) => e.batchId);
  for (const b of batches) expect(onChain.filter((id) => id === b.id)).toHaveLength(1);
  const events = await checkpointEvents(provider, chain.contractAddress, logId);
  expect(events.map((e) => e.treeSize)).toContain(40);
  for (let i = 1; i < events.length; i++) expect(events[i].treeSize).toBeGreaterThan(events[i - 1].treeSize);
  expect(batches.every((b) => b.last_error === null)).toBe(true);
  expect((await checkpointStates(database.db)).every((r) => r.last_error === null)).toBe(true);
});
