import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * Status drift at the FHIR edge (R4 http.html): a resource type the bridge does not serve in the URL is 404; a known
 * path with a method it does not serve is 405 with Allow; both as OperationOutcomes from the one catalogue.
 */
let bridge: TestBridge;
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Status clinic')).apiKey;
});
afterAll(async () => bridge?.close());

const call = (method: string, path: string) => api(bridge.url, key, method, path);

test.each([
  ['POST', '/fhir/Patient/abc', 'GET, HEAD, PUT, PATCH, DELETE'],
  ['PATCH', '/fhir/Observation', 'GET, HEAD, POST, PUT, DELETE'],
  ['DELETE', '/fhir/Patient/abc/_history', 'GET, HEAD'],
  ['PUT', '/fhir/Patient/abc/_history/1', 'GET, HEAD'],
])('%s %s is 405 with Allow', async (method, path, allow) => {
  const res = await call(method, path);
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe(allow);
  expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
});

test.each([
  ['GET', '/fhir/NotAType/abc'],
  ['GET', '/fhir/NotAType'],
  ['PATCH', '/fhir/NotAType/abc'],
  ['GET', '/fhir/NotAType/abc/_history'],
])('%s %s (an unknown type) is 404', async (method, path) => {
  const res = await call(method, path);
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
});

test('an operation path is not taken for an instance: an unknown operation stays 404, not 405', async () => {
  expect((await call('POST', '/fhir/Patient/$no-such-operation')).status).toBe(404);
});

test('without a credential the 401 comes first, whatever the method', async () => {
  const res = await api(bridge.url, 'nope', 'PATCH', '/fhir/Patient/abc');
  expect(res.status).toBe(401);
});
