import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addVirtualAuthenticator, describeInBrowser, ensureWebBuilt, launchChromium, watchedPage, type WatchedPage } from '../helpers/browser';
import { api } from '../helpers/fixtures';
import { patientBundle } from '../helpers/people';
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from '../helpers/server';

/**
 * The patient's journeys through the portal, in Debian's chromium against the real bridge (issue 10 "The patient
 * portal"): enrol with the code from the home clinic and a passkey (Chromium's virtual authenticator), sign out and in
 * again with the passkey, see the timeline across clinics, grant consent to the other clinic and see its pull change,
 * revoke it and see the pull shrink back, see a break-glass access as a notification and in the access log, create a
 * Health Link and open it in a second browser (a clinic abroad, no account), then revoke it.
 * Without chromium the suite says so in one line and skips (describeInBrowser); a missing endpoint fails it.
 */
let bridge: TestBridge;
let browser: Browser;
/** The origin the browser uses: WebAuthn needs a domain for its RP ID (an IP address is refused), and localhost is one. */
let web: string;
const GLASS = { 'X-Break-Glass': 'unconscious in the emergency room', 'X-Purpose-Of-Use': 'ETREAT' };

type Clinic = { id: string; apiKey: string };
let A: Clinic; // home clinic (Berlin)
let B: Clinic; // the other clinic (Lisbon)
let patientA: string;
let patientB: string;

async function endpointsServed(url: string): Promise<string | undefined> {
  const smart = (await fetch(`${url}/fhir/.well-known/smart-configuration`).then((r) => (r.ok ? r.json() : {}))) as { authorization_endpoint?: string };
  if (!smart.authorization_endpoint) return 'no authorization_endpoint in smart-configuration';
  const json = { 'content-type': 'application/json', origin: url };
  if ((await fetch(`${url}/auth/session`)).status === 404) return 'no /auth/session';
  if ((await fetch(`${url}/auth/signin/passkey/options`, { method: 'POST', headers: json, body: '{}' })).status === 404) return 'no passkey sign-in';
  if ((await fetch(`${url}/shl`, { method: 'POST', headers: json, body: '{}' })).status === 404) return 'no /shl';
  return undefined;
}

async function clinic(name: string): Promise<Clinic> {
  const res = await api(bridge.url, ADMIN_TOKEN, 'POST', '/admin/clinics', { name }, { 'content-type': 'application/json' });
  expect(res.status).toBe(201);
  return res.body;
}

/** The other clinic's pull of the person: which clinics' events it gets. */
async function clinicsSeenBy(c: Clinic, patient: string): Promise<string[]> {
  const res = await api(bridge.url, c.apiKey, 'GET', `/patients/${patient}/history`);
  expect(res.status).toBe(200);
  return [...new Set<string>(res.body.events.map((e: any) => e.clinic.id))].sort();
}

async function go(page: Page, view: string, heading: string | RegExp): Promise<void> {
  await page.getByRole('link', { name: view }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

describeInBrowser('portal flows (enrol, sign in, timeline, consent, notifications, Health Link)', () => {
  let context: BrowserContext;
  let w: WatchedPage;

  beforeAll(async () => {
    ensureWebBuilt();
    bridge = await startTestBridge();
    web = bridge.url.replace('127.0.0.1', 'localhost');
    const missing = await endpointsServed(bridge.url);
    // Every endpoint the flows use must be served: a missing one fails the suite (it is never skipped).
    expect(missing).toBeUndefined();
    browser = await launchChromium();
    A = await clinic('Berlin clinic');
    B = await clinic('Lisbon clinic');
    const pushA = await api(
      bridge.url,
      A.apiKey,
      'POST',
      '/fhir',
      patientBundle({ id: 'anna', family: 'Weber', given: 'Anna', birthDate: '1980-02-03', ssn: '999-10-2000' }),
    );
    const pushB = await api(
      bridge.url,
      B.apiKey,
      'POST',
      '/fhir',
      patientBundle({ id: 'ana', family: 'Weber', given: 'Anna', birthDate: '1980-02-03', ssn: '999-10-2000' }, '29463-7'),
    );
    expect([pushA.status, pushB.status]).toEqual([200, 200]);
    patientA = pushA.body.entry[0].response.location.split('/')[1];
    patientB = pushB.body.entry[0].response.location.split('/')[1];
    expect((await api(bridge.url, ADMIN_TOKEN, 'PUT', `/admin/clinics/${B.id}/break-glass`)).status).toBe(200);
    context = await browser.newContext();
    w = await watchedPage(context, web);
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  test('enrol with the clinic’s code and a passkey, land on the timeline with no code in the URL', async () => {
    const code = await api(bridge.url, A.apiKey, 'POST', `/fhir/Patient/${patientA}/$enrolment-code`, {});
    expect(code.status).toBe(200);
    const enrolment = code.body.parameter.find((p: any) => p.name === 'code').valueString;
    await w.page.goto(`${web}/portal/`);
    await addVirtualAuthenticator(context, w.page);
    await w.page.getByRole('button', { name: 'Enrol with a code' }).click();
    await w.page.getByLabel('Enrolment code from your clinic').fill(enrolment);
    await w.page.getByTestId('enrol-submit').click();
    await w.page.waitForSelector('body[data-timeline=ready]');
    expect(w.page.url()).toBe(`${web}/portal/`);
    expect(await w.page.getByTestId('status').first().textContent()).toMatch(/Berlin clinic/);
    expect(await w.page.getByTestId('plot').count()).toBeGreaterThan(0);
    // the code is one-time
    const again = await fetch(`${bridge.url}/auth/enrol/passkey/options`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: bridge.url },
      body: JSON.stringify({ code: enrolment }),
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
  });

  test('sign out, then sign in again with the passkey', async () => {
    await w.page.getByRole('button', { name: 'Sign out' }).click();
    await w.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await w.page.evaluate("sessionStorage.getItem('portal.token')")).toBeNull();
    await w.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await w.page.waitForSelector('body[data-timeline=ready]');
    expect(w.page.url()).toBe(`${web}/portal/`);
  });

  test('grant consent to the other clinic: its pull gets the home clinic’s records; revoke: it no longer does', async () => {
    expect(await clinicsSeenBy(B, patientB)).toEqual([B.id]);
    await go(w.page, 'Consents', 'Who may see your records');
    await w.page.getByLabel('Clinic', { exact: true }).selectOption({ label: 'Lisbon clinic' });
    await w.page.getByLabel('What').selectOption('everything');
    await w.page.getByRole('button', { name: 'Grant consent' }).click();
    await w.page.getByRole('button', { name: 'Revoke consent for Lisbon clinic' }).waitFor();
    expect(await clinicsSeenBy(B, patientB)).toEqual([A.id, B.id].sort());
    await w.page.getByRole('button', { name: 'Revoke consent for Lisbon clinic' }).click();
    await w.page.getByRole('status').filter({ hasText: 'Revoking consent: done.' }).waitFor();
    expect(await clinicsSeenBy(B, patientB)).toEqual([B.id]);
  });

  test('a break-glass access by the other clinic shows as a notification and in the access log', async () => {
    const obs = await api(bridge.url, A.apiKey, 'GET', `/fhir/Observation?subject=Patient/${patientA}`);
    const obsId = obs.body.entry[0].resource.id;
    expect((await api(bridge.url, B.apiKey, 'GET', `/fhir/Observation/${obsId}`, undefined, GLASS)).status).toBe(200);
    await go(w.page, 'Notifications', 'Notifications');
    // notifications may be written after the read: look again until it is there
    for (let i = 0; i < 50 && !(await w.page.getByText('Emergency access (break-glass)').count()); i++) {
      await new Promise((r) => setTimeout(r, 200));
      await w.page.reload();
      await w.page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    }
    expect(await w.page.getByText('Emergency access (break-glass)').count()).toBeGreaterThan(0);
    await go(w.page, 'Access log', 'Who looked at your records');
    await w.page.getByTestId('access-log').waitFor();
    const log = (await w.page.getByTestId('access-log').textContent()) ?? '';
    expect(log).toMatch(/Lisbon clinic/);
    expect(log).toMatch(/Break-glass/);
    expect(log).toMatch(/pending anchoring|anchored in block/);
    // Each entry's place in the verifiable log's chain of this person's audit entries.
    expect(log).toMatch(/#\d+ in your chain · logged|waiting for the log/);
  });

  test('create a Health Link with a passcode; a clinic abroad opens it in another browser; revoked, it opens no more', async () => {
    await go(w.page, 'Health Links', 'Health Links');
    await w.page.getByLabel('Label (for you)').fill('Holiday in Portugal');
    await w.page.getByLabel(/^Passcode/).fill('4711-lisboa');
    await w.page.getByRole('button', { name: 'Create link' }).click();
    await w.page.getByTestId('qr').waitFor();
    const viewerUrl = await w.page.getByTestId('viewer-url').inputValue();
    expect(viewerUrl.startsWith(`${web}/shl/view#shlink:/`)).toBe(true);

    const abroad = await browser.newContext();
    const v = await watchedPage(abroad, web);
    await v.page.goto(viewerUrl);
    await v.page.getByLabel(/Your name/).fill('Dr. Costa, Hospital de Santa Maria');
    await v.page.getByLabel('Passcode (from the patient)').fill('4711-lisboa');
    await v.page.getByRole('button', { name: 'Open the summary' }).click();
    await v.page.getByTestId('ips').first().waitFor();
    expect(await v.page.getByTestId('ips').first().textContent()).toMatch(/Anna Weber/);
    expect(v.violations).toEqual([]);

    // the recipient is in the patient's access log
    await go(w.page, 'Access log', 'Who looked at your records');
    await w.page.getByTestId('access-log').waitFor();
    expect(await w.page.getByTestId('access-log').textContent()).toMatch(/Dr\. Costa/);

    await go(w.page, 'Health Links', 'Health Links');
    await w.page.getByRole('button', { name: 'Revoke link Holiday in Portugal' }).click();
    await w.page.getByRole('status').filter({ hasText: 'Link revoked.' }).waitFor();
    const again = await abroad.newPage();
    await again.goto(viewerUrl);
    await again.getByLabel(/Your name/).fill('Dr. Costa');
    await again.getByLabel('Passcode (from the patient)').fill('4711-lisboa');
    await again.getByRole('button', { name: 'Open the summary' }).click();
    await again.getByTestId('error-panel').waitFor();
    await abroad.close();
    expect(w.violations).toEqual([]);
    expect(w.consoleLines.join('\n')).not.toMatch(/Weber|4711-lisboa/);
  });
});
