/**
 * The patient portal (`/portal/`) and the SMART Health Link viewer (`/shl/view`): static files built by vite into
 * dist/web/ (`npm run build`). Served with a strict Content-Security-Policy (no inline script or style, same-origin
 * fetches only, no framing) and no referrer, so neither the pages nor a link's fragment leak anywhere. When the build
 * is missing the bridge still serves its API and these paths answer 503 with an OperationOutcome.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { outcomes } from '../../fhir/outcome';
import { sendOutcome } from '../errors';

export const WEB_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** dist/web of this checkout or package: the nearest folder up from here holding package.json. */
export function defaultWebDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

function secure(res: Response): void {
  res.set('Content-Security-Policy', WEB_CSP);
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('X-Frame-Options', 'DENY');
  res.set('Cross-Origin-Opener-Policy', 'same-origin');
  res.set('Cross-Origin-Resource-Policy', 'same-origin');
}

export function webRouter(dir: string = defaultWebDir()): Router {
  const router = Router();
  const page = (file: string) => (_req: express.Request, res: Response) => {
    secure(res);
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) {
      sendOutcome(res, outcomes.unavailable('the portal is not built on this bridge: run `npm run build`'));
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.type('html').sendFile(full);
  };
  router.use(['/portal', '/shl/view'], (_req, res, next) => {
    secure(res);
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
  return router;
}
