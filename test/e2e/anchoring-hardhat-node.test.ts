import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { JsonRpcProvider } from 'ethers';
import { deployRegistry, DEV_PRIVATE_KEY } from '../../bridge/anchor/chain';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { createClinic } from '../../bridge/store/clinics';
import { sampleBundle } from '../helpers/anchor/fixtures';
import { storeBundles, waitFor } from '../helpers/anchor/bundles';
import { anchoredOnChain, batchStates } from '../helpers/anchor/onchain';
import { startHardhatNode, type HardhatNode } from '../helpers/anchor/hardhat-node';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle } from '../helpers/fixtures';

/**
 * The bridge on an external EVM chain (a `hardhat node` process): the registry deployed with `fhir-bridge deploy`
 * into DATA_DIR, pushed bundles anchored there, and each receipt checked by `fhir-bridge verify` against that node.
 */
const run = promisify(execFile);
const CLI = ['-r', 'ts-node/register/transpile-only', path.resolve(__dirname, '../../bridge/cli.ts')];
const ADMIN = 'e2e-external-admin-token-0123456789';
const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'anchor-external-'));
let node: HardhatNode;
let database: TestDatabase;
let bridge: RunningBridge | undefined;

const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  run(process.execPath, [...CLI, ...args], { env: { ...process.env, ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

beforeAll(async () => {
  node = await startHardhatNode();
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await bridge?.close();
  await database?.drop();
  await node?.stop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('deploy, push, anchor on the external chain, verify each receipt with the CLI', async () => {
  const deployed = await cli(['deploy', '--rpc', node.rpcUrl, '--out', path.join(dataDir, 'deployment.json')]);
  expect(deployed.code).toBe(0);
  const record = JSON.parse(fs.readFileSync(path.join(dataDir, 'deployment.json'), 'utf8')) as { address: string; chainId: number };

  bridge = await startBridge(
    loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      DATA_DIR: dataDir,
      CHAIN_RPC_URL: node.rpcUrl,
      ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
      BATCH_MAX_WAIT_MS: '200',
      BRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
      INGEST_WORKERS: '1',
    }),
    createLogger('silent'),
  );
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { address: string; chainId: number; rpcUrl: string };
  expect(contract).toMatchObject({ address: record.address, chainId: record.chainId });

  const created = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: '{"name":"External"}',
  });
  const { apiKey } = (await created.json()) as { apiKey: string };
  const bundles = [1, 2, 3].map(
    (i) => JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, `EXT-${i}`)) as Record<string, unknown>,
  );
  for (const [i, bundle] of bundles.entries()) {
    const pushed = await api(bridge.url, apiKey, 'POST', '/fhir', bundle);
    expect(pushed.status).toBe(200);
    const hash = pushed.headers.get('x-bundle-hash') as string;
    const body = await waitFor(
      async () => {
        const r = (await (await fetch(`${bridge!.url}/anchors/bundles/${hash}`)).json()) as { status: string; receipt?: unknown };
        return r.status === 'anchored' ? r : undefined;
      },
      30_000,
      `receipt ${i}`,
    );
    const bundleFile = path.join(dataDir, `bundle-${i}.json`);
    const receiptFile = path.join(dataDir, `receipt-${i}.json`);
    fs.writeFileSync(bundleFile, JSON.stringify(bundle));
    fs.writeFileSync(receiptFile, JSON.stringify(body.receipt));
    const verified = await cli(['verify', '--bundle', bundleFile, '--receipt', receiptFile, '--rpc', node.rpcUrl]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^VALID/);
  }
  // A receipt whose root was edited fails at the proof step, against the same node.
  const tampered = JSON.parse(fs.readFileSync(path.join(dataDir, 'receipt-0.json'), 'utf8')) as { root: string };
  tampered.root = `0x${'11'.repeat(32)}`;
  fs.writeFileSync(path.join(dataDir, 'receipt-bad.json'), JSON.stringify(tampered));
  const refused = await cli([
    'verify',
    '--bundle',
    path.join(dataDir, 'bundle-0.json'),
    '--receipt',
    path.join(dataDir, 'receipt-bad.json'),
    '--rpc',
    node.rpcUrl,
  ]);
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toMatch(/proof/);
});

test('the node paused (SIGSTOP) and resumed: failures counted, batches keep closing, each anchored once after', async () => {
  const own = await createTestDatabase();
  const ownDir = fs.mkdtempSync(path.join(tmpdir(), 'anchor-paused-'));
  const provider = new JsonRpcProvider(node.rpcUrl, undefined, { cacheTimeout: -1, staticNetwork: true });
  let paused: RunningBridge | undefined;
  try {
    const { address } = await deployRegistry({ rpcUrl: node.rpcUrl, privateKey: DEV_PRIVATE_KEY });
    paused = await startBridge(
      loadConfig({
        DATABASE_URL: own.url,
        PORT: '0',
        DATA_DIR: ownDir,
        CHAIN_RPC_URL: node.rpcUrl,
        ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
        ANCHOR_CONTRACT: address,
        CHAIN_RPC_TIMEOUT_MS: '1000',
        BATCH_MAX_WAIT_MS: '200',
        BRIDGE_ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'silent',
        INGEST_WORKERS: '0',
      }),
      createLogger('silent'),
    );
    const status = async (): Promise<Record<string, number | string | null>> =>
      (await (await fetch(`${paused!.url}/anchors/status`)).json()) as Record<string, number | null>;
    const clinicId = (await createClinic(own.db, 'Paused')).id;
    await storeBundles(
      own.db,
      clinicId,
      [1, 2].map((i) => sampleBundle(70_000 + i)),
    );
    await waitFor(
      async () => {
        const s = await status();
        return s.confirmed === 1 && s.chainFailures === 0;
      },
      30_000,
      'anchored while the node runs',
    );

    node.pause();
    try {
      await storeBundles(
        own.db,
        clinicId,
        [3, 4, 5].map((i) => sampleBundle(70_000 + i)),
      );
      const during = await waitFor(
        async () => {
          const s = await status();
          return s.unbatched === 0 &&
            Number(s.pending) + Number(s.submitted) >= 1 &&
            Number(s.chainFailures) >= 1 &&
            Number(s.secondsSinceLastConfirmation) >= 1
            ? s
            : undefined;
        },
        30_000,
        'batched and failures counted while the node is paused',
      );
      expect(during.confirmed).toBe(1);
      expect(during.lastError).toMatch(/did not answer within 1000 ms/);
    } finally {
      node.resume();
    }
    await waitFor(
      async () => {
        const s = await status();
        return s.unbatched === 0 && s.pending === 0 && s.submitted === 0 && s.chainFailures === 0;
      },
      60_000,
      'everything anchored after the node resumed',
    );
    const done = await batchStates(own.db);
    expect((await anchoredOnChain(provider, address)).map((e) => e.batchId)).toEqual(done.map((b) => b.id)); // once each, in order
  } finally {
    await paused?.close();
    provider.destroy();
    await own.drop();
    fs.rmSync(ownDir, { recursive: true, force: true });
  }
}, 150_000);
