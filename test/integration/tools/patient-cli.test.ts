/**
 * `fhir-bridge patient enrol` and `fhir-bridge app add` on the bridge's database (DATABASE_URL): the code printed once
 * is redeemed over HTTP; another clinic's record is refused; a registered app can start an authorization.
 */
import { runCli } from '../../helpers/bridge-process';
import { api } from '../../helpers/fixtures';
import { located, patientBundle } from '../../helpers/people';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { authPost, pkce } from '../../helpers/signin';

let bridge: TestBridge;
let A: { id: string; apiKey: string }, B: { id: string; apiKey: string };
let pa: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  A = await bridge.clinic('CLI home');
  B = await bridge.clinic('CLI other');
  pa = located(
    (
      await api(
        bridge.url,
        A.apiKey,
        'POST',
        '/fhir',
        patientBundle({ id: 'cli-p', family: 'Berg', given: 'Ola', birthDate: '1966-06-16', ssn: '999-12-3434' }),
      )
    ).body,
    0,
  ).split('/')[1];
});
afterAll(async () => bridge?.close());
const env = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: bridge.database.url, LOG_LEVEL: 'silent', ENROLMENT_CODE_TTL_MINUTES: '30' });

test('patient enrol prints a one-time code of ENROLMENT_CODE_TTL_MINUTES that enrols over HTTP; another clinic is refused', async () => {
  const before = Date.now();
  const r = await runCli(['patient', 'enrol', '--clinic', A.id, '--patient', pa], env());
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { code: string; expires: string; patient: string };
  expect(out.patient).toBe(pa);
  expect(new Date(out.expires).getTime() - before).toBeLessThan(31 * 60_000);
  expect((await authPost(bridge.url, '/auth/enrol/password', { code: out.code, username: 'ola.berg', password: 'ola password 1' })).status).toBe(200);
  expect((await authPost(bridge.url, '/auth/enrol/password', { code: out.code, username: 'ola.berg2', password: 'ola password 1' })).status).toBe(400);

  const other = await runCli(['patient', 'enrol', '--clinic', B.id, '--patient', pa], env());
  expect(other.code).toBe(1);
  expect(other.stderr).toContain(`Patient/${pa} is not a record of clinic ${B.id}`);
  expect(other.stdout).toBe('');
});

test('app add prints a client_id whose redirect URI the authorization endpoint accepts; bad URIs are refused', async () => {
  const r = await runCli(['app', 'add', '--name', 'CLI app', '--redirect-uri', 'https://app.example/cb', 'http://127.0.0.1:7/cb'], env());
  expect(r.code).toBe(0);
  const app = JSON.parse(r.stdout) as { clientId: string; redirectUris: string[] };
  expect(app.redirectUris).toEqual(['https://app.example/cb', 'http://127.0.0.1:7/cb']);
  const u = new URL(`${bridge.url}/auth/authorize`);
  const p = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: 'https://app.example/cb',
    scope: 'patient/*.rs',
    state: 's',
    aud: `${bridge.url}/fhir`,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(p)) u.searchParams.set(k, v);
  const res = await fetch(u, { redirect: 'manual' });
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toMatch(/\/portal\/#\/signin\?request=/);

  const bad = await runCli(['app', 'add', '--name', 'Bad', '--redirect-uri', 'http://app.example/cb'], env());
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('https');
});
