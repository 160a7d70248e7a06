/**
 * A patient's access log is proven, not just shown: every entry of `GET /fhir/AuditEvent` (patient token) carries its
 * record hash and anchoring state; once the batcher has anchored it, the entry says `anchored` with the chain
 * coordinates, `GET /anchors/audit/{hash}` gives the receipt, and the receipt verifies the entry's hashed document
 * (`AuditEvent/{id}/$record`) against the chain. The real bridge (embedded chain and batcher).
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { verifyReceipt } from '../../bridge/anchor/verify';
import { loadConfig } from '../../bridge/config';
import { AUDIT_ANCHOR_EXTENSION, AUDIT_HASH_EXTENSION } from '../../bridge/fhir/audit-event';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { waitFor } from '../helpers/anchor/bundles';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api } from '../helpers/fixtures';
import { freePort } from '../helpers/net';
import { patientToken } from '../helpers/patient-session';
import { consent, located, patientBundle, putBundle } from '../helpers/people';

const ADMIN = 'e2e-patient-log-admin-token-0123456789';
const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'patient-log-'));
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

const clinic = async (name: string): Promise<{ id: string; apiKey: string }> => {
  const res = await fetch(`${bridge.url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { id?: string; clinicId?: string; apiKey: string };
  return { id: (body.id ?? body.clinicId) as string, apiKey: body.apiKey };
};

test("the patient's access log entries become anchored, and their receipts verify against the chain", async () => {
  const [A, B] = [await clinic('Berlin'), await clinic('Munich')];
  const anna = { family: 'Weber', given: 'Anna', birthDate: '1985-03-14', ssn: '999-10-2020' };
  const pushed = await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 'anna-a', ...anna }));
  const annaA = located(pushed.body, 0).split('/')[1];
  const obsA = located(pushed.body, 1).split('/')[1];
  expect((await api(bridge.url, A.apiKey, 'POST', '/fhir', putBundle(consent('c-anna', 'Patient/anna-a', B.id)))).status).toBe(200);
  expect((await api(bridge.url, B.apiKey, 'GET', `/fhir/Observation/${obsA}`)).status).toBe(200);
  const token = await patientToken(bridge.db, annaA);
  expect((await api(bridge.url, token, 'GET', `/fhir/Observation/${obsA}`)).status).toBe(200);

  const first = await api(bridge.url, token, 'GET', '/fhir/AuditEvent');
  const ids = first.body.entry.map((e: any) => e.resource.id as string);
  expect(ids.length).toBeGreaterThanOrEqual(2);
  const contract = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { rpcUrl: string; address: string; chainId: number };

  // Wait until the batcher has anchored them: the log itself then says so.
  const anchored = await waitFor(
    async () => {
      const log = await api(bridge.url, token, 'GET', '/fhir/AuditEvent?_count=1000');
      const events = log.body.entry.map((e: any) => e.resource).filter((e: any) => ids.includes(e.id));
      const states = events.map((e: any) => e.extension.find((x: any) => x.url === AUDIT_ANCHOR_EXTENSION).extension);
      return states.every((s: any[]) => s.find((x) => x.url === 'status').valueCode === 'anchored') ? events : undefined;
    },
    30_000,
    'the access log entries anchored',
  );
  const byClinic = anchored.find((e: any) => e.agent[0].who.display === 'Munich');
  const own = anchored.find((e: any) => e.agent[0].who.display === 'you');
  for (const event of [byClinic, own]) {
    const state = Object.fromEntries(
      event.extension.find((x: any) => x.url === AUDIT_ANCHOR_EXTENSION).extension.map((x: any) => [x.url, Object.values(x).find((v) => v !== x.url)]),
    );
    expect(state).toMatchObject({ status: 'anchored', chainId: contract.chainId, contract: contract.address });
    const hash = event.extension.find((x: any) => x.url === AUDIT_HASH_EXTENSION).valueString as string;
    expect(state.receipt).toBe(`${bridge.url}/anchors/audit/${hash}`);
    const receipt = (await (await fetch(state.receipt as string)).json()) as { status: string; receipt: Record<string, unknown> };
    expect(receipt.status).toBe('anchored');
    expect(receipt.receipt).toMatchObject({ txHash: state.transaction, blockNumber: state.block });
    // The clinic's read is anchored in a document the patient may fetch and verify.
    const record = await api(bridge.url, token, 'GET', new URL(state.record as string).pathname);
    expect(record.status).toBe(200);
    expect(await verifyReceipt({ bundle: record.body, receipt: receipt.receipt, rpcUrl: contract.rpcUrl })).toMatchObject({ valid: true });
  }
});
