import { JsonRpcProvider } from 'ethers';
import { connectChain, deployRegistry, DEV_PRIVATE_KEY, type AnchorChain } from '../../../bridge/anchor/chain';
import { createCheckpointAnchorer, type CheckpointAnchorer } from '../../../bridge/anchor/checkpoints';
import { checkpointOnChain } from '../../../bridge/anchor/verify';
import { createLogger } from '../../../bridge/log';
import { insertCheckpoint } from '../../../bridge/store/log-anchors';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { waitFor } from '../../helpers/anchor/bundles';
import { checkpointEvents, checkpointState, logIdOf, makeCheckpoint, testOrigin } from '../../helpers/anchor/checkpoints';
import { startDevNode } from '../../helpers/anchor/dev-node';
import { startBlackHole, startHangProxy } from '../../helpers/anchor/hang-proxy';

/**
 * A chain that accepts connections and never answers (a paused node): every call of the checkpoint anchorer gives up
 * after the RPC deadline, stop() is not held up by it, checkpoints keep being published, and once the node answers
 * the newest checkpoint is anchored exactly once. The verifier's read gives up after its deadline too.
 */
const RPC_TIMEOUT_MS = 500;
let database: TestDatabase;
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startHangProxy>>;
let provider: JsonRpcProvider;
let chain: AnchorChain;
let contract: string;
const anchorers: CheckpointAnchorer[] = [];

const start = (): CheckpointAnchorer => {
  const a = createCheckpointAnchorer({
    db: database.db,
    log: createLogger('silent'),
    chain,
    intervalMs: 0,
    pollMs: 20,
    backoff: { initialMs: 50, maxMs: 200 },
    anchorTimeoutMs: 2000,
  });
  anchorers.push(a);
  a.start();
  return a;
};

beforeAll(async () => {
  database = await createTestDatabase();
  node = await startDevNode();
  proxy = await startHangProxy(node.port);
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1, staticNetwork: true });
  contract = (await deployRegistry({ rpcUrl: node.url, privateKey: DEV_PRIVATE_KEY })).address;
  chain = await connectChain({ rpcUrl: proxy.url, privateKey: DEV_PRIVATE_KEY, contract, confirmations: 1, rpcTimeoutMs: RPC_TIMEOUT_MS, receiptPollMs: 10 });
});
afterAll(async () => {
  for (const a of anchorers) await a.stop();
  await chain?.close();
  provider?.destroy();
  await proxy?.close();
  await node?.close();
  await database?.drop();
});

test('hung chain: each call bounded, failures recorded, stop() returns; after the hang the newest checkpoint anchors once', async () => {
  const origin = testOrigin('hang');
  const logId = logIdOf(origin);
  proxy.hang();
  expect(await insertCheckpoint(database.db, makeCheckpoint(origin, 5))).toBe(true);
  const first = start();
  await waitFor(async () => first.failures() >= 2 && (await checkpointState(database.db, 5))?.last_error, 20_000, 'failures while the chain hangs');
  expect(first.lastError()).toMatch(/did not answer within 500 ms/);
  expect(await insertCheckpoint(database.db, makeCheckpoint(origin, 6))).toBe(true); // publishing goes on
  await first.stop(); // a loop stuck on the chain would never return here

  proxy.forward();
  const newest = makeCheckpoint(origin, 7);
  expect(await insertCheckpoint(database.db, newest)).toBe(true);
  const second = start();
  await waitFor(async () => (await checkpointState(database.db, 7))?.status === 'confirmed' && second.failures() === 0, 20_000, 'anchoring after the hang');
  expect((await checkpointEvents(provider, contract, logId)).map((e) => [e.treeSize, e.rootHash])).toEqual([[7, newest.root]]);
});

test('checkpointOnChain gives up after its deadline on a node that never answers, and names an unreachable one', async () => {
  const hole = await startBlackHole();
  try {
    await expect(checkpointOnChain(hole.url, contract, logIdOf('x.example/log'), 1, { timeoutMs: 300 })).rejects.toMatchObject({
      kind: 'unreachable',
      message: expect.stringMatching(/did not answer within 300 ms/),
    });
  } finally {
    await hole.close();
  }
  await expect(checkpointOnChain('http://127.0.0.1:9', contract, logIdOf('x.example/log'), 1, { timeoutMs: 300 })).rejects.toMatchObject({
    kind: 'unreachable',
  });
});
