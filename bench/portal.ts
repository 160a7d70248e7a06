/**
 * Portal benchmark in headless chromium (Debian's, via playwright-core): first load (navigation start to the first
 * usable screen, performance mark `portal-ready`, a fresh browser context each round so nothing is cached) and the
 * timeline of a person with ≈ 1,000 resources (performance measure `timeline`: from the request for
 * /patients/{id}/history to the plots and list rendered). Targets (issue 10): first load < 1 s, timeline < 500 ms.
 * Prints p50/p99; asserts nothing.
 *
 *   npm run bench -- portal        Environment: DATABASE_URL (else embedded PostgreSQL), BENCH_PORTAL_ROUNDS=20
 */
import type { Page } from 'playwright-core';
import { CHROMIUM, ensureWebBuilt, launchChromium, seedPortalToken } from '../test/helpers/chromium';
import { startDemoBridge } from './portal-demo';

const ROUNDS = Number(process.env.BENCH_PORTAL_ROUNDS ?? 20);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const line = (name: string, xs: number[], target: number): string =>
  `${name.padEnd(34)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms   p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms   max ${Math.max(...xs)
    .toFixed(0)
    .padStart(5)} ms   (target < ${target} ms)`;

async function entry(page: Page, name: string, kind: 'mark' | 'measure'): Promise<number> {
  return page.evaluate(
    ([n, k]) => {
      const e = performance.getEntriesByName(n, k)[0];
      return k === 'mark' ? e.startTime : e.duration;
    },
    [name, kind] as const,
  );
}

async function main(): Promise<void> {
  if (!CHROMIUM) {
    console.log('portal: skipped, no chromium found (apt-get install -y chromium)');
    return;
  }
  ensureWebBuilt();
  const demo = await startDemoBridge();
  const browser = await launchChromium();
  try {
    const events = (
      (await (await fetch(`${demo.url}/patients/${demo.patientIds[0]}/history`, { headers: { authorization: `Bearer ${demo.portalToken}` } })).json()) as {
        events: unknown[];
      }
    ).events.length;
    console.log(
      `${demo.label}; person: ${demo.total} resources across 3 clinics, timeline of ${events} events; portal holds a patient token; ${ROUNDS} rounds`,
    );
    const firstLoad: number[] = [];
    const timeline: number[] = [];
    const toTimeline: number[] = [];
    for (let r = 0; r < ROUNDS + 2; r++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${demo.url}/portal/`);
      await page.waitForSelector('body[data-app=ready]');
      const load = await entry(page, 'portal-ready', 'mark');
      await seedPortalToken(page, demo.portalToken, demo.patientIds[0]);
      await page.reload();
      await page.waitForSelector('body[data-timeline=ready]');
      const t = await entry(page, 'timeline', 'measure');
      const nav = await entry(page, 'timeline-rendered', 'mark');
      if (r >= 2) {
        firstLoad.push(load);
        timeline.push(t);
        toTimeline.push(nav);
      }
      await context.close();
    }
    console.log(line('first load (navigation → ready)', firstLoad, 1000));
    console.log(line('timeline (fetch + render)', timeline, 500));
    console.log(line('navigation → timeline rendered', toTimeline, 1500));
  } finally {
    await browser.close();
    await demo.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
