import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { verifyReceipt } from '../../bridge/anchor/verify';
import { alive, readPostmasterPid } from '../../bridge/store/embedded-cluster';
import { waitFor } from '../helpers/anchor/bundles';
import { embeddedEnv, startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';

/**
 * `fhir-bridge start` on its embedded PostgreSQL and chain, killed with SIGKILL while clinics push (the whole process
 * group, or the node process alone so that its postmaster is orphaned), then started again on the same DATA_DIR: it
 * starts, and every push it had acknowledged is there, readable, and anchored with a receipt that verifies.
 */
const ADMIN = 'e2e-crash-admin-token-0123456789';
const started: BridgeProcess[] = [];
const dirs: string[] = [];

function bundle(tag: string, i: number): Record<string, unknown> {
  const b = JSON.stringify(fixtureBundle('transaction-patient-encounter.json'));
  return JSON.parse(b.replace(/A-1001/g, `CR-${tag}-${i}`)) as Record<string, unknown>;
}

/** The cluster of a DATA_DIR: below it, or where its pointer says (DATA_DIR unreachable by the postgres user, as root). */
function pgDataOf(dataDir: string): string {
  const pointer = path.join(dataDir, 'postgres', 'cluster');
  return fs.existsSync(pointer) ? fs.readFileSync(pointer, 'utf8').trim() : path.join(dataDir, 'postgres', 'pg');
}

afterAll(async () => {
  for (const b of started) if (b.child.exitCode === null && b.child.signalCode === null) process.kill(-(b.child.pid as number), 'SIGKILL');
  for (const d of dirs) {
    const pm = readPostmasterPid(pgDataOf(path.join(d, 'data')));
    if (pm && alive(pm.pid)) process.kill(pm.pid, 'SIGQUIT');
    await waitFor(async () => !pm || !alive(pm.pid), 20_000, 'the test postmaster to stop');
    fs.rmSync(d, { recursive: true, force: true });
  }
  await closeMerkleWorker();
});

interface Acknowledged {
  hash: string;
  bundle: Record<string, unknown>;
  locations: string[];
}

/** Pushes bundles four at a time until `stopAfter` are acknowledged, then kills; returns what was acknowledged. */
async function pushThenKill(bridge: BridgeProcess, key: string, tag: string, kill: () => void, stopAfter = 10): Promise<Acknowledged[]> {
  const acknowledged: Acknowledged[] = [];
  let next = 0;
  let killed = false;
  const client = async (): Promise<void> => {
    while (!killed) {
      const b = bundle(tag, next++);
      const res = await api(bridge.url, key, 'POST', '/fhir', b).catch(() => undefined); // in flight at the kill: not acknowledged
      if (res?.status === 200) {
        const entries = (res.body as { entry: { response: { location: string } }[] }).entry;
        acknowledged.push({ hash: res.headers.get('x-bundle-hash') as string, bundle: b, locations: entries.map((e) => e.response.location) });
      } else if (res && !killed) throw new Error(`push answered ${res.status}: ${JSON.stringify(res.body)}`);
      if (acknowledged.length >= stopAfter && !killed) {
        killed = true;
        kill();
      }
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  await bridge.exited;
  return acknowledged;
}

async function clinicKey(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name: 'Crash clinic' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

/** After the restart: each acknowledged bundle's resources are served, and its receipt verifies against the chain. */
async function expectAllThere(url: string, key: string, acknowledged: Acknowledged[]): Promise<void> {
  const contract = (await (await fetch(`${url}/anchors/contract`)).json()) as { rpcUrl: string };
  for (const a of acknowledged) {
    for (const location of a.locations) {
      const read = await api(url, key, 'GET', `/fhir/${location.replace(/^.*?\/fhir\//, '').replace(/\/_history\/\d+$/, '')}`);
      expect(read.status).toBe(200);
    }
    const anchored = await waitFor(
      async () => {
        const r = (await (await fetch(`${url}/anchors/bundles/${a.hash}`)).json()) as { status: string; receipt?: unknown };
        return r.status === 'anchored' ? r : undefined;
      },
      60_000,
      `the receipt of ${a.hash}`,
    );
    expect(await verifyReceipt({ bundle: a.bundle, receipt: anchored.receipt, rpcUrl: contract.rpcUrl })).toMatchObject({ valid: true });
  }
}

async function scenario(tag: string, kill: (b: BridgeProcess) => void, orphaned: boolean): Promise<void> {
  // DATA_DIR below a mode-700 folder; the shared folder (EMBEDDED_PG_HOME) a temporary one, not /var/lib.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `crash-${tag}-`));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `crash-home-${tag}-`));
  fs.chmodSync(home, 0o755);
  dirs.push(dataDir, home);
  const env = embeddedEnv(path.join(dataDir, 'data'), await freePort(), { BRIDGE_ADMIN_TOKEN: ADMIN, EMBEDDED_PG_HOME: home });
  const pgData = (): string => pgDataOf(path.join(dataDir, 'data'));
  const first = await startBridgeProcess(env);
  started.push(first);
  const key = await clinicKey(first.url);
  const postmaster = readPostmasterPid(pgData())?.pid as number;
  expect(postmaster).toBeGreaterThan(0);
  // The banner says where the cluster is: as root, in the shared folder, DATA_DIR being unreachable by postgres.
  expect(first.output()).toContain(`cluster in ${pgData()}`);
  if (process.getuid?.() === 0) expect(pgData().startsWith(home)).toBe(true);

  const acknowledged = await pushThenKill(first, key, tag, () => kill(first));
  expect(acknowledged.length).toBeGreaterThanOrEqual(10);
  if (orphaned)
    expect(alive(postmaster)).toBe(true); // the node process alone died: its PostgreSQL runs on
  else await waitFor(async () => !alive(postmaster), 20_000, 'the killed group to end');

  const second = await startBridgeProcess(env);
  started.push(second);
  expect(alive(postmaster)).toBe(false); // an orphan was stopped, not left running beside the new one
  expect(readPostmasterPid(pgData())?.pid).not.toBe(postmaster);
  await expectAllThere(second.url, key, acknowledged);

  // A clean stop leaves nothing running.
  const now = readPostmasterPid(pgData())?.pid as number;
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(alive(now)).toBe(false);
}

test('SIGKILL of the whole process group: restart on the same DATA_DIR keeps every acknowledged bundle, anchored', async () => {
  await scenario('group', (b) => process.kill(-(b.child.pid as number), 'SIGKILL'), false);
});

test('SIGKILL of the node process alone (postmaster orphaned): restart stops the orphan and keeps every acknowledged bundle', async () => {
  await scenario('node', (b) => b.child.kill('SIGKILL'), true);
});
