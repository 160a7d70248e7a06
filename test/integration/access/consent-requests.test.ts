import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createLogger } from '../../../bridge/log';
import { startNotifier, type Notifier } from '../../../bridge/notify/delivery';
import { issueMatchHandle } from '../../../bridge/store/match-handles';
import { consentRequestTask } from '../../helpers/consent-requests';
import { api } from '../../helpers/fixtures';
import { freePort } from '../../helpers/net';
import { located } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { waitFor } from '../../helpers/wait';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';

/**
 * The traveller: clinic A in Germany holds her by passport-DEU, clinic B another record of her (same passport); clinic
 * C in Lisbon has a $match handle for her, asks for access as a Task, A approves, B declines; C is notified by a
 * rest-hook and pulls A's records with the handle, never B's.
 */
type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let notifier: Notifier;
let A: Clinic, B: Clinic, C: Clinic;
let pa: string, pb: string, obsA: string, obsB: string;
const PASSPORT = 'http://hl7.org/fhir/sid/passport-DEU';
const DAY = 86_400_000;
const day = (offset: number): string => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

const call = (c: Clinic, method: string, path: string, body?: unknown) => api(bridge.url, c.apiKey, method, path, body);

/** Each test gets its own clinics and its own traveller (a passport number of its own), so tests stand alone. */
let passport = '';
function traveller(id: string, code: string): unknown {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          id,
          name: [{ family: 'Schmidt', given: ['Anna'] }],
          birthDate: '1980-04-02',
          gender: 'female',
          identifier: [{ system: PASSPORT, value: passport }],
        },
        request: { method: 'PUT', url: `Patient/${id}` },
      },
      {
        resource: {
          resourceType: 'Observation',
          id: `obs-${id}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code }] },
          subject: { reference: `Patient/${id}` },
          effectiveDateTime: '2024-05-01T10:00:00Z',
        },
        request: { method: 'PUT', url: `Observation/obs-${id}` },
      },
    ],
  };
}

function requestTask(
  handle: string,
  requester: string,
  over: { consent?: Record<string, unknown>; provision?: Record<string, unknown>; task?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const policyRule = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] };
  return consentRequestTask({
    handle,
    requester,
    note: 'admitted with pneumonia, needs history',
    task: over.task,
    provision: over.provision,
    consent: { policyRule, ...over.consent },
  });
}

/** A local rest-hook endpoint recording what it receives. */
async function hookServer(port = 0): Promise<{
  url: string;
  port: number;
  received: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}> {
  const received: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, body, headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const p = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${p}/hook`,
    port: p,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const subscribe = async (c: Clinic, criteria: string, endpoint: string, payload = 'application/fhir+json') => {
  const res = await call(c, 'POST', '/fhir/Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'consent request updates',
    criteria,
    channel: { type: 'rest-hook', endpoint, payload, header: ['Authorization: Bearer hook-secret'] },
  });
  expect(res.status).toBe(201);
  return res.body;
};
const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await bridge.database.db.query(sql, params)).rows[0].n);

let database: TestDatabase;
beforeAll(async () => {
  // The database outlives the bridge: one test restarts the bridge on it.
  database = await createTestDatabase();
  // One ingest worker: an approval's decision crosses to the worker thread with its push, as in production.
  bridge = await startTestBridge({ database, ingestWorkers: 1, allowPrivateHookHosts: true });
  notifier = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 50,
    retryBaseMs: 50,
    timeoutMs: 2000,
    maxAttempts: 50,
    allowPrivateHosts: true,
  });
});
beforeEach(async () => {
  passport = `C01X${randomBytes(4).toString('hex').toUpperCase()}`;
  [A, B, C] = [await bridge.clinic('Klinik A'), await bridge.clinic('Klinik B'), await bridge.clinic('Clinica C')];
  const a = (await call(A, 'POST', '/fhir', traveller('a1', '8867-4'))).body;
  const b = (await call(B, 'POST', '/fhir', traveller('b1', '2339-0'))).body;
  [pa, obsA] = [located(a, 0).slice(8), located(a, 1).slice(12)];
  [pb, obsB] = [located(b, 0).slice(8), located(b, 1).slice(12)];
});
afterAll(async () => {
  await notifier?.stop();
  await bridge?.close();
  await database?.drop();
});

const handleFor = async (clinicId: string, ttl = 3600) =>
  (await issueMatchHandle(bridge.database.db, clinicId, { patientIds: [pa], grade: 'certain', score: 1 }, ttl)).handle;

test('the whole round trip: request, home views, refusal before approval, approval, notification, pull, decline', async () => {
  const hook = await hookServer();
  try {
    const handle = await handleFor(C.id);
    const auditsBefore = await count(`SELECT count(*) AS n FROM audit_event WHERE action IN ('consent-request', 'consent-decision')`);
    const created = await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id));
    expect(created.status).toBe(201);
    const task = created.body;
    expect(created.headers.get('location')).toMatch(new RegExp(`/fhir/Task/${task.id}$`));
    expect(task).toMatchObject({ resourceType: 'Task', status: 'requested', intent: 'proposal', for: { reference: `Patient/${handle}` } });
    // the requester learns nothing of the holding clinics
    const asC = JSON.stringify(task);
    for (const secret of [A.id, B.id, pa, pb, 'Schmidt', 'Klinik']) expect(asC).not.toContain(secret);
    expect(task.owner).toBeUndefined();

    await subscribe(C, `Task?_id=${task.id}`, hook.url);

    // each home clinic sees its own Task about its own record
    const listA = await call(A, 'GET', '/fhir/Task?status=requested');
    const listB = await call(B, 'GET', '/fhir/Task');
    expect(listA.body.entry).toHaveLength(1);
    expect(listB.body.entry).toHaveLength(1);
    const taskA = listA.body.entry[0].resource;
    const taskB = listB.body.entry[0].resource;
    expect(taskA).toMatchObject({
      status: 'requested',
      for: { reference: `Patient/${pa}` },
      owner: { reference: `Organization/${A.id}` },
      requester: { reference: `Organization/${C.id}`, display: 'Clinica C' },
      reasonCode: { coding: [{ code: 'ETREAT' }] },
      note: [{ text: 'admitted with pneumonia, needs history' }],
    });
    expect(taskB.for.reference).toBe(`Patient/${pb}`);
    expect(taskA.id).not.toBe(taskB.id);
    expect(JSON.stringify(taskA)).not.toContain(pb);
    expect(JSON.stringify(taskA)).not.toContain(B.id);
    expect(JSON.stringify(taskB)).not.toContain(pa);
    // nobody reads another's Task
    expect((await call(B, 'GET', `/fhir/Task/${taskA.id}`)).status).toBe(404);
    expect((await call(C, 'GET', `/fhir/Task/${taskA.id}`)).status).toBe(404);
    expect((await call(A, 'GET', `/fhir/Task/${task.id}`)).status).toBe(404);
    // a home clinic cannot decide another's Task
    expect((await call(B, 'POST', `/fhir/Task/${taskA.id}/$approve`)).status).toBe(404);

    // before approval the handle is refused like an unknown patient, and leaks nothing
    const unknown = await call(C, 'GET', `/fhir/Patient/m${'0'.repeat(32)}/$everything`);
    for (const path of [`/fhir/Patient/${handle}/$everything`, `/fhir/Patient/${handle}/$summary`, `/patients/${handle}/history`]) {
      const res = await call(C, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.body.issue[0].code).toBe(unknown.body.issue[0].code);
      expect(JSON.stringify(res.body)).not.toMatch(/Schmidt|passport/);
    }

    // A approves
    const approved = await call(A, 'POST', `/fhir/Task/${taskA.id}/$approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('accepted');
    expect(approved.body.output[0].valueReference.reference).toMatch(/^Consent\//);
    expect((await call(A, 'POST', `/fhir/Task/${taskA.id}/$approve`)).status).toBe(409);
    // C is notified: a PUT of its Task, as it sees it
    const note = await waitFor(() => hook.received.find((r) => JSON.parse(r.body || '{}').status === 'accepted'), { what: 'the notification' });
    expect(note.method).toBe('PUT');
    expect(note.url).toBe(`/hook/Task/${task.id}`);
    expect(note.headers.authorization).toBe('Bearer hook-secret');
    expect(note.body).not.toContain(A.id);
    expect(note.body).not.toContain(pa);
    const polled = await call(C, 'GET', `/fhir/Task/${task.id}`);
    expect(polled.body.status).toBe('accepted');
    expect(Date.parse(polled.body.lastModified)).toBeGreaterThanOrEqual(Date.parse(task.lastModified));

    // the Consent is stored like one A pushed itself
    const consent = await call(A, 'GET', `/fhir/${approved.body.output[0].valueReference.reference}`);
    expect(consent.body).toMatchObject({ status: 'active', patient: { reference: `Patient/${pa}` }, provision: { type: 'permit' } });

    // C pulls A's records with the handle, not B's
    const everything = await call(C, 'GET', `/fhir/Patient/${handle}/$everything`);
    expect(everything.status).toBe(200);
    const ids = everything.body.entry.map((e: any) => e.resource.id);
    expect(ids).toEqual(expect.arrayContaining([pa, obsA]));
    expect(ids).not.toContain(pb);
    expect(ids).not.toContain(obsB);
    expect((await call(C, 'GET', `/fhir/Patient/${handle}/$summary`)).status).toBe(200);
    const history = await call(C, 'GET', `/patients/${handle}/history`);
    expect(history.status).toBe(200);
    expect(history.body.person.patients.map((p: any) => p.patientId ?? p.id)).not.toContain(pb);

    // B declines: nothing granted, C stays accepted
    const declined = await call(B, 'POST', `/fhir/Task/${taskB.id}/$decline`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'reason', valueString: 'patient objected' }],
    });
    expect(declined.body).toMatchObject({ status: 'rejected', statusReason: { text: 'patient objected' } });
    expect((await call(C, 'GET', `/fhir/Observation/${obsB}`)).status).toBe(404);
    expect((await call(C, 'GET', `/fhir/Task/${task.id}`)).body.status).toBe('accepted');

    const rows = (
      await bridge.database.db.query(
        `SELECT clinic_id::text AS c, action, detail FROM audit_event WHERE action IN ('consent-request', 'consent-decision') ORDER BY seq`,
      )
    ).rows;
    expect(rows.length - auditsBefore).toBe(3);
    expect(rows.slice(-3).map((r) => [r.c, r.action])).toEqual([
      [C.id, 'consent-request'],
      [A.id, 'consent-decision'],
      [B.id, 'consent-decision'],
    ]);
  } finally {
    await hook.close();
  }
});

test('all home clinics declining rejects the request; the handle stays refused like an unknown patient', async () => {
  const handle = await handleFor(C.id);
  const task = (await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).body;
  for (const c of [A, B]) {
    const mine = (await call(c, 'GET', `/fhir/Task?status=requested`)).body.entry
      .map((e: any) => e.resource)
      .find((t: any) => t.identifier[0].value === task.id);
    expect((await call(c, 'POST', `/fhir/Task/${mine.id}/$decline`)).status).toBe(200);
  }
  expect((await call(C, 'GET', `/fhir/Task/${task.id}`)).body.status).toBe('rejected');
  expect((await call(C, 'GET', `/fhir/Task?status=rejected&_id=${task.id}`)).body.entry).toHaveLength(1);
  expect((await call(C, 'GET', `/fhir/Patient/${handle}/$everything`)).status).toBe(404);
});

test('invalid requests are 4xx OperationOutcomes and store nothing', async () => {
  const handle = await handleFor(C.id);
  const othersHandle = await handleFor(B.id);
  const before = await count('SELECT count(*) AS n FROM consent_request');
  const cases: [unknown, number][] = [
    [requestTask('m' + 'f'.repeat(32), C.id), 404],
    [requestTask(othersHandle, C.id), 404],
    [requestTask(handle, C.id, { task: { reasonCode: undefined } }), 400],
    [requestTask(handle, C.id, { task: { reasonCode: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HMARKT' }] } } }), 400],
    [requestTask(handle, C.id, { provision: { period: { start: day(0) } } }), 400],
    [requestTask(handle, C.id, { provision: { period: { start: day(-40), end: day(-10) } } }), 422],
    [requestTask(handle, C.id, { provision: { period: { start: day(0), end: day(800) } } }), 422],
    [requestTask(handle, C.id, { provision: { class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] } }), 422],
    [requestTask(handle, C.id, { provision: { securityLabel: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] } }), 422],
    [requestTask(handle, C.id, { provision: { actor: [{ reference: { reference: `Organization/${A.id}` } }] } }), 400],
    [requestTask(handle, C.id, { task: { intent: 'order' } }), 400],
    [requestTask(handle, C.id, { consent: { status: 'active' } }), 400],
    [{ resourceType: 'Patient' }, 400],
  ];
  for (const [body, status] of cases) {
    const res = await call(C, 'POST', '/fhir/Task', body);
    expect([JSON.stringify(body).slice(0, 0), res.status]).toEqual(['', status]);
    expect(res.body.resourceType).toBe('OperationOutcome');
  }
  const narrowed = await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id, { provision: { class: [{ code: 'Observation' }] } }));
  expect(narrowed.body.issue[0].diagnostics).toMatch(/patient-controlled consent/);
  expect(await count('SELECT count(*) AS n FROM consent_request')).toBe(before);
  expect(await count(`SELECT count(*) AS n FROM audit_event WHERE clinic_id = $1 AND detail = 'consent-request refused: unknown handle'`, [C.id])).toBe(2);
  // Subscriptions: bad criteria and plain-http endpoints elsewhere are refused
  for (const [criteria, endpoint] of [
    ['Patient?name=x', 'https://example.org/h'],
    ['Task', 'http://example.org/h'],
    ['Task?owner=x', 'https://example.org/h'],
  ]) {
    const res = await call(C, 'POST', '/fhir/Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'x',
      criteria,
      channel: { type: 'rest-hook', endpoint },
    });
    expect(res.status).toBe(400);
  }
});

test('a home clinic subscribed to new requests is told; a notification to an endpoint that is down is retried and survives a restart', async () => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}/hook`;
  await subscribe(A, 'Task?status=requested', endpoint, '');
  const handle = await handleFor(C.id);
  expect((await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).status).toBe(201);
  // the endpoint is down: the outbox keeps the notification and counts attempts
  await waitFor(
    async () => (await count(`SELECT count(*) AS n FROM notification_outbox WHERE attempts >= 1 AND delivered_at IS NULL AND last_error IS NOT NULL`)) > 0,
    { what: 'a failed attempt' },
  );
  // restart: a new bridge and notifier on the same database
  await notifier.stop();
  await bridge.close();
  bridge = await startTestBridge({ database, allowPrivateHookHosts: true });
  const hook = await hookServer(port);
  notifier = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 50,
    retryBaseMs: 50,
    timeoutMs: 2000,
    maxAttempts: 50,
    allowPrivateHosts: true,
  });
  try {
    const got = await waitFor(() => hook.received[0], { what: 'the retried notification' });
    expect(got.method).toBe('POST');
    expect(got.body).toBe('');
  } finally {
    await hook.close();
  }
});

test('after N failed attempts the Subscription is set to error with the reason', async () => {
  const port = await freePort();
  const sub = await subscribe(A, 'Task?status=requested', `http://127.0.0.1:${port}/never`);
  const handle = await handleFor(C.id);
  expect((await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).status).toBe(201);
  await notifier.stop();
  notifier = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 20,
    retryBaseMs: 10,
    timeoutMs: 500,
    maxAttempts: 2,
    allowPrivateHosts: true,
  });
  const read = await waitFor(
    async () => {
      const r = await call(A, 'GET', `/fhir/Subscription/${sub.id}`);
      return r.body.status === 'error' ? r.body : null;
    },
    { what: 'the subscription in error' },
  );
  expect(read.error).toMatch(/gave up after 2 attempts/);
  expect((await call(C, 'GET', `/fhir/Subscription/${sub.id}`)).status).toBe(404);
});

test("links made later are followed, and the requester's own linked record comes with the pull", async () => {
  const D = await bridge.clinic('Klinik D');
  const handle = await handleFor(C.id);
  const task = (await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).body;
  // D records the traveller after the request: it is a home clinic from then on
  const d = (await call(D, 'POST', '/fhir', traveller('d1', '8310-5'))).body;
  const pd = located(d, 0).slice(8);
  const mine = (await call(D, 'GET', '/fhir/Task')).body.entry.map((e: any) => e.resource).filter((t: any) => t.identifier[0].value === task.id);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ for: { reference: `Patient/${pd}` }, owner: { reference: `Organization/${D.id}` }, identifier: [{ value: task.id }] });
  // C records her too (its own record, linked by the passport)
  const c = (await call(C, 'POST', '/fhir', traveller('c1', '9279-1'))).body;
  const pc = located(c, 0).slice(8);
  const pulled = async () => (await call(C, 'GET', `/fhir/Patient/${handle}/$everything`)).body.entry.map((e: any) => e.resource.id);
  // its own record does not open the handle: still refused like an unknown patient
  expect((await call(C, 'GET', `/fhir/Patient/${handle}/$everything`)).status).toBe(404);
  expect((await call(D, 'POST', `/fhir/Task/${mine[0].id}/$approve`)).status).toBe(200);
  const after = await pulled();
  expect(after).toEqual(expect.arrayContaining([pc, pd]));
  for (const other of [pa, pb]) expect(after).not.toContain(other);
});

test('two approvals at once: one wins, the other is 409, and the loser stores no Consent', async () => {
  const handle = await handleFor(C.id);
  const task = (await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id, { provision: { period: { start: day(1), end: day(20) } } }))).body;
  const mine = (await call(B, 'GET', '/fhir/Task?status=requested')).body.entry.map((e: any) => e.resource).find((t: any) => t.identifier[0].value === task.id);
  const answers = await Promise.all([1, 2].map(() => call(B, 'POST', `/fhir/Task/${mine.id}/$approve`)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  const consents = await count(`SELECT count(*) AS n FROM resource WHERE resource_type = 'Consent' AND content #>> '{identifier,0,value}' = $1`, [task.id]);
  expect(consents).toBe(1);
  expect(await count(`SELECT count(*) AS n FROM consent_decision WHERE request_id = $1`, [task.id])).toBe(1);
});

test('a hung endpoint times out and is retried', async () => {
  const sockets: import('node:net').Socket[] = [];
  const hung = createServer(() => undefined);
  hung.on('connection', (s) => sockets.push(s));
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
  try {
    const sub = await subscribe(B, 'Task?status=requested', `http://127.0.0.1:${(hung.address() as { port: number }).port}/h`);
    await notifier.stop();
    notifier = startNotifier(bridge.database.db, createLogger('silent'), {
      pollMs: 20,
      retryBaseMs: 10,
      timeoutMs: 300,
      maxAttempts: 2,
      allowPrivateHosts: true,
    });
    const handle = await handleFor(C.id);
    expect((await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).status).toBe(201);
    const read = await waitFor(
      async () => {
        const r = await call(B, 'GET', `/fhir/Subscription/${sub.id}`);
        return r.body.status === 'error' ? r.body : null;
      },
      { what: 'the subscription in error' },
    );
    expect(read.error).toMatch(/did not answer within 300 ms; gave up after 2 attempts/);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hung.close(r));
  }
});

test('a Task a clinic pushes in a Bundle stays an ordinary resource; the CapabilityStatement names the consent-request Task', async () => {
  const pushed = await call(A, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        resource: { resourceType: 'Task', id: 'own-task', status: 'requested', intent: 'order', for: { reference: `Patient/${pa}` } },
        request: { method: 'PUT', url: 'Task/own-task' },
      },
    ],
  });
  expect(pushed.status).toBe(200);
  const id = located(pushed.body, 0).slice(5);
  expect((await call(A, 'GET', `/fhir/Task/${id}`)).body).toMatchObject({ id, intent: 'order' });
  expect([403, 404]).toContain((await call(C, 'GET', `/fhir/Task/${id}`)).status);
  const metadata: any = await (await fetch(`${bridge.url}/fhir/metadata`)).json();
  const task = metadata.rest[0].resource.find((r: any) => r.type === 'Task');
  expect(task.operation.map((o: any) => o.name)).toEqual(['approve', 'decline', 'revoke']);
});

test('a home clinic revokes its approval: the Consent goes inactive, the pull by handle is refused again, the requester is told', async () => {
  const hook = await hookServer();
  try {
    const handle = await handleFor(C.id);
    const task = (await call(C, 'POST', '/fhir/Task', requestTask(handle, C.id))).body;
    await subscribe(C, `Task?_id=${task.id}&status=cancelled`, hook.url);
    const mineA = (await call(A, 'GET', '/fhir/Task')).body.entry[0].resource;
    const mineB = (await call(B, 'GET', '/fhir/Task')).body.entry[0].resource;
    expect((await call(A, 'POST', `/fhir/Task/${mineA.id}/$revoke`)).status).toBe(409); // nothing to revoke yet
    const approved = (await call(A, 'POST', `/fhir/Task/${mineA.id}/$approve`)).body;
    expect((await call(B, 'POST', `/fhir/Task/${mineB.id}/$decline`)).status).toBe(200);
    expect((await call(C, 'GET', `/fhir/Patient/${handle}/$everything`)).status).toBe(200);
    const revoked = await call(A, 'POST', `/fhir/Task/${mineA.id}/$revoke`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'reason', valueString: 'patient withdrew' }],
    });
    expect(revoked.body).toMatchObject({ status: 'cancelled', statusReason: { text: 'patient withdrew' } });
    expect((await call(A, 'GET', `/fhir/${approved.output[0].valueReference.reference}`)).body.status).toBe('inactive');
    expect((await call(C, 'GET', `/fhir/Patient/${handle}/$everything`)).status).toBe(404);
    expect((await call(C, 'GET', `/fhir/Task/${task.id}`)).body.status).toBe('cancelled');
    await waitFor(() => hook.received.find((r) => JSON.parse(r.body || '{}').status === 'cancelled'), { what: 'the cancellation notice' });
    expect((await call(A, 'POST', `/fhir/Task/${mineA.id}/$approve`)).status).toBe(409);
  } finally {
    await hook.close();
  }
});

test('two delivery loops on one database (two bridge processes) share the outbox: each notification is sent once', async () => {
  const hook = await hookServer();
  const second = startNotifier(bridge.database.db, createLogger('silent'), {
    pollMs: 20,
    retryBaseMs: 50,
    timeoutMs: 2000,
    maxAttempts: 5,
    allowPrivateHosts: true,
  });
  try {
    const sub = await subscribe(A, 'Task?status=requested', hook.url);
    for (let i = 0; i < 6; i++) expect((await call(C, 'POST', '/fhir/Task', requestTask(await handleFor(C.id), C.id))).status).toBe(201);
    await waitFor(
      async () => (await count('SELECT count(*) AS n FROM notification_outbox WHERE subscription_id = $1 AND delivered_at IS NOT NULL', [sub.id])) === 6,
      { what: 'six deliveries' },
    );
    expect(hook.received).toHaveLength(6);
    expect(new Set(hook.received.map((r) => r.url)).size).toBe(6);
  } finally {
    await second.stop();
    await hook.close();
  }
});
