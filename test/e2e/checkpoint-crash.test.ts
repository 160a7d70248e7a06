import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, type Transaction } from 'ethers';
import { deployRegistry, DEV_ADDRESS, DEV_PRIVATE_KEY, REGISTRY_ABI } from '../../bridge/anchor/chain';
import { checkpointOnChain } from '../../bridge/anchor/verify';
import { insertCheckpoint } from '../../bridge/store/log-anchors';
import { waitFor } from '../helpers/anchor/bundles';
import { checkpointEvents, checkpointState, logIdOf, makeCheckpoint, testOrigin } from '../helpers/anchor/checkpoints';
import { startDevNode } from '../helpers/anchor/dev-node';
import { startKillingProxy, type SendHook } from '../helpers/anchor/kill-proxy';
import { embeddedEnv, startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { freePort } from '../helpers/net';

/**
 * `fhir-bridge start` anchoring log checkpoints on an external chain through a proxy that SIGKILLs the bridge's whole
 * process group at the moment its checkpoint transaction is sent: after the node has it (sent, never recorded as
 * mined) or before (signed and recorded, never on chain). Started again on the same database, the bridge reconciles
 * with the chain: exactly one anchoring of that size on chain, the row confirmed, and the next checkpoint anchors.
 */
const ANCHOR_CHECKPOINT = REGISTRY_ABI.getFunction('anchorCheckpoint')!.selector;
const started: BridgeProcess[] = [];
const dirs: string[] = [];
const databases: TestDatabase[] = [];
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startKillingProxy>>;
let provider: JsonRpcProvider;

beforeAll(async () => {
  node = await startDevNode();
  proxy = await startKillingProxy(node.url);
  provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1, staticNetwork: true });
});
afterAll(async () => {
  for (const b of started) if (b.child.exitCode === null && b.child.signalCode === null) process.kill(-(b.child.pid as number), 'SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  for (const db of databases) await db.drop();
  provider?.destroy();
  await proxy?.close();
  await node?.close();
});

async function scenario(when: SendHook): Promise<void> {
  const database = await createTestDatabase();
  databases.push(database);
  const contract = (await deployRegistry({ rpcUrl: node.url, privateKey: DEV_PRIVATE_KEY })).address;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `checkpoint-crash-${when}-`));
  dirs.push(dataDir);
  const env = {
    ...embeddedEnv(dataDir, await freePort(), { BRIDGE_ADMIN_TOKEN: 'e2e-checkpoint-crash-admin-0123456789' }),
    DATABASE_URL: database.url,
    CHAIN_RPC_URL: proxy.url,
    ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
    ANCHOR_CONTRACT: contract,
    CHAIN_RPC_TIMEOUT_MS: '2000',
  };
  const origin = testOrigin(`crash-${when}`);
  const logId = logIdOf(origin);

  const first = await startBridgeProcess(env);
  started.push(first);
  let sent: Transaction | undefined;
  proxy.arm(
    (tx) => tx.to?.toLowerCase() === contract.toLowerCase() && tx.data.startsWith(ANCHOR_CHECKPOINT),
    when,
    (tx) => {
      sent = tx;
      process.kill(-(first.child.pid as number), 'SIGKILL');
    },
  );
  const eight = makeCheckpoint(origin, 8);
  expect(await insertCheckpoint(database.db, eight)).toBe(true);
  expect(await first.exited).toBe('SIGKILL');
  const nonceAtKill = await provider.getTransactionCount(DEV_ADDRESS);
  // Killed between sending and recording: submitted, with the hash written before the broadcast.
  expect(await checkpointState(database.db, 8)).toMatchObject({ status: 'submitted', tx_hash: sent!.hash, attempts: 1 });
  expect((await checkpointEvents(provider, contract, logId)).length).toBe(when === 'after-forward' ? 1 : 0);

  const second = await startBridgeProcess(env);
  started.push(second);
  await waitFor(async () => (await checkpointState(database.db, 8))?.status === 'confirmed', 60_000, 'checkpoint 8 reconciled after the restart');
  const events = await checkpointEvents(provider, contract, logId);
  expect(events.map((e) => [e.treeSize, e.rootHash])).toEqual([[8, eight.root]]); // exactly one anchoring of size 8
  const row = (await checkpointState(database.db, 8))!;
  expect(row).toMatchObject({ tx_hash: events[0].txHash, block_number: events[0].blockNumber, log_id: logId, last_error: null });
  if (when === 'after-forward') {
    expect(row.tx_hash).toBe(sent!.hash); // the transaction sent before the kill, waited for, not sent again
    expect(await provider.getTransactionCount(DEV_ADDRESS)).toBe(nonceAtKill);
  } else {
    expect(await provider.getTransactionCount(DEV_ADDRESS)).toBe(nonceAtKill + 1); // sent once, after the restart
  }

  // No gap: the next checkpoint anchors.
  const nine = makeCheckpoint(origin, 9);
  expect(await insertCheckpoint(database.db, nine)).toBe(true);
  await waitFor(async () => (await checkpointState(database.db, 9))?.status === 'confirmed', 60_000, 'checkpoint 9 anchored');
  expect((await checkpointEvents(provider, contract, logId)).map((e) => e.treeSize)).toEqual([8, 9]);
  expect(await checkpointOnChain(node.url, contract, logId, 9)).toEqual({ root: nine.root, latestSize: 9 });

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}

test('SIGKILL after the checkpoint transaction reached the chain, before it was recorded: reconciled, anchored once, no gap', async () => {
  await scenario('after-forward');
});

test('SIGKILL while sending, before the transaction reached the chain: sent once after the restart, no gap', async () => {
  await scenario('before-forward');
});
