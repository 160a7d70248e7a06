import type { Bundle, Meta, Resource } from '@medplum/fhirtypes';
import express, { NextFunction, Request, Response, Router } from 'express';
import { readAllVersions, readHistoryFeed, readMetaInUse, readOne, readOneVersion, search, type StoredResource } from '../../access/reads';
import { proofExtension, proofsOfServed } from '../../access/proofs';
import { pushBundleAs } from '../../access/writes';
import { boundedInteger } from '../../fhir/integers';
import { FhirError, operationOutcome, outcomes } from '../../fhir/outcome';
import { parseJsonBody } from '../../fhir/prepare';
import { validateRequestOf, validationOutcome } from '../../fhir/validate-operation';
import { resourceTypes } from '../../fhir/resource-types';
import { selectElements, summarize } from '../../fhir/summary';
import type { SearchQuery } from '../../fhir/search-params';
import { admitAccess, requireSession, sessionOf } from '../auth';
import { capabilityStatement } from '../capability';
import { fhirScopeGuard } from '../scope-guard';
import { fhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, pagedUrl, pageLinks } from '../toolkit';
import { auditEventRouter } from './audit-events';
import { runBundleOperation } from './bundle-operations';
import { fhirBodyText, FhirRouteOptions, knownType, notFound, sendResource, setPushHeaders } from './fhir-common';
import { proofRouter, proofsAsked } from './proofs';
import { writeRouter } from './writes';

export type { FhirRouteOptions } from './fhir-common';

const formBody = express.urlencoded({ extended: false, limit: 64 * 1024 });

/** URL and body parameters of a POST _search, a name in both given twice (each value ANDed, as in a GET). */
function mergedParams(query: Record<string, unknown>, body: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...query };
  for (const [k, v] of Object.entries(body ?? {})) out[k] = k in out ? [out[k], v].flat() : v;
  return out;
}

/** Methods each FHIR path serves (R4 http.html); any other method on a known path is 405 with Allow. */
const ALLOWED = { type: 'GET, HEAD, POST, PUT, DELETE', instance: 'GET, HEAD, PUT, PATCH, DELETE', history: 'GET, HEAD' } as const;

/**
 * `/fhir`: push bundles, read, vread, history, search, metadata, AuditEvent. Handlers stay thin: HTTP in, an
 * access-layer call (bridge/access: session, policy, audit), HTTP out. Another clinic's patient records are read
 * under consent or an admitted break-glass; every push, read, search and refusal is audited before the answer.
 */
export function fhirRouter(opts: FhirRouteOptions): Router {
  const router = Router();
  const svc = opts.access;
  const base = (req: Request): string => fhirBaseUrl(req, opts.publicBaseUrl);
  resourceTypes(); // read the type list at start, not on the first request
  router.get('/metadata', (req, res) => {
    res.type(FHIR_JSON).json(capabilityStatement(base(req), [...resourceTypes()].sort(), opts.version));
  });
  router.use(requireSession(svc, opts.guard));
  router.use(fhirScopeGuard(svc));
  router.use(auditEventRouter(svc, base, opts.publicBaseUrl));

  // The body stays text: the push (parse, validate, store) runs on an ingest worker, off the HTTP thread.
  router.post('/', fhirBody(opts.maxBodyBytes), async (req, res) => {
    const result = await pushBundleAs(svc, sessionOf(req), fhirBodyText(req, 'Bundle'));
    setPushHeaders(res, result);
    // `GET Type?params` entries (R4 http.html#transaction: processed last) are searched now, as this reader, each
    // audited like any search; a search that fails is that entry's error.
    // Operation entries are answered the same way, through the access-layer calls of their own routes.
    const deferred = [
      ...result.searches.map((s) => ({ index: s.index, answer: () => searchsetOf(req, s.resourceType, s.params) })),
      ...result.operations.map((o) => ({ index: o.index, answer: () => runBundleOperation(svc, sessionOf(req), base(req), o) })),
    ].sort((a, b) => a.index - b.index);
    for (const d of deferred) {
      const entry = result.response.entry?.[d.index];
      if (!entry) continue;
      try {
        entry.resource = await d.answer();
      } catch (err) {
        if (!(err instanceof FhirError)) throw err;
        entry.response = { status: String(err.status), outcome: operationOutcome(err.issues) };
      }
    }
    res.status(200).type(FHIR_JSON).json(result.response);
  });
  // A known path with a method it does not serve: 405 (an unknown type stays 404). Operations (`$…`) pass on.
  const notAllowed =
    (allow: string) =>
    (req: Request, res: Response, next: NextFunction): void => {
      if (Object.values(req.params).some((p) => String(p).startsWith('$'))) return next();
      if (req.params.type !== undefined) knownType(String(req.params.type));
      res.set('Allow', allow);
      throw outcomes.methodNotAllowed(`${req.method} is not supported on this path; allowed: ${allow}`);
    };
  // History paths are read-only; checked before the write routes, which would take `_history` for a type.
  const readOnly = (req: Request, res: Response, next: NextFunction): void =>
    req.method === 'GET' || req.method === 'HEAD' ? next() : notAllowed(ALLOWED.history)(req, res, next);
  router.all(['/_history', '/:type/_history'], readOnly);
  router.use(writeRouter(opts));

  const p = (req: Request): Record<string, string> => req.params as Record<string, string>;
  // Reads honour X-Purpose-Of-Use and X-Break-Glass: admitted once here, carried by the session.
  const reads = admitAccess(svc);
  router.use(proofRouter(svc, reads));

  router.get('/:type/:id/_history/:vid', reads, async (req, res) => {
    const type = knownType(p(req).type);
    // A version number no integer column can hold names no version: 404 like any unknown version.
    const stored = await readOneVersion(svc, sessionOf(req), type, p(req).id, boundedInteger(p(req).vid, 1));
    if (!stored) throw notFound(type, `${p(req).id}/_history/${p(req).vid}`);
    if (stored.deleted) throw outcomes.gone(`${type}/${p(req).id} version ${p(req).vid} is a deletion`);
    sendResource(res, stored);
  });

  router.get('/:type/:id/_history', reads, async (req, res) => {
    const type = knownType(p(req).type);
    const versions = await readAllVersions(svc, sessionOf(req), type, p(req).id);
    if (!versions.length) throw notFound(type, p(req).id);
    res.type(FHIR_JSON).json(historyBundle(req, versions, { total: versions.length }));
  });

  // Type- and system-level history (R4 http.html#history), paged like a search.
  const historyFeed = async (req: Request, res: Response, type: string | undefined): Promise<void> => {
    const all = req.query as Record<string, unknown>;
    const { query, rows, hasMore } = await readHistoryFeed(svc, sessionOf(req), type, all);
    const link = pageLinks(query, { hasMore }, pagedUrl(`${base(req)}/${type ? `${type}/` : ''}_history`, all, query.count));
    res.type(FHIR_JSON).json(historyBundle(req, rows, { link }));
  };
  router.get('/_history', reads, (req, res) => historyFeed(req, res, undefined));
  // $meta at system and type level (R4 resource-operation-meta.html): the profiles, tags and labels in use.
  const metaFeed = async (req: Request, res: Response, type: string | undefined): Promise<void> => {
    const meta = await readMetaInUse(svc, sessionOf(req), type);
    const valueMeta = Object.fromEntries(Object.entries(meta).filter(([, v]) => (v as unknown[]).length));
    res.type(FHIR_JSON).json({ resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta }] });
  };
  router.get('/$meta', reads, (req, res) => metaFeed(req, res, undefined));
  router.get('/:type/$meta', reads, (req, res) => metaFeed(req, res, knownType(p(req).type)));
  router.get('/:type/_history', reads, (req, res) => historyFeed(req, res, knownType(p(req).type)));

  /** A history Bundle of `versions` (newest first): each entry the version, or only its request for a deletion. */
  function historyBundle(req: Request, versions: StoredResource[], extra: { total?: number; link?: Bundle['link'] }): Bundle {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'history',
      ...extra,
      entry: versions.map((v) => ({
        fullUrl: `${base(req)}/${v.resourceType}/${v.id}`,
        ...(v.deleted ? {} : { resource: v.content as unknown as Resource }),
        request: {
          method: v.deleted ? 'DELETE' : v.version === 1 ? 'POST' : 'PUT',
          url: v.version === 1 && !v.deleted ? v.resourceType : `${v.resourceType}/${v.id}`,
        },
        response: { status: v.deleted ? '204' : v.version === 1 ? '201' : '200', etag: `W/"${v.version}"`, lastModified: v.lastUpdated },
      })),
    };
    if (!bundle.entry?.length) delete bundle.entry;
    return bundle;
  }

  /** The current version of `{type}/{id}` for this reader (read and audited by the access layer); 404 unknown, 410 deleted. */
  async function current(req: Request): Promise<StoredResource> {
    const type = knownType(p(req).type);
    const stored = await readOne(svc, sessionOf(req), type, p(req).id);
    if (!stored) throw notFound(type, p(req).id);
    if (stored.deleted) throw outcomes.gone(`${type}/${p(req).id} was deleted`);
    return stored;
  }

  router.get('/:type/:id', reads, async (req, res) => {
    sendResource(res, await current(req));
  });

  /** An entry's resource as `_summary` or `_elements` asked (R4 search.html#summary, #elements), tagged SUBSETTED. */
  const shaped = (query: SearchQuery, content: Record<string, unknown>): Record<string, unknown> =>
    query.elements ? selectElements(content, query.elements) : query.summary ? summarize(content, query.summary) : content;

  /** A searchset of `params` on `type`: the rows this reader was just served (and audited for), proofs when asked. */
  async function searchset(req: Request, res: Response, type: string, all: Record<string, unknown>): Promise<void> {
    res.type(FHIR_JSON).json(await searchsetOf(req, type, all));
  }

  async function searchsetOf(req: Request, type: string, all: Record<string, unknown>): Promise<Bundle> {
    const { _proofs, ...params } = all;
    const withProofs = proofsAsked(req, _proofs);
    const { query, rows, included, hasMore, total } = await search(svc, sessionOf(req), type, params);
    const served = [...rows, ...included];
    const proofs = withProofs ? (await proofsOfServed(svc, served)).map(proofExtension) : [];
    // Links are GET URLs, also for a POST _search (R4 http.html#search: the server may page either way).
    const link = pageLinks(query, { hasMore }, pagedUrl(`${base(req)}/${type}`, all, query.count));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      // R4 search.html#total: given when asked for (_total, _summary=count) or known from this page; it counts matches only.
      ...(total !== undefined ? { total } : {}),
      link,
      entry: served.map((r, i) => ({
        ...(proofs[i] ? { extension: [proofs[i]!] } : {}),
        fullUrl: `${base(req)}/${r.resourceType}/${r.id}`,
        resource: shaped(query, r.content) as unknown as Resource,
        search: { mode: i < rows.length ? 'match' : 'include' },
      })),
    };
    // FHIR JSON has no empty arrays (R4 json.html): no matches, or _summary=count, is a Bundle without entry.
    if (!bundle.entry?.length) delete bundle.entry;
    return bundle;
  }

  router.get('/:type', reads, async (req, res) => {
    await searchset(req, res, knownType(p(req).type), req.query as Record<string, unknown>);
  });

  // POST [base]/[type]/_search (R4 http.html#search): parameters in a form body, and in the URL too.
  router.post('/:type/_search', reads, formBody, async (req, res) => {
    const type = knownType(p(req).type);
    if (!req.is('application/x-www-form-urlencoded')) throw outcomes.unsupportedMediaType('send the search parameters as application/x-www-form-urlencoded');
    await searchset(req, res, type, mergedParams(req.query as Record<string, unknown>, req.body as Record<string, unknown>));
  });

  router.get('/:type/:id/$meta', reads, async (req, res) => {
    // R4 resource-operation-meta.html: a Parameters whose `return` is the resource's Meta.
    const meta = ((await current(req)).content as { meta?: Meta }).meta ?? {};
    res.type(FHIR_JSON).json({ resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: meta }] });
  });

  const validate = async (req: Request, res: Response): Promise<void> => {
    const type = knownType(p(req).type);
    const body = parseJsonBody(fhirBodyText(req, `${type} resource or Parameters`));
    res.type(FHIR_JSON).json(validationOutcome(validateRequestOf(body, type, p(req).id, req.query.mode)));
  };
  router.post('/:type/$validate', fhirBody(opts.maxBodyBytes), validate);
  router.post('/:type/:id/$validate', fhirBody(opts.maxBodyBytes), validate);

  router.all('/:type/:id/_history/:vid', notAllowed(ALLOWED.history));
  router.all('/:type/:id/_history', notAllowed(ALLOWED.history));
  router.all('/:type/:id', notAllowed(ALLOWED.instance));
  router.all('/:type', notAllowed(ALLOWED.type));
  return router;
}
