/**
 * RESTful writes of one resource: create (`POST /fhir/{type}`, conditional with If-None-Exist), update
 * (`PUT /fhir/{type}/{id}`, conditional `PUT /fhir/{type}?criteria`) and delete (`DELETE` likewise). Each is pushed
 * by the access layer as the one-entry transaction of bridge/fhir/single-write, so it is validated, stored, hashed and
 * anchored like any push; the answer is the FHIR one (201/200 with the resource, Location, ETag; 204 for a delete)
 * plus X-Bundle-Hash. `Prefer: return=minimal | OperationOutcome` trades the resource for nothing or an outcome.
 */
import { Request, Response, Router } from 'express';
import { patchOne, writeOne } from '../../access/writes';
import { JSON_PATCH_TYPE as JSON_PATCH, patchOf } from '../../fhir/patch';
import { parseLimitedJson } from '../../fhir/json-limits';
import { returnPreference } from '../../fhir/negotiation';
import { informational, outcomes } from '../../fhir/outcome';
import type { SingleWrite } from '../../fhir/single-write';
import { parseJsonBody } from '../../fhir/prepare';
import { sessionOf } from '../auth';
import { FHIR_BODY_TYPES, fhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl } from '../toolkit';
import { fhirBodyText, FhirRouteOptions, knownType, sendResource, setPushHeaders } from './fhir-common';

/** The query string as sent (`identifier=http://x|1`), for conditional update and delete. */
const criteriaOf = (req: Request): string | undefined => {
  const q = req.originalUrl.split('?')[1];
  return q ? q : undefined;
};

export function writeRouter(opts: FhirRouteOptions): Router {
  const router = Router();
  const body = fhirBody(opts.maxBodyBytes);

  async function write(req: Request, res: Response, w: SingleWrite): Promise<void> {
    await answer(req, res, w, await writeOne(opts.access, sessionOf(req), w));
  }

  /** The FHIR answer of a write (a PATCH answers as the update it was). */
  async function answer(
    req: Request,
    res: Response,
    w: { method: string; type: string },
    { result, stored }: Awaited<ReturnType<typeof writeOne>>,
  ): Promise<void> {
    setPushHeaders(res, result);
    const answer = result.response.entry?.[0]?.response;
    const status = Number(answer?.status.split(' ')[0]) || 200;
    if (answer?.etag) res.set('ETag', answer.etag);
    if (answer?.lastModified) res.set('Last-Modified', new Date(answer.lastModified).toUTCString());
    if (w.method === 'DELETE') {
      if (answer?.outcome)
        res
          .status(status === 204 ? 200 : status)
          .type(FHIR_JSON)
          .json(answer.outcome);
      else res.status(204).end();
      return;
    }
    if (!stored) throw outcomes.internal('the write was applied but its result could not be read back');
    res.set('Location', `${fhirBaseUrl(req, opts.publicBaseUrl)}/${answer?.location}`);
    // R4 http.html#ops: Prefer return=minimal (no body), return=OperationOutcome, else the resource.
    const preferred = returnPreference(req.get('Prefer'));
    if (preferred === 'minimal') {
      res.status(status).end();
      return;
    }
    if (preferred === 'OperationOutcome') {
      const verb = status === 201 ? 'created' : 'updated';
      res
        .status(status)
        .type(FHIR_JSON)
        .json(informational(`${w.type}/${stored.id} ${verb}: version ${stored.version}`));
      return;
    }
    sendResource(res, stored, status);
  }

  const resourceBody = (req: Request, type: string): unknown => parseJsonBody(fhirBodyText(req, `${type} resource`));
  /** If-Match as sent: checked (400 when malformed, 412 when stale) by the push, inside its transaction. */
  const ifMatch = (req: Request): { ifMatch?: string } => (req.get('If-Match') !== undefined ? { ifMatch: req.get('If-Match') } : {});

  router.post('/:type', body, async (req, res) => {
    const type = knownType(req.params.type);
    await write(req, res, { method: 'POST', type, ifNoneExist: req.get('If-None-Exist') || undefined, ...ifMatch(req), resource: resourceBody(req, type) });
  });
  // R4 http.html#patch: JSON Patch (RFC 6902) as application/json-patch+json; FHIRPath Patch (R4 fhirpatch.html) as a
  // Parameters resource in FHIR JSON.
  router.patch('/:type/:id', fhirBody(opts.maxBodyBytes, [JSON_PATCH, ...FHIR_BODY_TYPES]), async (req, res) => {
    const type = knownType(req.params.type);
    if (!req.is([JSON_PATCH, ...FHIR_BODY_TYPES]))
      throw outcomes.unsupportedMediaType('send a JSON Patch as application/json-patch+json, or a FHIRPath Patch as application/fhir+json');
    const patch = patchOf(req.is(JSON_PATCH) ? 'json-patch' : 'fhirpath-patch', parseLimitedJson(typeof req.body === 'string' ? req.body : ''));
    const done = await patchOne(opts.access, sessionOf(req), type, req.params.id, patch, req.get('If-Match'));
    await answer(req, res, { method: 'PATCH', type }, done);
  });
  router.put('/:type/:id', body, async (req, res) => {
    const type = knownType(req.params.type);
    await write(req, res, { method: 'PUT', type, id: req.params.id, ...ifMatch(req), resource: resourceBody(req, type) });
  });
  router.put('/:type', body, async (req, res) => {
    const type = knownType(req.params.type);
    await write(req, res, { method: 'PUT', type, criteria: criteriaOf(req), ...ifMatch(req), resource: resourceBody(req, type) });
  });
  router.delete('/:type/:id', async (req, res) => {
    await write(req, res, { method: 'DELETE', type: knownType(req.params.type), id: req.params.id, ...ifMatch(req) });
  });
  router.delete('/:type', async (req, res) => {
    await write(req, res, { method: 'DELETE', type: knownType(req.params.type), criteria: criteriaOf(req), ...ifMatch(req) });
  });
  return router;
}
