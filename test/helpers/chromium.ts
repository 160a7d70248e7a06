/**
 * Real-browser tests: Debian's chromium (never a downloaded browser) driven by playwright-core, flags from
 * /work/shared/TOOLCHAIN.md ("Browser pages and tests"). playwright's launch() gives every browser a fresh temporary
 * user-data dir. Tests skip with one line when no chromium is installed (`.ci/run` installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

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

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

const ROOT = path.resolve(__dirname, '../..');
/**
 * Builds the pages (dist/web) when they are missing or older than their sources (npm ci / npm run build normally did
 * it): web/, and what the verifier bundles from the bridge (the log core, the registry's ABI).
 */
export function ensureWebBuilt(): void {
  const outputs = ['dist/web/portal/index.html', 'dist/web/verifier/index.html', 'dist/web/verifier-standalone.html'].map((f) => path.join(ROOT, f));
  const newest = (p: string): number =>
    fs.statSync(p).isDirectory() ? fs.readdirSync(p).reduce((m, name) => Math.max(m, newest(path.join(p, name))), 0) : fs.statSync(p).mtimeMs;
  const sources = Math.max(...['web', 'bridge/log', 'bridge/anchor/AnchorRegistry.artifact.json'].map((s) => newest(path.join(ROOT, s))));
  if (outputs.every((o) => fs.existsSync(o) && fs.statSync(o).mtimeMs >= sources)) return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.mts'], { cwd: ROOT, stdio: 'pipe' });
}

/**
 * Hands the portal a token as its sign-in would (sessionStorage of this tab), for pages whose sign-in is not under test.
 * A string expression: this code base type-checks against Node's globals, not the DOM's.
 */
export async function seedPortalToken(page: Page, token: string, patient: string): Promise<void> {
  const value = JSON.stringify({ access_token: token, patient, expiresAt: Date.now() + 600_000 });
  await page.evaluate(`sessionStorage.setItem('portal.token', ${JSON.stringify(value)})`);
}
