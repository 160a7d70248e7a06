/**
 * The patient portal (`/portal/`), the SMART Health Link viewer (`/shl/view`) and the verifier (`/verify/`): static
 * files built by vite into dist/web/ (`npm run build`). Served with a strict Content-Security-Policy (no inline script
 * or style, same-origin fetches only, no framing) and no referrer, so neither the pages nor a link's fragment leak
 * anywhere. When the build is missing the bridge still serves its API and these paths answer 503 with an OperationOutcome.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { outcomes } from '../../fhir/outcome';
import { sendOutcome } from '../errors';

export const WEB_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The verifier's policy: WEB_CSP but for fetches, which may go to any http(s) URL, because the page asks the JSON-RPC
 * node whose URL the user types (it never calls this bridge; the page's own code sends nothing elsewhere) and no forms.
 */
export const VERIFY_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src http: https:; font-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** dist/web of this checkout or package: the nearest folder up from here holding package.json. */
export function defaultWebDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

function secure(res: Response, csp = WEB_CSP): void {
  res.set('Content-Security-Policy', csp);
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('X-Frame-Options', 'DENY');
  res.set('Cross-Origin-Opener-Policy', 'same-origin');
  res.set('Cross-Origin-Resource-Policy', 'same-origin');
}

export function webRouter(dir: string = defaultWebDir()): Router {
  const router = Router();
  const page =
    (file: string, csp = WEB_CSP, download?: string) =>
    (_req: express.Request, res: Response) => {
      secure(res, csp);
      const full = path.join(dir, file);
      if (!fs.existsSync(full)) {
        sendOutcome(res, outcomes.unavailable('the portal is not built on this bridge: run `npm run build`'));
        return;
      }
      res.set('Cache-Control', 'no-cache');
      // A file to keep is never rendered under this origin: it carries its own policy (inline code allowed by hash).
      if (download) res.attachment(download);
      res.type('html').sendFile(full);
    };
  router.use(['/portal', '/shl/view'], (_req, res, next) => {
    secure(res);
    next();
  });
  router.use('/verify', (_req, res, next) => {
    secure(res, VERIFY_CSP);
    next();
  });
  // Hashed file names: cached for a year, never revalidated.
  router.use('/portal/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true, redirect: false }));
  router.get('/portal', (req, res, next) => {
    // Express matches /portal and /portal/ alike; only the bare one redirects (the page's relative routes need the slash).
    if (req.originalUrl.split('?')[0] === '/portal') {
      secure(res);
      res.redirect(301, '/portal/');
    } else next();
  });
  router.get('/portal/', page('portal/index.html'));
  router.get('/shl/view', page('shl-viewer/index.html'));
  router.get('/verify', (req, res, next) => {
    if (req.originalUrl.split('?')[0] === '/verify') {
      secure(res, VERIFY_CSP);
      res.redirect(301, '/verify/');
    } else next();
  });
  router.get('/verify/', page('verifier/index.html', VERIFY_CSP));
  router.get('/verify/verifier.html', page('verifier-standalone.html', VERIFY_CSP, 'fhir-anchor-verifier.html'));
  return router;
}
