import type { Bundle, Resource } from '@medplum/fhirtypes';
import { Request, Router } from 'express';
import { boundedInteger } from '../../fhir/integers';
import { FhirError } from '../../fhir/outcome';
import { resourceTypes } from '../../fhir/resource-types';
import { parseSearch } from '../../fhir/search-params';
import { canonicalSystem } from '../../normalize/codes';
import type { Db } from '../../store/db';
import type { PersonAccessOptions } from '../../access/person-access';
import { authorizeRead, authorizeSearchPatients, ReadGrant } from '../../access/resource-access';
import { isBridgeId } from '../../fhir/references';
import { recordAudit } from '../../store/audit';
import { ownResourceId, readHistory, readResource, readVersion } from '../../store/resources';
import { searchResources } from '../../store/search';
import { requireClinic } from '../auth';
import { capabilityStatement } from '../capability';
import { checkBundleScopes, fhirScopeGuard } from '../scope-guard';
import { fhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { auditEventRouter, requestAccessOptions } from './audit-events';
import { baseUrl, fhirBodyText, FhirRouteOptions, knownType, notFound, pushAudited, sendResource, setPushHeaders } from './fhir-common';
import { writeRouter } from './writes';

export type { FhirRouteOptions } from './fhir-common';

/** Audit of a granted read: break-glass flagged only when it was the basis of this read. */
async function auditRead(db: Db, clinicId: string, action: 'read' | 'history', type: string, grant: ReadGrant, access: PersonAccessOptions): Promise<void> {
  const glass = grant.basis === 'break-glass';
  await recordAudit(db, {
    clinicId, action, outcome: 'success', personId: grant.personId, patientIds: grant.patientId ? [grant.patientId] : [], resourceTypes: [type],
    breakGlass: glass, purpose: glass ? access.breakGlassReason : access.purpose ?? null, ...(grant.basis !== 'own' ? { detail: `basis ${grant.basis}` } : {}),
  });
}

/**
 * `/fhir`: push bundles, read, vread, history, search, metadata, AuditEvent. Handlers stay thin: HTTP in, domain call,
 * HTTP out. Another clinic's patient records are read under consent or break-glass (bridge/access); every push, read,
 * search and refusal is audited (bridge/store/audit) before the answer is sent.
 */
export function fhirRouter(opts: FhirRouteOptions): Router {
  const router = Router();
  resourceTypes(); // read the type list at start, not on the first request
  router.get('/metadata', (req, res) => {
    res.type(FHIR_JSON).json(capabilityStatement(baseUrl(req, opts.publicBaseUrl), [...resourceTypes()].sort(), opts.version));
  });
  router.use(requireClinic(opts.db, opts.guard));
  router.use(fhirScopeGuard(opts.db));
  router.use(auditEventRouter(opts.db, (req) => baseUrl(req, opts.publicBaseUrl)));

  // The body stays text: the push (parse, validate, store) runs on an ingest worker, off the HTTP thread.
  router.post('/', fhirBody(opts.maxBodyBytes), async (req, res) => {
    const text = fhirBodyText(req, 'Bundle');
    await checkBundleScopes(opts.db, req, text);
    const result = await pushAudited(opts, req.clinic!.id, text);
    setPushHeaders(res, result);
    res.status(200).type(FHIR_JSON).json(result.response);
  });
  router.use(writeRouter(opts));

  /** The bridge id of the resource a clinic names, by the id it chose (its source id) or by bridge id. */
  const bridgeId = (req: Request, type: string): Promise<string> => ownResourceId(opts.db, req.clinic!.id, type, req.params.id as string);

  router.get('/:type/:id/_history/:vid', async (req, res) => {
    const type = knownType(req.params.type);
    const access = await requestAccessOptions(req, opts.db, opts.breakGlassLimit);
    const id = await bridgeId(req, type);
    const grant = await authorizeRead(opts.db, req.clinic!.id, type, id, { ...access, action: 'read' });
    // A version number no integer column can hold names no version: 404 like any unknown version.
    const vid = boundedInteger(req.params.vid, 1);
    const stored = grant && vid !== undefined && (await readVersion(opts.db, grant.readAs, type, id, vid));
    if (!grant || !stored) throw notFound(type, `${req.params.id}/_history/${req.params.vid}`);
    await auditRead(opts.db, req.clinic!.id, 'read', type, grant, access);
    if (stored.deleted) throw new FhirError(410, [{ code: 'deleted', diagnostics: `${type}/${req.params.id} version ${req.params.vid} is a deletion` }]);
    sendResource(res, stored);
  });

  router.get('/:type/:id/_history', async (req, res) => {
    const type = knownType(req.params.type);
    const access = await requestAccessOptions(req, opts.db, opts.breakGlassLimit);
    const id = await bridgeId(req, type);
    const grant = await authorizeRead(opts.db, req.clinic!.id, type, id, { ...access, action: 'history' });
    const versions = grant ? await readHistory(opts.db, grant.readAs, type, id) : [];
    if (!grant || !versions.length) throw notFound(type, req.params.id);
    await auditRead(opts.db, req.clinic!.id, 'history', type, grant, access);
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'history', total: versions.length,
      entry: versions.map((v) => ({
        fullUrl: `${baseUrl(req, opts.publicBaseUrl)}/${type}/${v.id}`,
        ...(v.deleted ? {} : { resource: v.content as unknown as Resource }),
        request: { method: v.deleted ? 'DELETE' : v.version === 1 ? 'POST' : 'PUT', url: v.version === 1 ? type : `${type}/${v.id}` },
        response: { status: v.deleted ? '204' : v.version === 1 ? '201' : '200', etag: `W/"${v.version}"`, lastModified: v.lastUpdated },
      })),
    };
    res.type(FHIR_JSON).json(bundle);
  });

  router.get('/:type/:id', async (req, res) => {
    const type = knownType(req.params.type);
    const access = await requestAccessOptions(req, opts.db, opts.breakGlassLimit);
    const id = await bridgeId(req, type);
    const grant = await authorizeRead(opts.db, req.clinic!.id, type, id, { ...access, action: 'read' });
    const stored = grant && (await readResource(opts.db, grant.readAs, type, id));
    if (!grant || !stored) throw notFound(type, req.params.id);
    await auditRead(opts.db, req.clinic!.id, 'read', type, grant, access);
    if (stored.deleted) throw new FhirError(410, [{ code: 'deleted', diagnostics: `${type}/${req.params.id} was deleted` }]);
    sendResource(res, stored);
  });

  router.get('/:type', async (req, res) => {
    const type = knownType(req.params.type);
    const query = parseSearch(type, req.query as Record<string, unknown>, (s) => canonicalSystem(s) ?? s);
    const access = await requestAccessOptions(req, opts.db, opts.breakGlassLimit);
    const named = [...query.patientIds, ...(type === 'Patient' ? query.ids : [])].filter(isBridgeId);
    const { granted } = await authorizeSearchPatients(opts.db, req.clinic!.id, named, access);
    const foreign = granted.filter((g) => g.basis !== 'own');
    const { rows, hasMore } = await searchResources(opts.db, req.clinic!.id, query, foreign.map((g) => g.patientId));
    const persons = [...new Set(granted.map((g) => g.personId))];
    const glass = foreign.some((g) => g.basis === 'break-glass');
    await recordAudit(opts.db, {
      clinicId: req.clinic!.id, action: 'search', outcome: 'success', personId: persons.length === 1 ? persons[0] : null,
      patientIds: granted.map((g) => g.patientId), resourceTypes: [type], breakGlass: glass,
      purpose: glass ? access.breakGlassReason : access.purpose ?? null, detail: `${rows.length} match(es)`,
    });
    const base = baseUrl(req, opts.publicBaseUrl);
    const page = (offset: number): string => {
      const params = new URLSearchParams(req.query as Record<string, string>);
      params.set('_count', String(query.count));
      params.set('_offset', String(offset));
      return `${base}/${type}?${params.toString()}`;
    };
    const link = [{ relation: 'self', url: page(query.offset) }];
    if (hasMore) link.push({ relation: 'next', url: page(query.offset + query.count) });
    if (query.offset > 0) link.push({ relation: 'previous', url: page(Math.max(0, query.offset - query.count)) });
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'searchset', link,
      entry: rows.map((r) => ({ fullUrl: `${base}/${type}/${r.id}`, resource: r.content as unknown as Resource, search: { mode: 'match' } })),
    };
    res.type(FHIR_JSON).json(bundle);
  });
  return router;
}
