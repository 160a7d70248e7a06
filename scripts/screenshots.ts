/**
 * `npm run screenshots`: starts a bridge with demo data (bench/portal-demo.ts; DATABASE_URL or an embedded PostgreSQL),
 * drives the portal in headless chromium and writes PNGs of its main screens to docs/screenshots/. A screen whose
 * endpoint this bridge does not serve (an error panel) is reported and not written, so only real screens are kept.
 * The portal is handed a patient token of the demo person (the sign-in itself is tested in test/browser/).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startDemoBridge } from '../bench/portal-demo';
import { CHROMIUM, ensureWebBuilt, launchChromium, seedPortalToken } from '../test/helpers/chromium';

const OUT = path.resolve(__dirname, '../docs/screenshots');

async function shoot(page: Page, name: string, ready: string): Promise<void> {
  await page.waitForSelector(`${ready}, [data-testid=error-panel]`, { state: 'attached' });
  await page.waitForTimeout(150); // let plots and the QR code paint
  if (await page.getByTestId('error-panel').count()) {
    console.log(`${name}: not written (${(await page.getByTestId('error-panel').first().textContent())?.trim()})`);
    return;
  }
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: false });
  console.log(`${name}: docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  if (!CHROMIUM) throw new Error('no chromium found (apt-get install -y chromium)');
  ensureWebBuilt();
  fs.mkdirSync(OUT, { recursive: true });
  const demo = await startDemoBridge({ encountersPerPatient: 12, background: 2 });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 820 } });
    const page = await context.newPage();
    await page.goto(`${demo.url}/portal/`);
    await shoot(page, 'signin', 'h1#signin-h');
    await page.getByRole('button', { name: 'Enrol with a code' }).click();
    await shoot(page, 'enrol', 'h1#enrol-h');
    await seedPortalToken(page, demo.portalToken, demo.patientIds[0]);
    await page.goto(`${demo.url}/portal/#/timeline`);
    await page.reload();
    await shoot(page, 'timeline-plots', 'body[data-timeline=ready]');
    await page.getByRole('button', { name: 'List' }).click();
    await shoot(page, 'timeline-list', '[data-testid=timeline-list]');
    for (const [view, name, ready] of [
      ['access', 'access-log', '[data-testid=access-log]'],
      ['consents', 'consents', '[data-testid=consents]'],
      ['notifications', 'notifications', '[data-testid=notifications]'],
      ['links', 'health-links', '[data-testid=links]'],
    ]) {
      await page.goto(`${demo.url}/portal/#/${view}`);
      await shoot(page, name, ready);
    }
    if (!(await page.getByTestId('error-panel').count())) {
      await page.getByLabel('Label (for you)').fill('Holiday in Portugal');
      await page.getByRole('button', { name: 'Create link' }).click();
      await shoot(page, 'health-link-qr', '[data-testid=qr]');
      const viewerUrl = await page
        .getByTestId('viewer-url')
        .inputValue()
        .catch(() => '');
      if (viewerUrl) {
        const abroad = await browser.newContext({ viewport: { width: 1200, height: 820 } });
        const v = await abroad.newPage();
        await v.goto(viewerUrl);
        await v.getByLabel(/Your name/).fill('Dr. Costa, Hospital de Santa Maria');
        await v.getByRole('button', { name: 'Open the summary' }).click();
        await shoot(v, 'shl-viewer', '[data-testid=ips]');
      }
    }
  } finally {
    await browser.close();
    await demo.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
