/** Browser-test helpers for jest (the chromium launch itself is in ./chromium, shared with the bench and scripts). */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { CHROMIUM } from './chromium';

export { CHROMIUM, CHROMIUM_ARGS, chromiumPath, ensureWebBuilt, launchChromium, seedPortalToken } from './chromium';

/** `describe`, or `describe.skip` with a one-line notice when no chromium is installed. */
export function describeInBrowser(name: string, body: () => void): void {
  if (!CHROMIUM) {
    console.log(`${name}: skipped, no chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    describe.skip(name, body);
  } else describe(name, body);
}

export interface WatchedPage {
  page: Page;
  /** CSP violations reported by the page (securitypolicyviolation events) and console errors naming the CSP. */
  violations: string[];
  /** Requests to any other origin than the bridge's (and the `also` origins), aborted. */
  foreign: string[];
  /** Every request the page made that was let through (the bridge's and the `also` origins'). */
  requests: string[];
  /** Console messages (checked for personal data). */
  consoleLines: string[];
}

/**
 * A page that records CSP violations, console output and every request leaving the bridge's origin (aborted), except
 * to the `also` origins (the verifier's RPC node). `origin` 'null' lets file:// pages load themselves.
 */
export async function watchedPage(context: BrowserContext, origin: string, also: string[] = []): Promise<WatchedPage> {
  const violations: string[] = [];
  const foreign: string[] = [];
  const requests: string[] = [];
  const allowed = new Set([origin, ...also]);
  const consoleLines: string[] = [];
  await context.exposeBinding('__cspViolation', (_src, v: string) => void violations.push(v));
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));",
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.has(new URL(url).origin) || url.startsWith('data:') || url.startsWith('blob:')) {
      requests.push(url);
      return route.continue();
    }
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    consoleLines.push(m.text());
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { page, violations, foreign, requests, consoleLines };
}

/** Chromium's virtual authenticator (CDP WebAuthn domain): a platform passkey authenticator with user verification. */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { cdp, authenticatorId };
}
