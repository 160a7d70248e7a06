/**
 * Real-browser tests: Debian's chromium (never a downloaded browser) driven by playwright-core, flags from
 * /work/shared/TOOLCHAIN.md ("Browser pages and tests"). playwright's launch() gives every browser a fresh temporary
 * user-data dir. Tests skip with one line when no chromium is installed (`.ci/run` installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CHROMIUM_PATH, else `chromium` on PATH, else /usr/bin/chromium; undefined when none exists. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  const which = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found) return found;
  return fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export const CHROMIUM = chromiumPath();

/** `describe`, or `describe.skip` with a one-line notice when no chromium is installed. */
export function describeInBrowser(name: string, body: () => void): void {
  if (!CHROMIUM) {
    console.log(`${name}: skipped, no chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    describe.skip(name, body);
  } else describe(name, body);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

const ROOT = path.resolve(__dirname, '../..');
/** Builds the pages (dist/web) when they are missing or older than web/ (npm ci / npm run build normally did it). */
export function ensureWebBuilt(): void {
  const index = path.join(ROOT, 'dist/web/portal/index.html');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newest(path.join(ROOT, 'web'))) return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.mts'], { cwd: ROOT, stdio: 'pipe' });
}

export interface WatchedPage {
  page: Page;
  /** CSP violations reported by the page (securitypolicyviolation events) and console errors naming the CSP. */
  violations: string[];
  /** Requests to any other origin than the bridge's. */
  foreign: string[];
  /** Console messages (checked for personal data). */
  consoleLines: string[];
}

/** A page that records CSP violations, console output and every request leaving the bridge's origin (aborted). */
export async function watchedPage(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const violations: string[] = [];
  const foreign: string[] = [];
  const consoleLines: string[] = [];
  await context.exposeBinding('__cspViolation', (_src, v: string) => void violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    consoleLines.push(m.text());
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { page, violations, foreign, consoleLines };
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
