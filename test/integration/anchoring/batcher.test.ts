import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBatcher, type Batcher } from '../../../bridge/anchor/batcher';
import { startEmbeddedChain, type EmbeddedChain } from '../../../bridge/anchor/chain';
import { buildTree, closeMerkleWorker, leafHash, verifyProof } from '../../../bridge/anchor/merkle';
import { verifyReceipt } from '../../../bridge/anchor/verify';
import { createApp } from '../../../bridge/http/app';
import { IngestPool, startIngestPool } from '../../../bridge/ingest/ingest-pool';
import { createLogger } from '../../../bridge/log';
import { createClinic } from '../../../bridge/store/clinics';
import { closeBatch, listBatchLeaves } from '../../../bridge/store/batches';
import { createPool } from '../../../bridge/store/db';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { freePort, hex32, sampleBundle } from '../../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../../helpers/anchor/bundles';
import { runVerifyCommand } from '../../helpers/anchor/cli';

const log = createLogger('silent');
let database: TestDatabase;
let chain: EmbeddedChain;
let server: Server;
let url: string;
let clinicId: string;
let batcher: Batcher | undefined;
let ingest: IngestPool;

const batches = async (): Promise<{ id: string; leaf_count: number; status: string; seq: number; block_number: number | null; created_at: Date }[]> =>
  (
    await database.db.query(
      "SELECT '0x' || encode(id, 'hex') AS id, leaf_count, status, seq, block_number, created_at::timestamptz AS created_at FROM batch ORDER BY seq",
    )
  ).rows;
const get = async (p: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${url}${p}`);
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  database = await createTestDatabase();
  chain = await startEmbeddedChain({ port: await freePort() });
  clinicId = (await createClinic(database.db, 'Anchoring A')).id;
  ingest = await startIngestPool({ workers: 0, db: database.db, databaseUrl: database.url, connectionsPerWorker: 1 });
  const app = createApp({
    db: database.db,
    log,
    adminToken: undefined,
    maxBodyBytes: 1 << 20,
    maxEntries: 100,
    personSystems: [],
    version: 'test',
    ingest,
    anchors: {
      contract: () => ({ chainId: Number(chain.chainId), address: chain.contractAddress, rpcUrl: chain.rpcUrl }),
      failures: () => 0,
      lastError: () => null,
    },
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterEach(async () => {
  await batcher?.stop();
  batcher = undefined;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await chain?.close();
  await ingest?.close();
  await database?.drop();
  await closeMerkleWorker();
});

describe('batcher on the embedded chain', () => {
  const bundles = Array.from({ length: 12 }, (_, i) => sampleBundle(100 + i));
  let hashes: string[];
  /**
   * The 12 bundles anchored, once, by whichever test asks first (so each test stands alone; the scenario's own
   * assertions run in that test): batch ids in closing order.
   */
  let anchored: Promise<string[]> | undefined;
  const anchorScenario = (): Promise<string[]> => (anchored ??= runScenario());

  async function runScenario(): Promise<string[]> {
    hashes = await storeBundles(database.db, clinicId, bundles);
    batcher = createBatcher({ db: database.db, log, chain, maxBundles: 5, maxWaitMs: 600_000, pollMs: 20 });
    batcher.start();
    await waitFor(async () => (await batches()).filter((b) => b.status === 'confirmed').length === 2, 20_000, 'two full batches');
    // Stopped first (its work in flight finished), so what is asserted is all it did: the two left wait.
    await batcher.stop();
    let rows = await batches();
    expect(rows.map((b) => b.leaf_count)).toEqual([5, 5]);
    expect((await get(`/anchors/bundles/${hashes[11]}`)).body).toEqual({ status: 'pending' });

    batcher = createBatcher({ db: database.db, log, chain, maxBundles: 5, maxWaitMs: 400, pollMs: 20 });
    batcher.start();
    await waitFor(async () => (await batches()).filter((b) => b.status === 'confirmed').length === 3, 20_000, 'the batch closed by age');
    rows = await batches();
    expect(rows.map((b) => b.leaf_count)).toEqual([5, 5, 2]);
    // Anchored in closing order.
    expect(rows[0].block_number!).toBeLessThan(rows[1].block_number!);
    expect(rows[1].block_number!).toBeLessThan(rows[2].block_number!);
    await batcher.stop();
    batcher = undefined;
    return rows.map((b) => b.id);
  }

  it('closes batches by size, keeps the rest waiting, then closes them by age', async () => {
    expect(await anchorScenario()).toHaveLength(3);
  });

  it('stores proofs that lead to each anchored root, in received order', async () => {
    const ids = await anchorScenario();
    const rows = (await batches()).filter((b) => ids.includes(b.id));
    const seen: string[] = [];
    for (const b of rows) {
      const leaves = await listBatchLeaves(database.db, b.id);
      expect(leaves).toHaveLength(b.leaf_count);
      const root = await chain.rootOf(b.id);
      for (const l of leaves) expect(verifyProof(leafHash(l.bundleHash, l.salt), l.proof, root)).toBe(true);
      seen.push(...leaves.map((l) => l.bundleHash));
    }
    expect(seen).toEqual(hashes);
  });

  it('serves receipts that verify with verifyReceipt and the CLI; tampering fails at the right step', async () => {
    await anchorScenario();
    const res = await get(`/anchors/bundles/${hashes[3].slice(2).toUpperCase()}`); // 0x optional, case-insensitive
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('anchored');
    const receipt = res.body.receipt;
    expect(Object.keys(receipt).sort()).toEqual([
      'batchId',
      'blockNumber',
      'bundleHash',
      'canonicalization',
      'chainId',
      'contract',
      'leafCount',
      'proof',
      'root',
      'salt',
      'txHash',
      'version',
    ]);
    expect(receipt).toMatchObject({ bundleHash: hashes[3], chainId: 31337, contract: chain.contractAddress, leafCount: 5 });
    const rpcUrl = chain.rpcUrl;
    expect(await verifyReceipt({ bundle: bundles[3], receipt, rpcUrl })).toMatchObject({ valid: true });

    const oneByte = JSON.parse(JSON.stringify(bundles[3]).replace('female', 'femalf')) as Record<string, unknown>;
    expect(await verifyReceipt({ bundle: oneByte, receipt, rpcUrl })).toMatchObject({ valid: false, failedStep: 'hash' });
    const proof = [...receipt.proof];
    proof[proof.length - 1] = hex32();
    expect(await verifyReceipt({ bundle: bundles[3], receipt: { ...receipt, proof }, rpcUrl })).toMatchObject({ valid: false, failedStep: 'proof' });
    expect(await verifyReceipt({ bundle: bundles[3], receipt: { ...receipt, chainId: 1 }, rpcUrl })).toMatchObject({ valid: false, failedStep: 'chain' });
    const otherContract = { ...receipt, contract: '0x000000000000000000000000000000000000dEaD' };
    expect(await verifyReceipt({ bundle: bundles[3], receipt: otherContract, rpcUrl })).toMatchObject({ valid: false, failedStep: 'wrong-contract' });

    // The CLI command function: exit 0 with VALID; exit 1 naming the step.
    const dir = mkdtempSync(path.join(tmpdir(), 'anchoring-cli-'));
    expect(await runVerifyCommand(dir, bundles[3], receipt, rpcUrl)).toMatchObject({ code: 0, out: expect.stringMatching(/^VALID /) });
    expect(await runVerifyCommand(dir, oneByte, receipt, rpcUrl)).toMatchObject({ code: 1, out: expect.stringMatching(/INVALID \(hash\)/) });
    expect(await runVerifyCommand(dir, bundles[3], { ...receipt, chainId: 5 }, rpcUrl)).toMatchObject({
      code: 1,
      out: expect.stringMatching(/INVALID \(chain\)/),
    });
  });

  it('answers 400 for a malformed hash, 404 OperationOutcome for an unknown one, and shows batches and the contract', async () => {
    await anchorScenario();
    const bad = await get('/anchors/bundles/0x1234');
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    const unknown = await get(`/anchors/bundles/${hex32()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const [first] = await batches();
    const batch = await get(`/anchors/batches/${first.id}`);
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ batchId: first.id, status: 'confirmed', leafCount: 5, chainId: 31337, contract: chain.contractAddress });
    expect(batch.body.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(batch.body.blockTime).toEqual(expect.any(String));
    expect((await get(`/anchors/batches/${hex32()}`)).status).toBe(404);
    expect((await get('/anchors/batches/nope')).status).toBe(400);
    expect((await get('/anchors/contract')).body).toEqual({ chainId: 31337, address: chain.contractAddress, rpcUrl: chain.rpcUrl });
  });

  it('returns the first anchored bundle when several clinics pushed the same bytes', async () => {
    await anchorScenario();
    const other = (await createClinic(database.db, 'Anchoring B')).id;
    const [same] = await storeBundles(database.db, other, [bundles[0]]); // same hash as clinic A's, another salt
    expect(same).toBe(hashes[0]);
    const before = (await get(`/anchors/bundles/${same}`)).body;
    batcher = createBatcher({ db: database.db, log, chain, maxBundles: 5, maxWaitMs: 50, pollMs: 20 });
    batcher.start();
    await waitFor(async () => (await batches()).length === 4 && (await batches())[3].status === 'confirmed', 20_000, 'the duplicate anchored');
    const after = (await get(`/anchors/bundles/${same}`)).body;
    expect(after).toEqual(before);
    expect(after.receipt.batchId).toBe((await batches())[0].id);
    expect(await verifyReceipt({ bundle: bundles[0], receipt: after.receipt, rpcUrl: chain.rpcUrl })).toMatchObject({ valid: true });
  });
});

describe('claims with FOR UPDATE SKIP LOCKED', () => {
  it('two processes closing batches at once claim disjoint bundles without waiting on each other', async () => {
    // A database of its own: no other test's bundles to claim, nor batches of this one left for them.
    const own = await createTestDatabase();
    const clinic = (await createClinic(own.db, 'Claims')).id;
    await storeBundles(
      own.db,
      clinic,
      Array.from({ length: 20 }, (_, i) => sampleBundle(500 + i)),
    );
    // Two pools: two "bridge processes" on one database.
    const a = createPool(own.url, 2);
    const b = createPool(own.url, 2);
    try {
      // The first closer holds its claimed rows' locks until the second closer has finished: with SKIP LOCKED the
      // second never waits for them (without it, the two would wait on each other and the guard below fires).
      let aClaimed!: () => void;
      const claimedByA = new Promise<void>((r) => (aClaimed = r));
      let bDone!: () => void;
      const doneByB = new Promise<void>((r) => (bDone = r));
      const holdUntilB = async (leaves: { bundleHash: string; salt: string }[]) => {
        aClaimed();
        await Promise.race([
          doneByB,
          new Promise((_, reject) => setTimeout(() => reject(new Error("the second closer waited for the first one's locks")), 15_000)),
        ]);
        return buildTree(leaves);
      };
      const xP = closeBatch(a, 10, hex32, holdUntilB);
      await claimedByA;
      const y = await closeBatch(b, 10, hex32, buildTree);
      bDone();
      const x = await xP;
      expect(x!.leafCount).toBe(10);
      expect(y!.leafCount).toBe(10);
      const lx = (await listBatchLeaves(own.db, x!.batchId)).map((l) => l.bundleId);
      const ly = (await listBatchLeaves(own.db, y!.batchId)).map((l) => l.bundleId);
      expect(lx).toHaveLength(10);
      expect(ly).toHaveLength(10);
      expect(lx.filter((id) => ly.includes(id))).toEqual([]);
      const again = await closeBatch(a, 10, hex32, buildTree);
      expect(again).toBeNull();
    } finally {
      await a.end();
      await b.end();
      await own.drop();
    }
  });
});
