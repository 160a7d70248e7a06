import type { Browser } from 'playwright-core';
import { describeInBrowser, ensureWebBuilt, launchChromium, seedPortalToken, watchedPage } from '../helpers/browser';
import { api } from '../helpers/fixtures';
import { startTestBridge, type TestBridge } from '../helpers/server';
import { patientToken, PATIENT_READ_SCOPES } from '../helpers/patient-session';

/**
 * XSS: what clinics push is data, never markup. A clinic's record whose every text (code displays, units, names) is an
 * HTML/script payload is rendered by the portal as text on every screen: no element it names
 * appears, no script of it runs, and the CSP reports nothing (it would block an inline handler, but the portal must not
 * even create one). Debian chromium, the real bridge, a real patient token.
 */
const PAYLOAD = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
let bridge: TestBridge;
let browser: Browser;

describeInBrowser('portal XSS', () => {
  beforeAll(async () => {
    ensureWebBuilt();
    bridge = await startTestBridge();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  test('a clinic record full of markup is shown as text on the timeline, access log and consents screens', async () => {
    const clinic = await bridge.clinic('Clinic X');
    const pushed = await api(bridge.url, clinic.apiKey, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Patient', id: 'x', name: [{ family: PAYLOAD, given: [PAYLOAD] }], birthDate: '1980-01-01', gender: 'female' },
          request: { method: 'PUT', url: 'Patient/x' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: PAYLOAD }], text: PAYLOAD },
            subject: { reference: 'Patient/x' },
            effectiveDateTime: '2024-05-01T10:00:00Z',
            valueQuantity: { value: 72, unit: PAYLOAD, system: 'http://unitsofmeasure.org', code: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: {
            resourceType: 'Condition',
            code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: PAYLOAD }], text: PAYLOAD },
            subject: { reference: 'Patient/x' },
            onsetDateTime: '2023-01-01',
          },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    });
    expect(pushed.status).toBe(200);
    const patientId = pushed.body.entry[0].response.location.split('/')[1];
    const token = await patientToken(bridge.database.db, patientId, [...PATIENT_READ_SCOPES, 'patient/Consent.cud', 'patient/Task.u']);

    const context = await browser.newContext();
    const web = bridge.url.replace('127.0.0.1', 'localhost');
    const w = await watchedPage(context, web);
    await w.page.goto(`${web}/portal/`);
    await seedPortalToken(w.page, token, patientId);
    await w.page.goto(`${web}/portal/#/timeline`);
    await w.page.reload();
    await w.page.waitForSelector('body[data-timeline=ready]');
    await w.page.getByRole('button', { name: 'List' }).click();
    for (const view of ['', 'access', 'consents']) {
      if (view) {
        await w.page.goto(`${web}/portal/#/${view}`);
        await w.page.waitForSelector('h1');
        await w.page.waitForTimeout(300);
      }
      // The payload is on the screen as text, and none of its elements exist.
      expect({
        view,
        images: await w.page.locator('img[src=x]').count(),
        scripts: await w.page.locator('main script, body script:not([src])').count(),
      }).toEqual({
        view,
        images: 0,
        scripts: 0,
      });
    }
    await w.page.goto(`${web}/portal/#/timeline`);
    await w.page.waitForSelector('body[data-timeline=ready]');
    await w.page.getByRole('button', { name: 'List' }).click();
    expect(await w.page.locator('body').innerText()).toContain('<img src=x onerror=');
    expect(await w.page.evaluate('window.__pwned')).toBeUndefined();
    expect(w.violations).toEqual([]);
    await context.close();
  });
});
