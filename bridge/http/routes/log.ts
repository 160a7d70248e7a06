/**
 * `/log`: the verifiable log, served without authentication in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles):
 * the latest checkpoint with its cosignatures, published checkpoints by size, the log's verifier key, hash tiles,
 * entry bundles, and RFC 9162 consistency proofs. Entries are salted commitments: nothing here reveals a record.
 * Errors are plain text (tlog-tiles clients are not FHIR clients).
 */
import { Request, Response, Router } from 'express';
import type { AccessServices } from '../../access/services';
import type { LogService } from '../../log/service';
import { parseTilePath } from '../../log/tiles';

const TEXT = 'text/plain; charset=utf-8';
/** Full tiles never change; partial ones of a given width never change either (tlog-tiles §Tiles). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function plain(res: Response, status: number, text: string): void {
  res
    .status(status)
    .type(TEXT)
    .set('Cache-Control', 'no-store')
    .send(text.endsWith('\n') ? text : text + '\n');
}

const SIZE = /^(0|[1-9]\d{0,15})$/;

function sizeParam(v: unknown): number | null {
  return typeof v === 'string' && SIZE.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : null;
}

export function logRouter(access: AccessServices): Router {
  const router = Router();
  const withLog =
    (handler: (log: LogService, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      const log = access.verifiableLog;
      if (!log) return plain(res, 404, 'this bridge serves no verifiable log');
      try {
        await handler(log, req, res);
      } catch {
        plain(res, 500, 'the log could not be read');
      }
    };

  router.get(
    '/log/checkpoint',
    withLog(async (log, _req, res) => {
      const c = await log.checkpoint();
      if (!c) return plain(res, 404, 'no checkpoint has been published yet');
      res.status(200).type(TEXT).set('Cache-Control', 'no-cache').send(c.note);
    }),
  );
  router.get(
    '/log/checkpoint/:size',
    withLog(async (log, req, res) => {
      const size = sizeParam(req.params.size);
      if (size === null) return plain(res, 400, 'the checkpoint size must be a decimal tree size');
      const c = await log.checkpointAt(size);
      if (!c) return plain(res, 404, `no checkpoint of size ${size} was published`);
      // Its cosignatures may still grow: revalidate.
      res.status(200).type(TEXT).set('Cache-Control', 'no-cache').send(c.note);
    }),
  );
  router.get(
    '/log/key',
    withLog(async (log, _req, res) => {
      res
        .status(200)
        .type(TEXT)
        .set('Cache-Control', 'public, max-age=3600')
        .send(log.vkey + '\n');
    }),
  );
  router.get(
    /^\/log\/tile\/(.+)$/,
    withLog(async (log, req, res) => {
      const raw = (req.params as unknown as Record<string, string>)[0] ?? '';
      const t = parseTilePath(raw);
      if (!t) return plain(res, 400, 'malformed tile path (c2sp.org/tlog-tiles: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])');
      const bytes = t.level === 'entries' ? await log.entries(t.index, t.width) : await log.tile(t.level, t.index, t.width);
      if (!bytes) return plain(res, 404, 'the tree has no such tile');
      res.status(200).type('application/octet-stream').set('Cache-Control', IMMUTABLE).send(Buffer.from(bytes));
    }),
  );
  router.get(
    '/log/proof/consistency',
    withLog(async (log, req, res) => {
      const m = sizeParam(req.query.old);
      const n = sizeParam(req.query.new);
      if (m === null || n === null) return plain(res, 400, 'old and new must be decimal tree sizes');
      if (m > n) return plain(res, 400, 'old must not be larger than new');
      const p = await log.consistency(m, n);
      if (!p) return plain(res, 404, 'both sizes must be published checkpoints');
      res.status(200).set('Cache-Control', 'no-cache').json(p);
    }),
  );
  return router;
}
