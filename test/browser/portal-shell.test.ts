import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import type { Browser } from 'playwright-core';
import { WEB_CSP, webRouter } from '../../bridge/http/routes/web';
import { addVirtualAuthenticator, describeInBrowser, ensureWebBuilt, launchChromium, seedPortalToken, watchedPage } from '../helpers/browser';
import { api } from '../helpers/fixtures';
import { patientBundle } from '../helpers/people';
import { startTestBridge, type TestBridge } from '../helpers/server';

/**
 * The portal's shell in a real browser (Debian chromium): served with its strict CSP and security headers, no inline
 * script or style (a CSP violation would be reported), nothing fetched from elsewhere, the sign-in screen usable by
 * keyboard, passkeys available through Chromium's virtual authenticator, and endpoints that are missing shown as an
 * error panel rather than a broken page. The timeline is rendered from the bridge's real `/patients/{id}/history`.
 */
let bridge: TestBridge;
let browser: Browser;

describeInBrowser('portal shell', () => {
  beforeAll(async () => {
    ensureWebBuilt();
    bridge = await startTestBridge();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  test('served at /portal/ and /shl/view with the strict CSP, nosniff and no referrer; /portal redirects; assets are files', async () => {
    for (const p of ['/portal/', '/shl/view']) {
      const res = await fetch(`${bridge.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(WEB_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await res.text();
      // every script is a file of this origin; no inline script or style
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style=/);
      for (const [, src] of html.matchAll(/(?:src|href)="(\/portal\/assets\/[^"]+)"/g)) {
        const asset = await fetch(`${bridge.url}${src}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(src.endsWith('.css') ? /text\/css/ : /javascript/);
        expect(asset.headers.get('content-security-policy')).toBe(WEB_CSP);
      }
    }
    const bare = await fetch(`${bridge.url}/portal`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/portal/');
    const missing = await fetch(`${bridge.url}/portal/assets/nothing.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  test('without a build the bridge still answers: 503 OperationOutcome on the pages', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-web-'));
    const app = express().use(webRouter(empty));
    for (const p of ['/portal/', '/shl/view']) {
      const res = await request(app).get(p);
      expect(res.status).toBe(503);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(/npm run build/);
      expect(res.headers['content-security-policy']).toBe(WEB_CSP);
    }
  });

  test('the shell loads with no CSP violation, no inline script, and nothing fetched from another origin', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context, bridge.url);
    await w.page.goto(`${bridge.url}/portal/`);
    await w.page.waitForSelector('body[data-app=ready]');
    await w.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await w.page.locator('script:not([src])').count()).toBe(0);
    expect(await w.page.locator('style').count()).toBe(0);
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    // the viewer too
    await w.page.goto(`${bridge.url}/shl/view`);
    await w.page.waitForSelector('body[data-app=ready]');
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    await context.close();
  });

  test('sign-in is usable by keyboard: labelled controls in order, visible focus, the enrolment screen reachable', async () => {
    const context = await browser.newContext();
    const { page } = await watchedPage(context, bridge.url);
    await page.goto(`${bridge.url}/portal/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // string expressions: this code base type-checks against Node's globals, not the DOM's
    const focused = (): Promise<{ tag: string; label?: string; outline: string }> =>
      page.evaluate(`(() => {
        const el = document.activeElement;
        const label = el.labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? el.textContent;
        return { tag: el.tagName, label: label?.trim(), outline: getComputedStyle(el).outlineStyle };
      })()`);
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      expect(f.outline).toBe('solid'); // :focus-visible ring
      order.push(`${f.tag}:${f.label}`);
    }
    expect(order).toEqual(['BUTTON:Sign in with a passkey', 'INPUT:Username', 'INPUT:Password', 'BUTTON:Sign in', 'BUTTON:Enrol with a code']);
    // every control has a label
    const unlabelled = await page.evaluate(
      "[...document.querySelectorAll('input, select')].filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).length",
    );
    expect(unlabelled).toBe(0);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Enrol' }).waitFor();
    await page.keyboard.press('Tab');
    expect((await focused()).label).toBe('Enrolment code from your clinic');
    await context.close();
  });

  test('a virtual passkey authenticator is available; a sign-in endpoint that is missing shows an error panel, not a broken page', async () => {
    const context = await browser.newContext();
    const { page, consoleLines } = await watchedPage(context, bridge.url);
    await page.goto(`${bridge.url}/portal/`);
    const { authenticatorId } = await addVirtualAuthenticator(context, page);
    expect(authenticatorId).toBeTruthy();
    expect(await page.evaluate('PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()')).toBe(true);
    const signinExists = (await fetch(`${bridge.url}/auth/signin/passkey/options`, { method: 'POST' })).status !== 404;
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    if (!signinExists) {
      const panel = page.getByTestId('error-panel');
      await panel.waitFor();
      expect(await panel.textContent()).toMatch(/not available on this bridge.*404/);
    }
    // the password form's fields never reach the console
    await page.getByLabel('Username').fill('someone.private');
    await page.getByLabel('Password', { exact: true }).fill('a secret password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('error-panel').waitFor();
    expect(consoleLines.join('\n')).not.toMatch(/someone\.private|a secret password/);
    await context.close();
  });

  test('the timeline renders plots (one per code and unit) and the list from /patients/{id}/history', async () => {
    const clinic = await bridge.clinic('Berlin clinic');
    const bundle = patientBundle({ id: 'tl-1', family: 'Weber', given: 'Anna', birthDate: '1980-02-03' }) as { entry: unknown[] };
    for (let i = 0; i < 5; i++)
      bundle.entry.push({
        resource: {
          resourceType: 'Observation',
          id: `w-${i}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
          subject: { reference: 'Patient/tl-1' },
          effectiveDateTime: `2024-0${i + 1}-10T09:00:00Z`,
          valueQuantity: { value: 70 + i, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
        },
        request: { method: 'PUT', url: `Observation/w-${i}` },
      });
    const pushed = await api(bridge.url, clinic.apiKey, 'POST', '/fhir', bundle);
    expect(pushed.status).toBe(200);
    const patientId = pushed.body.entry[0].response.location.split('/')[1];
    const history = await api(bridge.url, clinic.apiKey, 'GET', `/patients/${patientId}/history`);
    expect(history.status).toBe(200);

    const context = await browser.newContext();
    const w = await watchedPage(context, bridge.url);
    await w.page.goto(`${bridge.url}/portal/`);
    // The clinic's key stands in for a patient token here (the patient sign-in is tested by the flow tests).
    await seedPortalToken(w.page, clinic.apiKey, patientId);
    await w.page.reload();
    await w.page.waitForSelector('body[data-timeline=ready]');
    expect(await w.page.getByTestId('plot').count()).toBe(2); // body weight (kg) and heart rate (/min)
    expect(await w.page.locator('[data-testid=plot] canvas').count()).toBe(2);
    expect(await w.page.getByTestId('plot').first().textContent()).toMatch(/Body weight.*kg.*latest 74, 5 values/);
    await w.page.getByRole('button', { name: 'List' }).click();
    expect(await w.page.locator('[data-testid=timeline-list] tbody tr').count()).toBe(history.body.events.length);
    expect(w.violations).toEqual([]); // uplot's canvas and styles pass the CSP
    expect(w.page.url()).toBe(`${bridge.url}/portal/`); // no personal data in the URL
    // the other screens degrade to an error panel while their endpoints answer 403/404
    for (const view of ['access', 'consents', 'notifications', 'links']) {
      await w.page
        .getByRole('link', { name: { access: 'Access log', consents: 'Consents', notifications: 'Notifications', links: 'Health Links' }[view] })
        .click();
      await w.page.locator('main h1, [data-testid=error-panel]').first().waitFor();
    }
    expect(w.violations).toEqual([]);
    await context.close();
  });

  test('a token the bridge refuses (expired, revoked) brings the sign-in screen back and is forgotten', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context, bridge.url);
    await w.page.goto(`${bridge.url}/portal/`);
    await seedPortalToken(w.page, 'fapt_not-a-live-token', 'some-patient');
    await w.page.reload();
    await w.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await w.page.evaluate("sessionStorage.getItem('portal.token')")).toBeNull();
    await context.close();
  });
});
