import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser';
import { startTestBridge, type TestBridge } from '../helpers/server';

/**
 * A browser FHIR app on another origin (issue 12, "CORS for browser apps"), in Debian's chromium: from the origin in
 * CORS_ORIGINS it creates and reads a Patient with a bearer key (the preflight answered without one) and reads the
 * headers a FHIR client needs; from any other origin the browser gets nothing. Not a mock of CORS: chromium enforces it.
 */
let bridge: TestBridge;
let browser: Browser;
let app: http.Server;
let appPort: number;
let key: string;

/** An empty page on 127.0.0.1:<port>, the app; the same server is also reachable as localhost:<port>, another origin. */
const page = (): Promise<http.Server> =>
  new Promise((resolve) => {
    const s = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });

describeInBrowser('CORS in a browser', () => {
  beforeAll(async () => {
    app = await page();
    appPort = (app.address() as AddressInfo).port;
    bridge = await startTestBridge({ corsOrigins: [`http://127.0.0.1:${appPort}`] });
    key = (await bridge.clinic('Browser app clinic')).apiKey;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await new Promise((r) => app?.close(r));
  });

  /** Runs the app's calls in a page of `origin`: create a Patient, read it back; what the page could see. */
  async function callsFrom(origin: string): Promise<unknown> {
    const p: Page = await browser.newPage();
    try {
      await p.goto(`${origin}/`);
      return await p.evaluate(
        async ({ base, key }) => {
          try {
            const headers = {
              Authorization: `Bearer ${key}`,
              Accept: 'application/fhir+json',
              'Content-Type': 'application/fhir+json',
              Prefer: 'return=representation',
            };
            const created = await fetch(`${base}/fhir/Patient`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Browser' }] }),
            });
            const body = (await created.json()) as { id: string };
            const read = await fetch(`${base}/fhir/Patient/${body.id}`, { headers: { Authorization: `Bearer ${key}` } });
            return {
              status: created.status,
              location: created.headers.get('Location'),
              etag: read.headers.get('ETag'),
              family: ((await read.json()) as { name: { family: string }[] }).name[0].family,
            };
          } catch (e) {
            return { error: String(e) };
          }
        },
        { base: bridge.url, key },
      );
    } finally {
      await p.close();
    }
  }

  test('the allowed origin creates and reads with a bearer key, and sees Location and ETag', async () => {
    const seen = (await callsFrom(`http://127.0.0.1:${appPort}`)) as Record<string, string>;
    expect(seen).toMatchObject({ status: 201, etag: 'W/"1"', family: 'Browser' });
    expect(seen.location).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1$/);
  });

  test('another origin is blocked by the browser, and nothing it sent was stored', async () => {
    const before = (await bridge.database.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient'")).rows[0].n;
    const seen = (await callsFrom(`http://localhost:${appPort}`)) as Record<string, string>;
    expect(seen.error).toMatch(/Failed to fetch|TypeError/);
    // The preflight failed, so the POST was never sent.
    const after = (await bridge.database.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient'")).rows[0].n;
    expect(after).toBe(before);
  });
});
