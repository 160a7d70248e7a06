import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(async () => bridge?.close());

test('metadata is public', async () => {
  const res = await fetch(`${bridge.url}/fhir/metadata`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
});
