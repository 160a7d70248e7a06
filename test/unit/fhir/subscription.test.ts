import { hookEndpoint, parseSubscription, parseTaskCriteria } from '../../../bridge/fhir/subscription';
import { FhirError } from '../../../bridge/fhir/outcome';

const sub = (over: Record<string, unknown> = {}, channel: Record<string, unknown> = {}) => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'updates',
  criteria: 'Task?status=accepted',
  channel: { type: 'rest-hook', endpoint: 'https://c.example.org/hook', payload: 'application/fhir+json', header: ['Authorization: Bearer x'], ...channel },
  ...over,
});
const refused = (body: unknown): FhirError => {
  try {
    parseSubscription(body);
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('accepted');
};

test("criteria: the subscriber's own Tasks, by id and/or status", () => {
  expect(parseTaskCriteria('Task')).toEqual({ taskId: null, taskStatuses: null });
  expect(parseTaskCriteria('Task?_id=abc')).toEqual({ taskId: 'abc', taskStatuses: null });
  expect(parseTaskCriteria('Task?_id=abc&status=accepted,rejected')).toEqual({ taskId: 'abc', taskStatuses: ['accepted', 'rejected'] });
  for (const bad of ['Patient', 'Task?status=done', 'Task?owner=x', 'Task?_id=a&_id=b', 'Observation?code=1'])
    expect(typeof parseTaskCriteria(bad)).toBe('string');
});

test('endpoints: https anywhere, http only on loopback, no credentials in the URL', () => {
  expect(hookEndpoint('https://c.example.org/hook/')).toBe('https://c.example.org/hook');
  expect(hookEndpoint('http://127.0.0.1:9000/h')).toBe('http://127.0.0.1:9000/h');
  for (const bad of ['http://c.example.org/h', 'ftp://127.0.0.1/h', 'https://u:p@c.example.org/h', 'not a url', 42]) expect(hookEndpoint(bad)).toBeNull();
});

test('a rest-hook Subscription is read; an empty payload means notifications without a body', () => {
  expect(parseSubscription(sub())).toMatchObject({ taskStatuses: ['accepted'], payload: 'application/fhir+json', headers: ['Authorization: Bearer x'] });
  expect(parseSubscription(sub({}, { payload: undefined, header: undefined }))).toMatchObject({ payload: null, headers: [] });
});

test.each([
  ['channel type', sub({}, { type: 'websocket' })],
  ['payload', sub({}, { payload: 'application/xml' })],
  ['header with a line break', sub({}, { header: ['X: a\r\nY: b'] })],
  ['no reason', sub({ reason: '' })],
  ['criteria', sub({ criteria: 'Patient?name=x' })],
  ['end', sub({ end: '2030-01-01T00:00:00Z' })],
  ['not a Subscription', { resourceType: 'Task' }],
])('400 on %s', (_n, body) => {
  expect(refused(body).status).toBe(400);
});
