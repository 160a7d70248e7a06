import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { id, JsonRpcProvider, type Transaction } from 'ethers';
import { deployRegistry, DEV_PRIVATE_KEY, REGISTRY_ABI } from '../../bridge/anchor/chain';
import { checkpointOnChain } from '../../bridge/anchor/verify';
import { waitFor } from '../helpers/anchor/bundles';
import { checkpointEvents, checkpointState, checkpointStates, type CheckpointState } from '../helpers/anchor/checkpoints';
import { startDevNode } from '../helpers/anchor/dev-node';
import { startKillingProxy, type SendHook } from '../helpers/anchor/kill-proxy';
import { embeddedEnv, startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';

/**
 * `fhir-bridge start` anchoring the checkpoints its log publishes (after a push) on an external chain, through a proxy
 * that SIGKILLs the bridge's whole process group at the moment its checkpoint transaction is sent: after the node has it (sent, never recorded as
 * mined) or before (signed and recorded, never on chain). Started again on the same database, the bridge reconciles
 * with the chain: exactly one anchoring of that size on chain, the row confirmed, and the next checkpoint anchors.
 */
const ANCHOR_CHECKPOINT = REGISTRY_ABI.getFunction('anchorCheckpoint')!.selector;
const ADMIN = 'e2e-checkpoint-crash-admin-0123456789';
const started: BridgeProcess[] = [];
const dirs: string[] = [];
const databases: TestDatabase[] = [];
let node: Awaited<ReturnType<typeof startDevNode>>;
let proxy: Awaited<ReturnType<typeof startKillingProxy>>;
let provider: JsonRpcProvider;

const bundle = (tag: string, i: number): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, `CK-${tag}-${i}`)) as Record<string, unknown>;

async function clinicKey(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name: 'Checkpoint crash clinic' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

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

/** Tree sizes of every anchorCheckpoint transaction mined for `contract`, reverted or not, in chain order. */
async function checkpointTxSizes(contract: string): Promise<number[]> {
  const sizes: number[] = [];
  const head = await provider.getBlockNumber();
  for (let n = 0; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? [])
      if (tx.to?.toLowerCase() === contract.toLowerCase() && tx.data.startsWith(ANCHOR_CHECKPOINT))
        sizes.push(Number(REGISTRY_ABI.decodeFunctionData('anchorCheckpoint', tx.data)[1]));
  }
  return sizes;
}

/** The newest checkpoint row of the log. */
async function newestRow(database: TestDatabase): Promise<CheckpointState | undefined> {
  return (await checkpointStates(database.db)).at(-1);
}

async function scenario(when: SendHook): Promise<void> {
  const database = await createTestDatabase();
  databases.push(database);
  const contract = (await deployRegistry({ rpcUrl: node.url, privateKey: DEV_PRIVATE_KEY })).address;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `checkpoint-crash-${when}-`));
  dirs.push(dataDir);
  const origin = `e2e.example/crash-${when}`;
  const logId = id(origin);
  const env = {
    ...embeddedEnv(dataDir, await freePort(), { BRIDGE_ADMIN_TOKEN: ADMIN }),
    DATABASE_URL: database.url,
    CHAIN_RPC_URL: proxy.url,
    ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
    ANCHOR_CONTRACT: contract,
    CHAIN_RPC_TIMEOUT_MS: '2000',
    CHECKPOINT_INTERVAL_MS: '100',
    LOG_ORIGIN: origin,
  };

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
  // A push: the log publishes a checkpoint and the bridge sends it, and dies there.
  const key = await clinicKey(first.url);
  expect((await api(first.url, key, 'POST', '/fhir', bundle(when, 1))).status).toBe(200);
  expect(await first.exited).toBe('SIGKILL');
  const size = Number(REGISTRY_ABI.decodeFunctionData('anchorCheckpoint', sent!.data)[1]);
  // Killed between sending and recording: submitted, with the hash written before the broadcast.
  expect(await checkpointState(database.db, size)).toMatchObject({ status: 'submitted', tx_hash: sent!.hash, attempts: 1, log_id: logId });
  expect((await checkpointEvents(provider, contract, logId)).length).toBe(when === 'after-forward' ? 1 : 0);

  const second = await startBridgeProcess(env);
  started.push(second);
  await waitFor(async () => (await checkpointState(database.db, size))?.status === 'confirmed', 60_000, `checkpoint ${size} reconciled after the restart`);
  expect((await newestRow(database))?.tree_size).toBe(size); // nothing new was published meanwhile
  const events = await checkpointEvents(provider, contract, logId);
  const row = (await checkpointState(database.db, size))!;
  expect(events.map((e) => [e.treeSize, e.rootHash])).toEqual([[size, row.root]]); // exactly one anchoring of that size
  expect(row).toMatchObject({ tx_hash: events[0].txHash, block_number: events[0].blockNumber, log_id: logId, last_error: null });
  // One checkpoint transaction on chain in all: after-forward the one sent before the kill (waited for, not sent
  // again); before-forward the one signed after the restart.
  expect(await checkpointTxSizes(contract)).toEqual([size]);
  if (when === 'after-forward') expect(row.tx_hash).toBe(sent!.hash);

  // No gap: the next checkpoint anchors.
  expect((await api(second.url, key, 'POST', '/fhir', bundle(when, 2))).status).toBe(200);
  const next = await waitFor(
    async () => {
      const r = await newestRow(database);
      return r && r.tree_size > size && r.status === 'confirmed' ? r : undefined;
    },
    60_000,
    'the next checkpoint anchored',
  );
  expect((await checkpointEvents(provider, contract, logId)).map((e) => e.treeSize)).toEqual([size, next.tree_size]);
  expect(await checkpointTxSizes(contract)).toEqual([size, next.tree_size]);
  expect(await checkpointOnChain(node.url, contract, logId, next.tree_size)).toEqual({ root: next.root, latestSize: next.tree_size });

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}

test('SIGKILL after the checkpoint transaction reached the chain, before it was recorded: reconciled, anchored once, no gap', async () => {
  await scenario('after-forward');
});

test('SIGKILL while sending, before the transaction reached the chain: sent once after the restart, no gap', async () => {
  await scenario('before-forward');
});
