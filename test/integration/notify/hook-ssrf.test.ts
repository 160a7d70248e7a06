/**
 * A Subscription rest-hook cannot point the bridge at internal hosts (SSRF): endpoints that are or resolve to
 * loopback/private/link-local addresses are refused at creation and, for a row that got in anyway (created under
 * NOTIFY_ALLOW_PRIVATE_HOSTS, or a name that resolves elsewhere since), at connect time; Subscription.error never
 * carries what an endpoint answered beyond its status class. Real PostgreSQL, the real bridge over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createLogger } from '../../../bridge/log';
import { startNotifier, type Notifier } from '../../../bridge/notify/delivery';
import { inTransaction } from '../../../bridge/store/db';
import { enqueueNotifications, insertSubscription } from '../../../bridge/store/subscriptions';
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { waitFor } from '../../helpers/wait';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };
let hook: Server;
let port: number;
const received: string[] = [];
let notifier: Notifier | undefined;

beforeAll(async () => {
  bridge = await startTestBridge(); // NOTIFY_ALLOW_PRIVATE_HOSTS unset: public hosts only
  clinic = await bridge.clinic('Klinik S');
  hook = createServer((req, res) => {
    received.push(req.url ?? '');
    res.statusCode = 503;
    res.end('internal admin console v1.2: database at 10.0.0.7 down');
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  port = (hook.address() as { port: number }).port;
});
afterEach(async () => notifier?.stop());
afterAll(async () => {
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
  await bridge?.close();
});

const subscription = (endpoint: string) => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'x',
  criteria: 'Task',
  channel: { type: 'rest-hook', endpoint },
});

test.each([
  'http://127.0.0.1:{port}/h',
  'http://localhost:{port}/h',
  'https://10.1.2.3/h',
  'https://169.254.169.254/latest/meta-data',
  'https://[::ffff:127.0.0.1]/h',
  'https://[::ffff:a9fe:a9fe]/h',
  'https://[fd12::1]/h',
  'https://[fe80::1]/h',
  'https://192.168.0.1/h',
])('creating a hook on a non-public address is refused (400): %s', async (endpoint) => {
  const res = await api(bridge.url, clinic.apiKey, 'POST', '/fhir/Subscription', subscription(endpoint.replace('{port}', String(port))));
  expect(res.status).toBe(400);
  expect(res.body.issue[0]).toMatchObject({ code: 'invalid', expression: ['Subscription.channel.endpoint'] });
  expect(res.body.issue[0].diagnostics).toMatch(/public addresses only/);
});

test('a hook on a public address is accepted', async () => {
  const res = await api(bridge.url, clinic.apiKey, 'POST', '/fhir/Subscription', subscription('https://93.184.215.14/hook'));
  expect(res.status).toBe(201);
  await api(bridge.url, clinic.apiKey, 'DELETE', `/fhir/Subscription/${res.body.id}`);
});

/** A Subscription row as if created earlier (or its name re-pointed since), with one notification due. */
async function dueHook(endpoint: string): Promise<string> {
  const id = randomUUID();
  const db = bridge.database.db;
  await insertSubscription(db, {
    id,
    clinicId: clinic.id,
    status: 'active',
    reason: 'x',
    criteria: 'Task',
    taskId: null,
    taskStatuses: null,
    endpoint,
    payload: null,
    headers: [],
  });
  await inTransaction(db, (tx) => enqueueNotifications(tx, clinic.id, randomUUID(), 'requested'));
  return id;
}

const errorOf = (id: string) =>
  waitFor(
    async () => {
      const r = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/Subscription/${id}`);
      return r.body.status === 'error' ? (r.body.error as string) : null;
    },
    { what: 'the subscription in error' },
  );

test.each([
  ['an IP literal', 'http://127.0.0.1:{port}/literal'],
  ['a name resolved at connect time (DNS rebinding)', 'http://localhost:{port}/named'],
])('delivery to %s on loopback is refused when connecting; the hook never hears of it', async (_what, endpoint) => {
  const id = await dueHook(endpoint.replace('{port}', String(port)));
  notifier = startNotifier(bridge.database.db, createLogger('silent'), { pollMs: 20, retryBaseMs: 10, timeoutMs: 1000, maxAttempts: 2 });
  expect(await errorOf(id)).toBe('endpoint refused: it does not resolve to a public address; gave up after 2 attempts');
  expect(received).toEqual([]);
  await api(bridge.url, clinic.apiKey, 'DELETE', `/fhir/Subscription/${id}`);
});

test('with NOTIFY_ALLOW_PRIVATE_HOSTS the hook is reached; its status and body stay out of Subscription.error', async () => {
  const id = await dueHook(`http://127.0.0.1:${port}/allowed`);
  notifier = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 20,
    retryBaseMs: 10,
    timeoutMs: 1000,
    maxAttempts: 2,
    allowPrivateHosts: true,
  });
  const error = await errorOf(id);
  expect(error).toBe('endpoint answered 5xx; gave up after 2 attempts');
  expect(received).toEqual(['/allowed', '/allowed']);
});
