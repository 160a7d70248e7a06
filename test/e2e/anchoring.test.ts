import { execFile } from 'node:child_process';
import fs, { mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { verifyReceipt } from '../../bridge/anchor/verify';
import { loadConfig } from '../../bridge/config';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle, sampleFiles } from '../helpers/fixtures';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/anchor/bundles';
import { runVerifyCommand } from '../helpers/anchor/cli';

/**
 * The started bridge anchors what clinics push: Synthea bundles (or the project's fixture when the shared samples
 * are absent) → receipts over HTTP → verified against the embedded chain's RPC; after a restart on the same database
 * the embedded chain is rebuilt and the old receipts still verify.
 */
const ADMIN = 'e2e-anchor-admin-token-0123456789';
let database: TestDatabase;
let bridge: RunningBridge | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'anchor-e2e-'));

async function start(): Promise<RunningBridge> {
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    CHAIN_PORT: String(await freePort()),
    BATCH_MAX_WAIT_MS: '200',
    BATCH_MAX_BUNDLES: '3',
    BRIDGE_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
  });
  return startBridge(config, createLogger('silent'));
}

/** The bundles to push: Synthea's shared entities first, then the three smallest patients; else own fixtures. */
function bundlesToPush(): Record<string, unknown>[] {
  const files = sampleFiles('synthea-r4');
  if (files.length) {
    const isInfo = (f: string): boolean => /^(hospital|practitioner)Information/.test(path.basename(f));
    const patients = files
      .filter((f) => !isInfo(f))
      .sort((a, b) => fs.statSync(a).size - fs.statSync(b).size)
      .slice(0, 3);
    return [...files.filter(isInfo), ...patients].map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>);
  }
  return [1, 2, 3, 4].map((i) => {
    const b = fixtureBundle('transaction-patient-encounter.json') as unknown as Record<string, unknown>;
    return JSON.parse(JSON.stringify(b).replace(/A-1001/g, `A-100${i}1`)) as Record<string, unknown>;
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await bridge?.close();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('pushed bundles are anchored; receipts from /anchors verify; after a restart (replay) they still do', async () => {
  bridge = await start();
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { chainId: number; address: string; rpcUrl: string };
  expect(contract.chainId).toBe(31337);
  const created = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name: 'Anchor E2E' }),
  });
  const { apiKey } = (await created.json()) as { apiKey: string };

  const bundles = bundlesToPush();
  const hashes: string[] = [];
  for (const b of bundles) {
    const res = await api(bridge.url, apiKey, 'POST', '/fhir', b);
    expect(res.status).toBe(200);
    hashes.push(res.headers.get('x-bundle-hash') as string);
  }
  const receipts = [];
  for (const [i, h] of hashes.entries()) {
    const body = await waitFor(
      async () => {
        const r = (await (await fetch(`${bridge!.url}/anchors/bundles/${h}`)).json()) as { status: string; receipt?: unknown };
        return r.status === 'anchored' ? r : undefined;
      },
      20_000,
      `receipt of bundle ${i}`,
    );
    receipts.push(body.receipt as Record<string, unknown>);
  }
  // Each receipt through `fhir-bridge verify` (the command, in process), against the embedded chain's RPC.
  for (const [i, receipt] of receipts.entries()) {
    expect(await runVerifyCommand(dataDir, bundles[i], receipt, contract.rpcUrl)).toMatchObject({ code: 0, out: expect.stringMatching(/^VALID /) });
  }
  expect(new Set(receipts.map((r) => r.batchId)).size).toBeGreaterThanOrEqual(2); // BATCH_MAX_BUNDLES 3
  // And through the command a verifier runs: only the two files and the RPC URL.
  fs.writeFileSync(path.join(dataDir, 'bundle.json'), JSON.stringify(bundles[bundles.length - 1]));
  fs.writeFileSync(path.join(dataDir, 'receipt.json'), JSON.stringify(receipts[receipts.length - 1]));
  const cli = await promisify(execFile)(process.execPath, [
    '-r',
    'ts-node/register/transpile-only',
    path.resolve(__dirname, '../../bridge/cli.ts'),
    'verify',
    '--bundle',
    path.join(dataDir, 'bundle.json'),
    '--receipt',
    path.join(dataDir, 'receipt.json'),
    '--rpc',
    contract.rpcUrl,
  ]);
  expect(cli.stdout).toMatch(/^VALID/);

  // Restart on the same database: a fresh embedded chain, rebuilt from the confirmed batches.
  await bridge.close();
  bridge = undefined;
  bridge = await start();
  const again = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { chainId: number; address: string; rpcUrl: string };
  expect(again.address).toBe(contract.address);
  expect(again.rpcUrl).not.toBe(contract.rpcUrl);
  for (const [i, receipt] of receipts.entries()) {
    expect(await verifyReceipt({ bundle: bundles[i], receipt, rpcUrl: again.rpcUrl })).toMatchObject({ valid: true });
  }
  // Same history → same transactions and blocks: the receipts served now are the ones served before.
  const now = (await (await fetch(`${bridge.url}/anchors/bundles/${hashes[0]}`)).json()) as { receipt: unknown };
  expect(now.receipt).toEqual(receipts[0]);
});
