import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive, readPostmasterPid } from '../../bridge/store/embedded-cluster';
import { embeddedEnv, runCli, startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';

/**
 * `fhir-bridge clinic add` and `migrate` while `fhir-bridge start` runs on the same DATA_DIR: they use the running
 * bridge's embedded PostgreSQL (found through its postmaster.pid and owner record) instead of starting a second one,
 * and leave it running; with no bridge running they start it for the command and stop it after.
 */
let bridge: BridgeProcess | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-running-'));
fs.chmodSync(dataDir, 0o755);
const pgData = path.join(dataDir, 'postgres', 'pg');

afterAll(async () => {
  if (bridge && bridge.child.exitCode === null) {
    bridge.child.kill('SIGTERM');
    await bridge.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('clinic add and migrate work while the bridge runs; the new key works against the running bridge', async () => {
  const env = embeddedEnv(dataDir, await freePort());
  bridge = await startBridgeProcess(env);
  const postmaster = readPostmasterPid(pgData)?.pid as number;

  const added = await runCli(['clinic', 'add', 'Added while running'], env);
  expect(added).toMatchObject({ code: 0 });
  const { apiKey } = JSON.parse(added.stdout) as { apiKey: string };
  const migrated = await runCli(['migrate'], env);
  expect(migrated).toMatchObject({ code: 0, stdout: 'migrations up to date\n' });

  expect(readPostmasterPid(pgData)?.pid).toBe(postmaster); // the same server, still running
  const pushed = await api(bridge.url, apiKey, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
  expect(pushed.status).toBe(200);

  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
  expect(alive(postmaster)).toBe(false);

  // No bridge running: the command runs the cluster for itself and stops it after.
  const alone = await runCli(['clinic', 'add', 'Added while stopped'], env);
  expect(alone).toMatchObject({ code: 0 });
  expect(JSON.parse(alone.stdout)).toMatchObject({ name: 'Added while stopped' });
  expect(readPostmasterPid(pgData)).toBeUndefined();
});
