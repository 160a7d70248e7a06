/**
 * What a signed-in patient decides and is told (patient access tokens only; a clinic's request passes on to the
 * clinic routes registered after this router):
 *   POST /fhir/Consent, GET /fhir/Consent[?status&_count&_offset], GET|PUT|DELETE /fhir/Consent/{id}   own Consents
 *   GET  /fhir/Organization[?_count&_offset]          every clinic (id = clinic id, name), to choose whom to consent to
 *   GET  /fhir/Communication[?_count&_offset], GET /fhir/Communication/{id}   notifications (break-glass, consent requests)
 *   GET  /fhir/Task[?_id&_count&_offset], GET /fhir/Task/{id}, POST /fhir/Task/{id}/$approve | $decline   requests about them
 * Policy in access/patient-consents.ts, patient-notifications.ts, patient-tasks.ts.
 */
import { NextFunction, Request, Response, Router } from 'express';
import { isPatientBearer } from '../../access/authenticate';
import {
  clinicsForPatients,
  createPatientConsent,
  readPatientConsent,
  revokePatientConsent,
  searchPatientConsents,
  updatePatientConsentById,
} from '../../access/patient-consents';
import { patientCommunication, patientCommunications } from '../../access/patient-notifications';
import { decidePatientTask, patientTask, patientTasks } from '../../access/patient-tasks';
import { checkScope } from '../../access/scope-check';
import type { AccessServices } from '../../access/services';
import { outcomes } from '../../fhir/outcome';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { fhirBody, parsedFhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, pageLinks, pagedUrl, readQuery } from '../toolkit';

export interface PatientRouteOptions {
  access: AccessServices;
  guard?: AuthGuard;
  publicBaseUrl?: string;
  notified?: () => void;
}

const bearer = (req: Request): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];

/** The Parameters of $approve: `withhold` (valueCode, repeated: sensitivity codes) and `reason` (valueString). */
function decisionParameters(body: unknown): { withhold: string[]; reason: string | null } {
  if (body === undefined) return { withhold: [], reason: null };
  const p = body as { resourceType?: string; parameter?: { name?: string; valueCode?: unknown; valueString?: unknown }[] };
  if (p?.resourceType !== 'Parameters' || (p.parameter !== undefined && !Array.isArray(p.parameter)))
    throw outcomes.invalid('the body, when sent, must be a Parameters resource', 'Parameters');
  const withhold: string[] = [];
  let reason: string | null = null;
  for (const x of p.parameter ?? []) {
    if (x?.name === 'withhold' && typeof x.valueCode === 'string') withhold.push(x.valueCode);
    else if (x?.name === 'reason' && typeof x.valueString === 'string' && x.valueString.length <= 1000) reason = x.valueString;
    else throw outcomes.invalid('Parameters: withhold (valueCode) and reason (valueString, at most 1000 characters) only', 'Parameters.parameter');
  }
  return { withhold, reason };
}

export function patientRouter(opts: PatientRouteOptions): Router {
  const router = Router();
  const auth = requireSession(opts.access, opts.guard);
  // Patient tokens only; anything else goes on to the clinic routes for the same paths.
  const patientsOnly = (req: Request, res: Response, next: NextFunction): void => {
    if (!isPatientBearer(bearer(req))) return next('route');
    void auth(req, res, next).catch(next);
  };
  const body = fhirBody(256 * 1024);
  const send = (res: Response, status: number, resource: unknown): void => void res.status(status).type(FHIR_JSON).json(resource);
  const page = (req: Request, what: string, extra: string[] = []) => {
    const q = readQuery(req.query as Record<string, unknown>, ['_count', '_offset', ...extra], what);
    return { q, count: q.count('_count', { max: 1000, fallback: 50 }), offset: q.int('_offset', { min: 0, max: 2_147_483_647, fallback: 0 }) };
  };
  const searchset = (req: Request, type: string, entries: { resource: { id?: string } }[], p: { offset: number; count: number }, hasMore: boolean) => {
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      link: pageLinks(p, { hasMore }, pagedUrl(`${base}/${type}`, req.query as Record<string, unknown>, p.count)),
      entry: entries.map((e) => ({ fullUrl: `${base}/${type}/${e.resource.id}`, resource: e.resource, search: { mode: 'match' } })),
    };
  };

  router.post('/fhir/Consent', patientsOnly, body, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Consent', 'create');
    const consent = await createPatientConsent(opts.access.db, sessionOf(req), parsedFhirBody(req, 'the Consent'));
    res.set('Location', `${fhirBaseUrl(req, opts.publicBaseUrl)}/Consent/${consent.id}/_history/${consent.meta!.versionId}`);
    send(res, 201, consent);
  });
  router.get('/fhir/Consent', patientsOnly, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Consent', 'search');
    const p = page(req, 'Consent search', ['status']);
    const statuses = p.q.string('status')?.split(',').filter(Boolean);
    const { items, hasMore } = await searchPatientConsents(opts.access.db, sessionOf(req), { statuses, count: p.count, offset: p.offset });
    send(
      res,
      200,
      searchset(
        req,
        'Consent',
        items.map((resource) => ({ resource })),
        p,
        hasMore,
      ),
    );
  });
  router.get('/fhir/Consent/:id', patientsOnly, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Consent', 'read');
    send(res, 200, await readPatientConsent(opts.access.db, sessionOf(req), String(req.params.id)));
  });
  router.put('/fhir/Consent/:id', patientsOnly, body, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Consent', 'update');
    send(res, 200, await updatePatientConsentById(opts.access.db, sessionOf(req), String(req.params.id), parsedFhirBody(req, 'the Consent')));
  });
  router.delete('/fhir/Consent/:id', patientsOnly, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Consent', 'delete');
    await revokePatientConsent(opts.access.db, sessionOf(req), String(req.params.id));
    res.status(204).end();
  });

  router.get('/fhir/Organization', patientsOnly, async (req, res) => {
    const p = page(req, 'Organization search');
    const { items, hasMore } = await clinicsForPatients(opts.access.db, sessionOf(req), p.count, p.offset);
    send(res, 200, searchset(req, 'Organization', (items ?? []) as { resource: { id?: string } }[], p, hasMore));
  });

  router.get('/fhir/Communication', patientsOnly, async (req, res) => {
    const p = page(req, 'Communication search');
    const { items, hasMore } = await patientCommunications(opts.access.db, sessionOf(req), p.count, p.offset);
    send(
      res,
      200,
      searchset(
        req,
        'Communication',
        items.map((resource) => ({ resource })),
        p,
        hasMore,
      ),
    );
  });

  router.get('/fhir/Communication/:id', patientsOnly, async (req, res) => {
    send(res, 200, await patientCommunication(opts.access.db, sessionOf(req), String(req.params.id)));
  });

  router.get('/fhir/Task', patientsOnly, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Task', 'search');
    const p = page(req, 'Task search', ['_id']);
    const ids = p.q.string('_id')?.split(',').filter(Boolean);
    const { tasks, hasMore } = await patientTasks(opts.access.db, sessionOf(req), { ids, count: p.count, offset: p.offset });
    send(
      res,
      200,
      searchset(
        req,
        'Task',
        tasks.map((resource) => ({ resource })),
        p,
        hasMore,
      ),
    );
  });
  router.get('/fhir/Task/:id', patientsOnly, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Task', 'read');
    const task = await patientTask(opts.access.db, sessionOf(req), String(req.params.id));
    if (!task) throw outcomes.notFound(`Task/${req.params.id} is not known`);
    send(res, 200, task);
  });
  for (const [op, status] of [
    ['$approve', 'accepted'],
    ['$decline', 'rejected'],
  ] as const) {
    router.post(`/fhir/Task/:id/${op}`, patientsOnly, body, async (req, res) => {
      await checkScope(opts.access, sessionOf(req), 'Task', 'update');
      if (status === 'accepted') await checkScope(opts.access, sessionOf(req), 'Consent', 'create');
      const params = decisionParameters(parsedFhirBody(req, 'the Parameters', { optional: true }));
      const task = await decidePatientTask(opts.access.db, sessionOf(req), String(req.params.id), status, params);
      opts.notified?.();
      send(res, 200, task);
    });
  }
  return router;
}
