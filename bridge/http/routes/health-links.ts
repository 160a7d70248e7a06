/**
 * SMART Health Links (HL7 SMART Health Cards and Links IG STU1, links-specification.html). The patient's side, on a
 * patient access token: `POST /shl` {label?, passcode?, expiresAt?} → 201 with the `shlink:/` (shown once), `GET /shl`,
 * `DELETE /shl/{id}`. The public side, no account, CORS-open (any viewer origin, no credentials):
 * `POST /shl/manifest/{manifestId}` {recipient, passcode?, embeddedLengthMax?} → the manifest (401 {remainingAttempts}
 * for a wrong passcode, 404 when not active), `GET /shl/file/{ticket}` → `application/jose`. Decisions and audit are
 * bridge/access/health-links.ts'; this file parses and answers.
 */
import express, { NextFunction, Request, Response, Router } from 'express';
import { createHealthLink, listHealthLinks, openFile, openManifest, revokeHealthLinkOf } from '../../access/health-links';
import type { AccessServices } from '../../access/services';
import { outcomes } from '../../fhir/outcome';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { publicOrigin } from '../toolkit/base-url';

export interface HealthLinkRouteOptions {
  access: AccessServices;
  guard?: AuthGuard;
  publicBaseUrl?: string;
}

const BODY_LIMIT = 8 * 1024;

/** JSON bodies only (the IG: `content-type: application/json`); 415 for anything else. */
function jsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.get('content-length') === '0' || (req.get('content-length') === undefined && req.get('transfer-encoding') === undefined)) return next();
  if (!req.is('application/json')) return next(outcomes.unsupportedMediaType('send the body as application/json'));
  express.json({ limit: BODY_LIMIT, strict: false })(req, _res, next);
}

/**
 * The public endpoints answer every origin (a viewer or a clinic's web software elsewhere), without credentials (no
 * cookie is read there); failures carry the header too so a browser can read a 401's remainingAttempts.
 */
function cors(methods: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Max-Age': '600', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    if (req.method === 'OPTIONS') {
      res
        .set({ 'Access-Control-Allow-Methods': `${methods}, OPTIONS`, 'Access-Control-Allow-Headers': 'Content-Type' })
        .status(204)
        .end();
      return;
    }
    next();
  };
}

export function healthLinkRouter(opts: HealthLinkRouteOptions): Router {
  const router = Router();
  const svc = opts.access;
  const auth = requireSession(svc, opts.guard);
  const noStore = (_req: Request, res: Response, next: NextFunction): void => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.post('/shl', noStore, auth, jsonBody, async (req: Request, res: Response) => {
    res.status(201).json(await createHealthLink(svc, sessionOf(req), req.body, publicOrigin(req, opts.publicBaseUrl)));
  });

  router.get('/shl', noStore, auth, async (req: Request, res: Response) => {
    res.json({ links: await listHealthLinks(svc, sessionOf(req)) });
  });

  router.delete('/shl/:id', auth, async (req: Request, res: Response) => {
    await revokeHealthLinkOf(svc, sessionOf(req), String(req.params.id));
    res.status(204).end();
  });

  const manifestCors = cors('POST');
  router.options('/shl/manifest/:manifestId', manifestCors);
  router.post('/shl/manifest/:manifestId', manifestCors, jsonBody, async (req: Request, res: Response) => {
    const origin = publicOrigin(req, opts.publicBaseUrl);
    const answer = await openManifest(svc, String(req.params.manifestId), req.body, (ticket) => `${origin}/shl/file/${ticket}`);
    if (answer.kind === 'passcode') {
      res.status(401).json({ remainingAttempts: answer.remainingAttempts, error: 'the passcode is missing or not correct' });
      return;
    }
    res.json(answer.manifest);
  });

  const fileCors = cors('GET');
  router.options('/shl/file/:ticket', fileCors);
  // HEAD would match the GET route and spend the single-use ticket (a link preview, a proxy's probe): refused.
  router.head('/shl/file/:ticket', fileCors, () => {
    throw outcomes.methodNotAllowed('GET the file; a location is single-use');
  });
  router.get('/shl/file/:ticket', fileCors, async (req: Request, res: Response) => {
    res.type('application/jose').send(await openFile(svc, String(req.params.ticket)));
  });
  return router;
}
