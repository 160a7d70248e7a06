import { createCipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { CompactEncrypt } from 'jose';
import type { Browser } from 'playwright-core';
import { describeInBrowser, ensureWebBuilt, launchChromium, watchedPage } from '../helpers/browser';
import { startTestBridge, type TestBridge } from '../helpers/server';

/**
 * The SMART Health Link viewer (/shl/view#shlink:/…) in a real browser: it reads the link from the fragment (never
 * sent), asks the recipient's name (and passcode with flag P), POSTs the manifest, decrypts each JWE (dir, A256GCM,
 * zip DEF or none) with WebCrypto and shows the IPS. The manifest and file answers here come from a stand-in host
 * (playwright routes) shaped by the SHL spec, so the viewer's decryption and display are tested before the bridge's
 * own SHL endpoints exist; portal-flows.test.ts opens a real link end to end.
 */
let bridge: TestBridge;
let browser: Browser;
const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

const IPS = {
  resourceType: 'Bundle',
  type: 'document',
  entry: [
    { resource: { resourceType: 'Patient', id: 'p', name: [{ given: ['Anna'], family: 'Weber' }], birthDate: '1980-02-03' } },
    { resource: { resourceType: 'AllergyIntolerance', id: 'a', code: { text: 'Penicillin' }, clinicalStatus: { coding: [{ code: 'active' }] } } },
    { resource: { resourceType: 'Condition', id: 'c', code: { coding: [{ display: 'Type 2 diabetes' }] }, clinicalStatus: { coding: [{ code: 'active' }] } } },
    { resource: { resourceType: 'MedicationStatement', id: 'm', status: 'active', medicationCodeableConcept: { text: 'Metformin 500 mg' } } },
    { resource: { resourceType: 'Immunization', id: 'i', status: 'completed', vaccineCode: { text: 'Tetanus' }, occurrenceDateTime: '2020-01-01' } },
    { resource: { resourceType: 'Observation', id: 'o', code: { text: 'HbA1c' }, valueQuantity: { value: 6.9, unit: '%' }, effectiveDateTime: '2024-03-01' } },
  ],
};

/** RFC 7516 compact JWE, alg dir, enc A256GCM, zip DEF, made by hand (jose 5 has no zip). */
function deflatedJwe(key: Buffer, text: string): string {
  const header = b64u(JSON.stringify({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', cty: 'application/fhir+json' }));
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(header, 'ascii'));
  const cipher = Buffer.concat([c.update(deflateRawSync(Buffer.from(text))), c.final()]);
  return `${header}..${b64u(iv)}.${b64u(cipher)}.${b64u(c.getAuthTag())}`;
}

describeInBrowser('SMART Health Link viewer', () => {
  beforeAll(async () => {
    ensureWebBuilt();
    bridge = await startTestBridge();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  const shlink = (payload: Record<string, unknown>) => `shlink:/${b64u(JSON.stringify(payload))}`;

  test('decrypts the files in the browser (zip DEF and plain), shows the summary; the passcode goes in the POST only', async () => {
    const key = randomBytes(32);
    const manifestUrl = `${bridge.url}/shl/manifest/standin-${b64u(randomBytes(8))}`;
    const plain = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(IPS))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
    const posts: unknown[] = [];
    const context = await browser.newContext();
    const w = await watchedPage(context, bridge.url);
    await context.route(`${manifestUrl}`, async (route) => {
      posts.push(route.request().postDataJSON());
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          files: [
            { contentType: 'application/fhir+json', embedded: deflatedJwe(key, JSON.stringify(IPS)) },
            { contentType: 'application/fhir+json', location: `${bridge.url}/shl/file/standin-file` },
          ],
        }),
      });
    });
    const fileRequests: string[] = [];
    await context.route(`${bridge.url}/shl/file/standin-file`, (route) => {
      fileRequests.push(route.request().url());
      return route.fulfill({ contentType: 'application/jose', body: plain });
    });
    const served: string[] = [];
    w.page.on('request', (r) => served.push(r.url()));
    await w.page.goto(`${bridge.url}/shl/view#${shlink({ url: manifestUrl, key: b64u(key), flag: 'P', label: 'For Dr. Costa' })}`);
    await w.page.getByRole('heading', { name: 'For Dr. Costa' }).waitFor();
    await w.page.getByLabel('Your name and organisation (shown to the patient in their access log)').fill('Dr. Costa, Lisbon');
    await w.page.getByLabel('Passcode (from the patient)').fill('1234');
    await w.page.getByRole('button', { name: 'Open the summary' }).click();
    await w.page.getByTestId('ips').first().waitFor();
    expect(await w.page.getByTestId('ips').count()).toBe(2);
    const text = (await w.page.getByTestId('ips').first().textContent()) ?? '';
    for (const s of ['Anna Weber', 'born 1980-02-03', 'Penicillin', 'Type 2 diabetes', 'Metformin 500 mg', 'Tetanus', 'HbA1c', '6.9 %'])
      expect(text).toContain(s);
    expect(posts).toEqual([{ recipient: 'Dr. Costa, Lisbon', passcode: '1234' }]);
    expect(fileRequests).toHaveLength(1);
    // the key (in the fragment) is never sent: no request URL carries it
    expect(served.some((u) => u.includes(b64u(key)) || u.includes('shlink'))).toBe(false);
    expect(w.violations).toEqual([]);
    await context.close();
  });

  test('a wrong key, an expired link, a link to another host and a missing fragment each show an error panel', async () => {
    const key = randomBytes(32);
    const manifestUrl = `${bridge.url}/shl/manifest/standin-wrong`;
    const context = await browser.newContext();
    const w = await watchedPage(context, bridge.url);
    await context.route(manifestUrl, (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ files: [{ contentType: 'application/fhir+json', embedded: deflatedJwe(randomBytes(32), '{}') }] }),
      }),
    );
    const panel = () => w.page.getByTestId('error-panel').first().textContent();
    await w.page.goto(`${bridge.url}/shl/view#${shlink({ url: manifestUrl, key: b64u(key) })}`);
    await w.page.getByLabel(/Your name/).fill('Dr. Costa');
    await w.page.getByRole('button', { name: 'Open the summary' }).click();
    await w.page.getByTestId('error-panel').waitFor();
    expect(await panel()).toMatch(/could not be decrypted/);

    await w.page.goto(`${bridge.url}/shl/view#${shlink({ url: manifestUrl, key: b64u(key), exp: 1000 })}`);
    await w.page.reload();
    expect(await panel()).toMatch(/expired/);
    await w.page.goto(`${bridge.url}/shl/view#${shlink({ url: 'https://elsewhere.example/m', key: b64u(key) })}`);
    await w.page.reload();
    expect(await panel()).toMatch(/its own bridge only/);
    await w.page.goto(`${bridge.url}/shl/view`);
    await w.page.reload();
    expect(await panel()).toMatch(/needs a SMART Health Link/);
    // an unknown manifest on the bridge: its 404 (or a refusal) is shown, not a broken page
    await w.page.goto(`${bridge.url}/shl/view#${shlink({ url: `${bridge.url}/shl/manifest/unknown-id`, key: b64u(key) })}`);
    await w.page.reload();
    await w.page.getByLabel(/Your name/).fill('Dr. Costa');
    await w.page.getByRole('button', { name: 'Open the summary' }).click();
    await w.page.getByTestId('error-panel').waitFor();
    expect(await panel()).toMatch(/HTTP 4\d\d/);
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    await context.close();
  });
});
