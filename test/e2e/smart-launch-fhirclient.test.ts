/**
 * End to end: a standard SMART client, the `fhirclient` npm package (its Node adapter) in an express app on 127.0.0.1,
 * completes the SMART App Launch 2.0 standalone patient launch against the bridge: discovery through fhirclient,
 * authorize (PKCE S256 chosen by fhirclient from the discovery document), the patient signed in through the sign-in
 * JSON API with a cookie (as the portal does), `/auth/authorize?request=` completed, the callback's code exchanged by
 * fhirclient, and the launch context (`patient`, scope, id_token fhirUser) as the client sees it. Then searches with
 * `_include` and `_revinclude` through fhirclient, as a clinic and as the launched patient.
 */
import type { Server } from 'node:http';
import express from 'express';
import { decodeJwt } from 'jose';
import { api } from '../helpers/fixtures';
import { located, patientBundle } from '../helpers/people';
import { startTestBridge, TestBridge } from '../helpers/server';
import { authPost, enrolmentCode, enrolPassword } from '../helpers/signin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const smart = require('fhirclient/lib/entry/node') as (req: unknown, res: unknown, storage?: unknown) => any;

let bridge: TestBridge;
let server: Server;
let appUrl: string;
let patientId: string;
let clinicKey: string;
let otherKey: string;
let otherPatientId: string;
const launched: { client?: any; error?: string } = {};

/** fhirclient's storage (get/set/unset); one browser, so one map. */
const store = new Map<string, unknown>();
const storage = {
  get: async (k: string) => store.get(k),
  set: async (k: string, v: unknown) => {
    store.set(k, v);
    return v;
  },
  unset: async (k: string) => store.delete(k),
};

beforeAll(async () => {
  bridge = await startTestBridge();
  const clinic = await bridge.clinic('Porto');
  clinicKey = clinic.apiKey;
  otherKey = (await bridge.clinic('Faro')).apiKey;
  // Another clinic's patient, same name, with an observation of the same code: never included for Porto or for Rui.
  otherPatientId = located(
    (await api(bridge.url, otherKey, 'POST', '/fhir', patientBundle({ id: 'rui-f', family: 'Costa', given: 'Rui', birthDate: '1975-05-05' }))).body,
    0,
  ).split('/')[1];
  patientId = located(
    (
      await api(
        bridge.url,
        clinic.apiKey,
        'POST',
        '/fhir',
        patientBundle({ id: 'rui', family: 'Costa', given: 'Rui', birthDate: '1975-05-05', ssn: '999-11-4444' }),
      )
    ).body,
    0,
  ).split('/')[1];
  await enrolPassword(bridge.url, (await enrolmentCode(bridge.url, clinic.apiKey, patientId)).code as string, 'rui.costa', 'rui password 123');

  const app = express();
  app.get('/launch', (req, res) => {
    smart(req, res, storage)
      .authorize({
        iss: `${bridge.url}/fhir`,
        clientId: app.get('clientId'),
        redirectUri: '/callback',
        scope: 'launch/patient openid fhirUser offline_access patient/*.read',
        pkceMode: 'required',
      })
      .catch((e: Error) => res.status(500).send(e.message));
  });
  app.get('/callback', (req, res) => {
    smart(req, res, storage)
      .ready()
      .then((client: any) => {
        launched.client = client;
        res.json({ ok: true });
      })
      .catch((e: Error) => {
        launched.error = e.message;
        res.status(500).json({ error: e.message });
      });
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  appUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const reg = await api(
    bridge.url,
    bridge.adminToken,
    'POST',
    '/admin/apps',
    { name: 'fhirclient test app', redirectUris: [`${appUrl}/callback`] },
    { 'content-type': 'application/json' },
  );
  expect(reg.status).toBe(201);
  app.set('clientId', reg.body.clientId);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await bridge?.close();
});

const go = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie: `fab_signin=${cookie}` } : {} });

test('fhirclient completes the standalone patient launch: authorize → sign-in → callback → token with patient, scope and id_token', async () => {
  // The app sends the browser to the bridge's authorization endpoint (found by fhirclient in .well-known/smart-configuration).
  const launch = await go(`${appUrl}/launch`);
  expect(launch.status).toBe(302);
  const authorizeUrl = new URL(launch.headers.get('location') as string);
  expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${bridge.url}/auth/authorize`);
  expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorizeUrl.searchParams.get('aud')).toBe(`${bridge.url}/fhir`);

  // Not signed in: the portal's sign-in page with an opaque request id (no personal data in the URL).
  const toSignin = await go(authorizeUrl.toString());
  expect(toSignin.status).toBe(302);
  const request = /\/portal\/#\/signin\?request=([A-Za-z0-9_-]+)$/.exec(toSignin.headers.get('location') as string)?.[1] as string;
  expect(request).toBeTruthy();

  // The portal signs the patient in through the JSON API (cookie jar), then follows /auth/authorize?request=.
  const signed = await authPost(bridge.url, '/auth/signin/password', { username: 'rui.costa', password: 'rui password 123' });
  expect(signed.status).toBe(200);
  const back = await go(`${bridge.url}/auth/authorize?request=${request}`, signed.cookie);
  expect(back.status).toBe(302);
  const callback = back.headers.get('location') as string;
  expect(callback.startsWith(`${appUrl}/callback?`)).toBe(true);

  // fhirclient exchanges the code (PKCE verifier, public client) at the token endpoint.
  const done = await go(callback);
  expect(launched.error).toBeUndefined();
  expect(done.status).toBe(200);
  const client = launched.client;
  expect(client.patient.id).toBe(patientId);
  const tokenResponse = client.state.tokenResponse;
  expect(tokenResponse).toMatchObject({ token_type: 'Bearer', patient: patientId, scope: 'launch/patient openid fhirUser offline_access patient/*.read' });
  expect(tokenResponse.refresh_token).toMatch(/^fapr_/);
  expect(decodeJwt(tokenResponse.id_token).fhirUser).toBe(`${bridge.url}/fhir/Patient/${patientId}`);
  expect(client.getFhirUser()).toBe(`Patient/${patientId}`);
  expect(client.user.resourceType).toBe('Patient');

  // The discovery document read through fhirclient's own request machinery.
  const conf = await client.request({ url: `${bridge.url}/fhir/.well-known/smart-configuration` }, { flat: true });
  expect(conf.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'context-standalone-patient', 'client-public', 'permission-patient']));
  // The patient's own record, read through fhirclient with the patient token.
  const own = await client.request(`Patient/${client.patient.id}`);
  expect(own).toMatchObject({ resourceType: 'Patient', id: patientId });
  expect(await client.patient.read()).toMatchObject({ resourceType: 'Patient', id: patientId });

  // fhirclient's refresh (refresh_token grant with rotation).
  const firstAccess = tokenResponse.access_token;
  await client.refresh();
  expect(client.state.tokenResponse.access_token).not.toBe(firstAccess);
  expect(client.state.tokenResponse.patient).toBe(patientId);
  expect((await api(bridge.url, firstAccess, 'GET', '/fhir/Patient')).status).toBe(200); // rotation keeps the family live
});

test('fhirclient searches with _include and _revinclude: the included Patient comes back, another person’s never', async () => {
  // A clinic's fhirclient (no launch: its API key as the bearer token), as a clinic's own app would use it.
  const app = express();
  let clinicClient: any;
  app.get('/client', (req, res) => {
    clinicClient = smart(req, res, storage).client({ serverUrl: `${bridge.url}/fhir`, tokenResponse: { access_token: clinicKey } });
    res.json({ ok: true });
  });
  const s: Server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  try {
    await fetch(`http://127.0.0.1:${(s.address() as { port: number }).port}/client`);
    const flat = await clinicClient.request('Observation?code=http://loinc.org|8867-4&_include=Observation:subject', { flat: true, pageLimit: 0 });
    expect(flat.map((r: any) => r.resourceType)).toEqual(['Observation', 'Patient']);
    expect(flat[1].id).toBe(patientId);
    // fhirclient's own reference resolution agrees with what the server included.
    const resolved = await clinicClient.request('Observation?_include=Observation:subject', { resolveReferences: ['subject'], flat: true });
    const observation = resolved.find((r: any) => r.resourceType === 'Observation');
    expect(observation.subject).toMatchObject({ resourceType: 'Patient', id: patientId });
    const reverse = await clinicClient.request(`Patient?_id=${patientId}&_revinclude=Observation:subject`, { flat: true });
    expect(reverse.map((r: any) => r.resourceType).sort()).toEqual(['Observation', 'Patient']);
    expect(JSON.stringify([flat, resolved, reverse])).not.toContain(otherPatientId);
  } finally {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  // The patient's launched client (the test above): their own observation and record, nothing of the other Rui.
  const patientClient = launched.client;
  expect(patientClient).toBeDefined();
  const own = await patientClient.request('Observation?_include=Observation:subject', { flat: true });
  expect(own.map((r: any) => r.resourceType).sort()).toEqual(['Observation', 'Patient']);
  expect(own.find((r: any) => r.resourceType === 'Patient').id).toBe(patientId);
  const named = await patientClient.request(`Observation?subject=Patient/${otherPatientId}&_include=Observation:subject`, { flat: true });
  expect(named).toEqual([]);
});
