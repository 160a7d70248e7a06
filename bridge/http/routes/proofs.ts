/**
 * Inclusion proofs of what was read (issue 11): `GET /fhir/{type}/{id}/_history/{vid}/\\$proof` and
 * `GET /fhir/{type}/{id}/\\$proof` (current version) answer the `fhir-anchor-proof/1` JSON; 202 with Retry-After while
 * the entry waits for its checkpoint; 404/410 exactly as the read. Access and audit: bridge/access/proofs.ts.
 */
import { Request, Response, Router, type RequestHandler } from 'express';
import { PENDING_RETRY_SECONDS, proofOfRead } from '../../access/proofs';
import type { AccessServices } from '../../access/services';
import type { ProofAnswer } from '../../log/service';
import { boundedInteger } from '../../fhir/integers';
import { informational, outcomes } from '../../fhir/outcome';
import { sessionOf } from '../auth';
import { FHIR_JSON } from '../errors';
import { knownType, notFound } from './fhir-common';

/** 200 with the proof, 202 + Retry-After while pending, 404 when the log has no such entry. */
export function sendProof(res: Response, answer: ProofAnswer, what: string): void {
  if (answer && 'pending' in answer) {
    res
      .status(202)
      .set('Retry-After', String(PENDING_RETRY_SECONDS))
      .type(FHIR_JSON)
      .json(informational(`${what} is logged and waits for its checkpoint; ask again`));
    return;
  }
  if (!answer) throw outcomes.notFound(`${what} has no entry in the log`);
  res.status(200).type('application/json').json(answer);
}

/**
 * `_proofs=true`: each entry carries its log inclusion proof (bridge/access/proofs.ts). A query parameter, not
 * `Prefer`: it changes the representation (and so what a cache keys on), and paging links carry it to the next page.
 */
/**
 * `$everything` also takes `_proofs=page`: the page's proofs with each distinct sibling once and the entries' leaves in
 * columns, all in Bundle.meta (bridge/log/page-proof.ts): a seventh of the bytes the proofs of a thousand entries take.
 */
export function everythingProofs(req: Request): false | 'entries' | 'page' {
  if (req.query._proofs === 'page') return 'page';
  if (req.query._proofs === undefined || req.query._proofs === 'false') return false;
  if (req.query._proofs === 'true') return 'entries';
  throw outcomes.invalid('_proofs must be true, false or page', '_proofs');
}

export function proofsAsked(req: Request, v: unknown = req.query._proofs): boolean {
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw outcomes.invalid('_proofs must be true or false', '_proofs');
}

export function proofRouter(svc: AccessServices, reads: RequestHandler): Router {
  const router = Router();
  const p = (req: Request): Record<string, string> => req.params as Record<string, string>;
  router.get('/:type/:id/_history/:vid/\\$proof', reads, async (req, res) => {
    const type = knownType(p(req).type);
    const r = await proofOfRead(svc, sessionOf(req), type, p(req).id, boundedInteger(p(req).vid, 1));
    if (!r) throw notFound(type, `${p(req).id}/_history/${p(req).vid}`);
    if (r.stored.deleted) throw outcomes.gone(`${type}/${p(req).id} version ${p(req).vid} is a deletion`);
    sendProof(res, r.answer, `${type}/${p(req).id} version ${p(req).vid}`);
  });
  router.get('/:type/:id/\\$proof', reads, async (req, res) => {
    const type = knownType(p(req).type);
    const r = await proofOfRead(svc, sessionOf(req), type, p(req).id, 'current');
    if (!r) throw notFound(type, p(req).id);
    if (r.stored.deleted) throw outcomes.gone(`${type}/${p(req).id} was deleted`);
    sendProof(res, r.answer, `${type}/${p(req).id}`);
  });
  return router;
}
