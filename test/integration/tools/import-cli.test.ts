import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../bridge/cli.ts');

let bridge: TestBridge;
let key: string;
let dir: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Importer')).apiKey;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-import-'));
  fs.writeFileSync(path.join(dir, 'good.json'), JSON.stringify(fixtureBundle('transaction-patient-encounter.json')));
  const bad = fixtureBundle('transaction-patient-encounter.json');
  (bad.entry![0].resource as { gender: string }).gender = 'robot';
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"resourceType": ');
  fs.writeFileSync(
    path.join(dir, 'Observation.ndjson'),
    [
      JSON.stringify({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'a' } }),
      JSON.stringify({ resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'b' } }),
    ].join('\n'),
  );
});
afterAll(async () => {
  await bridge?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fhir-bridge import pushes bundles and NDJSON, and names each rejection with its reason', async () => {
  const result = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, 'import', dir, '--url', bridge.url, '--key', key], {
    env: { ...process.env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  expect(result.code).toBe(2);
  expect(result.stdout).toMatch(/imported 2 bundle\(s\), 7 resources; rejected 2/);
  expect(result.stdout).toMatch(/rejected .*bad\.json \(HTTP 400\): .*gender.*Bundle\.entry\[0\]\.resource\.gender/);
  expect(result.stdout).toMatch(/rejected .*broken\.json: not valid JSON/);
  const obs = (await bridge.database.db.query(`SELECT source_id FROM resource WHERE resource_type = 'Observation' AND source_id IS NOT NULL ORDER BY 1`)).rows;
  expect(obs).toEqual([{ source_id: 'o1' }, { source_id: 'o2' }]);
});

test('import without a key fails with a clear message', async () => {
  const env = { ...process.env };
  delete env.FHIR_BRIDGE_API_KEY;
  const result = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, 'import', dir, '--url', bridge.url], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/API key is needed/);
});
