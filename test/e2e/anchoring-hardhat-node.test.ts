import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEV_PRIVATE_KEY } from '../../bridge/anchor/chain';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { waitFor } from '../helpers/anchor/bundles';
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
  run(process.execPath, [...CLI, ...args], { env: { ...process.env, ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY } })
    .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

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

  bridge = await startBridge(loadConfig({
    DATABASE_URL: database.url, PORT: '0', DATA_DIR: dataDir, CHAIN_RPC_URL: node.rpcUrl, ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
    BATCH_MAX_WAIT_MS: '200', BRIDGE_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent', INGEST_WORKERS: '1',
  }), createLogger('silent'));
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { address: string; chainId: number; rpcUrl: string };
  expect(contract).toMatchObject({ address: record.address, chainId: record.chainId });

  const created = await fetch(`${bridge.url}/admin/clinics`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: '{"name":"External"}' });
  const { apiKey } = (await created.json()) as { apiKey: string };
  const bundles = [1, 2, 3].map((i) => JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, `EXT-${i}`)) as Record<string, unknown>);
  for (const [i, bundle] of bundles.entries()) {
    const pushed = await api(bridge.url, apiKey, 'POST', '/fhir', bundle);
    expect(pushed.status).toBe(200);
    const hash = pushed.headers.get('x-bundle-hash') as string;
    const body = await waitFor(async () => {
      const r = (await (await fetch(`${bridge!.url}/anchors/bundles/${hash}`)).json()) as { status: string; receipt?: unknown };
      return r.status === 'anchored' ? r : undefined;
    }, 30_000, `receipt ${i}`);
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
  const refused = await cli(['verify', '--bundle', path.join(dataDir, 'bundle-0.json'), '--receipt', path.join(dataDir, 'receipt-bad.json'), '--rpc', node.rpcUrl]);
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toMatch(/proof/);
});
