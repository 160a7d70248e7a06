/**
 * Pull operations for a foreign clinic: `GET /fhir/Patient/{id}/$everything`, `GET /fhir/Patient/{id}/$summary`
 * and `GET /patients/{id}/history`. Access is decided by resolvePersonAccess (bridge/access); every outcome,
 * refusals included, is recorded in the audit trail (bridge/store/audit).
 */
import { randomUUID } from 'node:crypto';
import { Request, Response, Router } from 'express';
import { isMatchHandle } from '../../access/handle-access';
import { auditAccess, auditRefusal, resolvePersonAccess } from '../../access/person-access';
import type { AuditRecord, PersonAccess } from '../../access/types';
import { FhirError } from '../../fhir/outcome';
import { isResourceType } from '../../fhir/resource-types';
import { fhirTimeRange } from '../../normalize/time';
import { everything, EVERYTHING_DEFAULT_COUNT, EVERYTHING_MAX_COUNT, EverythingRequest } from '../../pull/everything';
import { ipsBundle } from '../../pull/summary';
import { timeline } from '../../pull/timeline';
import type { Db } from '../../store/db';
import { patientDemographics, summaryFacts, timelineFacts } from '../../store/pull';
import { AuthGuard, requireClinic } from '../auth';
import { checkScope } from '../scope-guard';
import { FHIR_JSON } from '../errors';
import { requestAccessOptions, requestPurpose } from './audit-events';

export interface PullRouteOptions {
  db: Db;
  /** Throttle and log of refused keys (shared by every router of the app). */
  guard?: AuthGuard;
  publicBaseUrl?: string;
  /** Break-glass reads per clinic and hour (BREAK_GLASS_LIMIT). */
  breakGlassLimit?: number;
}

const fhirBase = (req: Request, configured?: string): string => `${configured ?? `${req.protocol}://${req.get('host')}`}/fhir`;
const bad = (diagnostics: string, expression?: string): FhirError => new FhirError(400, [{ code: 'invalid', diagnostics, expression }]);

function single(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`${name} must be given once`, name);
  return v;
}

function intParam(req: Request, name: string, min: number, max: number, fallback: number): number {
  const v = single(req, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(`${name} must be an integer from ${min} to ${max}`, name);
  return Number(v);
}

/** `_type=A,B` as FHIR resource types. */
export function typesParam(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of types) if (!isResourceType(t)) throw bad(`_type: "${t}" is not a FHIR R4 resource type`, '_type');
  return types.length ? types : undefined;
}

/** `_since`: an instant (a date is read as its start, UTC). */
export function sinceParam(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const start = fhirTimeRange(value).start;
  if (!start) throw bad('_since must be a FHIR instant, e.g. 2024-01-01T00:00:00Z', '_since');
  return start;
}

const EVERYTHING_PARAMS = new Set(['start', 'end', '_since', '_type', '_count', '_offset', '_format']);

function everythingRequest(req: Request): EverythingRequest {
  for (const k of Object.keys(req.query)) if (!EVERYTHING_PARAMS.has(k)) throw bad(`$everything does not support the parameter "${k}"`, k);
  const start = single(req, 'start');
  const end = single(req, 'end');
  const startAt = start === undefined ? undefined : fhirTimeRange(start).start ?? undefined;
  const endAt = end === undefined ? undefined : fhirTimeRange(end).end ?? undefined;
  if (start !== undefined && !startAt) throw bad('start must be a FHIR date', 'start');
  if (end !== undefined && !endAt) throw bad('end must be a FHIR date', 'end');
  return {
    types: typesParam(single(req, '_type')), since: sinceParam(single(req, '_since')), start: startAt, end: endAt,
    count: intParam(req, '_count', 1, EVERYTHING_MAX_COUNT, EVERYTHING_DEFAULT_COUNT), offset: intParam(req, '_offset', 0, 1e9, 0),
  };
}

export function pullRouter(opts: PullRouteOptions): Router {
  const router = Router();
  const clinicAuth = requireClinic(opts.db, opts.guard);
  // A person's whole record spans every type: a SMART token needs read on all (system/*.r or .rs).
  const auth = [clinicAuth, async (req: Request, _res: Response, next: () => void) => { await checkScope(opts.db, req, '*', 'read'); next(); }];

  /** Resolves access for the request (X-Break-Glass, X-Purpose-Of-Use honoured); a refusal is audited before it leaves. */
  async function access(req: Request, action: AuditRecord['action']): Promise<PersonAccess> {
    const clinicId = req.clinic!.id;
    const patientId = String(req.params.id);
    const options = { ...(await requestAccessOptions(req, opts.db, opts.breakGlassLimit)), action };
    const a = await resolvePersonAccess(opts.db, clinicId, patientId, options);
    // The record asked for must itself be readable, not only another record of the same person (a handle: resolvePersonAccess checked it).
    if (!isMatchHandle(patientId) && !a.patients.some((p) => p.patientId === patientId)) {
      await auditRefusal(opts.db, clinicId, a.personId, [patientId], options);
      throw new FhirError(403, [{ code: 'forbidden', diagnostics: `no consent lets this clinic read Patient/${patientId}` }]);
    }
    return a;
  }

  const disclosed = (req: Request, action: AuditRecord['action'], a: PersonAccess, resourceTypes: string[]): Promise<void> =>
    auditAccess(opts.db, req.clinic!.id, a, action, { resourceTypes, purpose: requestPurpose(req) });

  router.get('/fhir/Patient/:id/$everything', auth, async (req: Request, res: Response) => {
    const request = everythingRequest(req);
    const a = await access(req, 'everything');
    const base = fhirBase(req, opts.publicBaseUrl);
    const pageUrl = (offset: number): string => {
      const params = new URLSearchParams(req.query as Record<string, string>);
      params.set('_count', String(request.count));
      params.set('_offset', String(offset));
      return `${base}/Patient/${req.params.id}/$everything?${params.toString()}`;
    };
    const page = await everything(opts.db, a, request, base, pageUrl);
    await disclosed(req, 'everything', a, page.resourceTypes);
    res.type(FHIR_JSON).send(page.json);
  });

  router.get('/fhir/Patient/:id/$summary', auth, async (req: Request, res: Response) => {
    for (const k of Object.keys(req.query)) if (k !== '_format') throw bad(`$summary does not support the parameter "${k}"`, k);
    const a = await access(req, 'summary');
    const patientIds = a.patients.map((p) => p.patientId);
    const [patients, facts] = await Promise.all([patientDemographics(opts.db, patientIds), summaryFacts(opts.db, patientIds)]);
    const subject = patients.find((p) => p.id === req.params.id) ?? patients[0];
    const bundle = ipsBundle({
      documentId: randomUUID(), compositionId: randomUUID(), timestamp: new Date().toISOString(), patient: subject,
      otherIdentifiers: patients.filter((p) => p !== subject).flatMap((p) => p.identifiers), facts,
    });
    await disclosed(req, 'summary', a, [...new Set((bundle.entry ?? []).map((e) => e.resource!.resourceType))].sort());
    res.type(FHIR_JSON).json(bundle);
  });

  router.get('/patients/:id/history', auth, async (req: Request, res: Response) => {
    const a = await access(req, 'history');
    const patientIds = a.patients.map((p) => p.patientId);
    const [patients, facts] = await Promise.all([patientDemographics(opts.db, patientIds), timelineFacts(opts.db, patientIds)]);
    await disclosed(req, 'history', a, [...new Set(facts.map((f) => f.resourceType))].sort());
    res.json(timeline(a, patients, facts));
  });
  return router;
}
