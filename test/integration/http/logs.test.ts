import { Writable } from 'node:stream';
import { createLogger } from '../../../bridge/log';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let key: string;
const lines: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      lines.push(String(chunk));
      done();
    },
  });
  bridge = await startTestBridge({ log: createLogger('trace', sink) });
  key = (await bridge.clinic('Clinic A')).apiKey;
});
afterAll(async () => bridge?.close());

test('logs record requests but carry no personal data, resources or keys', async () => {
  const bundle = fixtureBundle('transaction-patient-encounter.json');
  expect((await api(bridge.url, key, 'POST', '/fhir', bundle)).status).toBe(200);
  const bad = fixtureBundle('transaction-patient-encounter.json');
  (bad.entry![0].resource as { gender: string }).gender = 'robot';
  expect((await api(bridge.url, key, 'POST', '/fhir', bad)).status).toBe(400);
  expect((await api(bridge.url, key, 'GET', '/fhir/Patient?identifier=http://clinic-a.example/mrn|A-1001')).status).toBe(200);
  expect((await api(bridge.url, 'fab_wrong-key', 'GET', '/fhir/Patient')).status).toBe(401);
  const log = lines.join('');
  expect(lines.length).toBeGreaterThanOrEqual(4);
  expect(JSON.parse(lines[0])).toMatchObject({ method: 'POST', status: 200 });
  for (const secret of ['Rivera', 'Ana', '999-11-2222', 'A-1001', '1980-04-12', key, 'fab_wrong-key', 'robot']) {
    expect(log).not.toContain(secret);
  }
});
