import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { verifyReceipt } from '../../bridge/anchor/verify';
import { loadConfig } from '../../bridge/config';
import { AUDIT_HASH_EXTENSION } from '../../bridge/fhir/audit-event';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { waitFor } from '../helpers/anchor/bundles';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';

/** The access log is anchored like bundles: every audit record gets a receipt that verifies with the same code and CLI. */
const ADMIN = 'e2e-audit-admin-token-0123456789';
const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'audit-anchor-'));
let database: TestDatabase;
let bridge: RunningBridge;

beforeAll(async () => {
  database = await createTestDatabase();
  bridge = await startBridge(
    loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      CHAIN_PORT: String(await freePort()),
      BATCH_MAX_WAIT_MS: '200',
      BRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      INGEST_WORKERS: '1',
    }),
    createLogger('silent'),
  );
});
afterAll(async () => {
  await bridge?.close();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('audit records of a push and a read are anchored; their receipts verify against their documents', async () => {
  const created = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: '{"name":"Audited"}',
  });
  const { apiKey } = (await created.json()) as { apiKey: string };
  const pushed = await api(bridge.url, apiKey, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
  const patientId = pushed.body.entry[0].response.location.split('/')[1];
  expect((await api(bridge.url, apiKey, 'GET', `/fhir/Patient/${patientId}`)).status).toBe(200);

  const trail = await api(bridge.url, apiKey, 'GET', `/fhir/AuditEvent?patient=Patient/${patientId}`);
  expect(trail.status).toBe(200);
  const events = trail.body.entry.map((e: any) => e.resource);
  const actions = events.flatMap((e: any) => e.subtype.map((s: any) => s.code));
  expect(actions).toEqual(expect.arrayContaining(['push', 'read']));
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { rpcUrl: string };

  for (const event of events) {
    const hash = event.extension.find((x: any) => x.url === AUDIT_HASH_EXTENSION).valueString as string;
    const anchored = await waitFor(
      async () => {
        const r = (await (await fetch(`${bridge.url}/anchors/audit/${hash}`)).json()) as { status: string; receipt?: Record<string, unknown> };
        return r.status === 'anchored' ? r.receipt : undefined;
      },
      20_000,
      `receipt of audit ${event.id}`,
    );
    const record = await api(bridge.url, apiKey, 'GET', `/fhir/AuditEvent/${event.id}/$record`);
    expect(record.status).toBe(200);
    expect(await verifyReceipt({ bundle: record.body, receipt: anchored, rpcUrl: contract.rpcUrl })).toMatchObject({ valid: true });
    // An edited access log entry no longer matches its anchor.
    const edited = { ...record.body, purpose: 'nothing to see here' };
    expect(await verifyReceipt({ bundle: edited, receipt: anchored, rpcUrl: contract.rpcUrl })).toMatchObject({ valid: false, failedStep: 'hash' });
  }

  // The same command a verifier runs for bundles.
  const event = events[0];
  const hash = event.extension.find((x: any) => x.url === AUDIT_HASH_EXTENSION).valueString as string;
  const receipt = ((await (await fetch(`${bridge.url}/anchors/audit/${hash}`)).json()) as { receipt: unknown }).receipt;
  fs.writeFileSync(path.join(dataDir, 'record.json'), JSON.stringify((await api(bridge.url, apiKey, 'GET', `/fhir/AuditEvent/${event.id}/$record`)).body));
  fs.writeFileSync(path.join(dataDir, 'receipt.json'), JSON.stringify(receipt));
  const cli = await promisify(execFile)(process.execPath, [
    '-r',
    'ts-node/register/transpile-only',
    path.resolve(__dirname, '../../bridge/cli.ts'),
    'verify',
    '--bundle',
    path.join(dataDir, 'record.json'),
    '--receipt',
    path.join(dataDir, 'receipt.json'),
    '--rpc',
    contract.rpcUrl,
  ]);
  expect(cli.stdout).toMatch(/^VALID/);

  expect((await fetch(`${bridge.url}/anchors/audit/${'ab'.repeat(32)}`)).status).toBe(404);
});
