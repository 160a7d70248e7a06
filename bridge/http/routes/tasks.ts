/**
 * Consent requests as FHIR R4 Tasks (task.html, workflow.html; shapes in fhir/consent-request.ts, policy in
 * access/consent-requests.ts):
 *   POST /fhir/Task                      a foreign clinic asks for access to the patient behind a $match handle
 *   GET  /fhir/Task[?_id&status&_count&_offset], GET /fhir/Task/{id}   the caller's own Tasks, as it may see them
 *   POST /fhir/Task/{id}/$approve | $decline | $revoke   a home clinic's decision (optional Parameters `reason` valueString)
 * Registered before the generic /fhir/:type routes; other interactions on these Tasks are 405 (the bridge keeps them).
 * Tasks a clinic pushes in Bundles stay ordinary resources, read by id through the generic routes; the search here
 * lists consent requests only.
 */
import { Response, Router } from 'express';
import { createConsentRequest, decideTask, readTask, searchTasks, type PushWithDecision } from '../../access/consent-requests';
import { outcomes } from '../../fhir/outcome';
import type { AccessServices } from '../../access/services';
import { checkScope } from '../../access/scope-check';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { fhirBody, parsedFhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, pageLinks, pagedUrl, readQuery } from '../toolkit';

export interface TaskRouteOptions {
  access: AccessServices;
  maxBodyBytes: number;
  guard?: AuthGuard;
  publicBaseUrl?: string;
  /** Longest period a request may ask for, in days (CONSENT_REQUEST_MAX_DAYS). */
  consentRequestMaxDays?: number;
  /** Called after a change that queued notifications (wakes this process's notifier). */
  notified?: () => void;
}

/** `reason` of an optional Parameters body (R4 operations take Parameters). */
function decisionReason(body: unknown): string | null {
  if (body === undefined) return null;
  const p = body as { resourceType?: string; parameter?: { name?: string; valueString?: unknown }[] };
  if (p?.resourceType !== 'Parameters') throw outcomes.invalid('the body, when sent, must be a Parameters resource', 'Parameters');
  const reason = p.parameter?.find((x) => x.name === 'reason')?.valueString;
  if (reason === undefined) return null;
  if (typeof reason !== 'string' || reason.length > 1000)
    throw outcomes.invalid('reason must be a string of at most 1000 characters', 'Parameters.parameter.reason');
  return reason;
}

export function taskRouter(opts: TaskRouteOptions): Router {
  const router = Router();
  const auth = requireSession(opts.access, opts.guard);
  const body = fhirBody(opts.maxBodyBytes);
  const push: PushWithDecision = (clinicId, text, step) =>
    opts.access.ingest.push({ clinicId, maxEntries: opts.access.maxEntries, personSystems: opts.access.personSystems, consentDecision: step }, text);
  const send = (res: Response, status: number, resource: unknown): void => void res.status(status).type(FHIR_JSON).json(resource);

  router.post('/fhir/Task', auth, body, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Task', 'create');
    if (!req.is(['application/fhir+json', 'application/json'])) throw outcomes.unsupportedMediaType('send the Task as application/fhir+json');
    const task = await createConsentRequest(opts.access.db, sessionOf(req), parsedFhirBody(req, 'the Task', { optional: true }), {
      maxDays: opts.consentRequestMaxDays,
    });
    opts.notified?.();
    res.set('Location', `${fhirBaseUrl(req, opts.publicBaseUrl)}/Task/${task.id}`);
    send(res, 201, task);
  });

  router.get('/fhir/Task', auth, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Task', 'search');
    const q = readQuery(req.query as Record<string, unknown>, ['_id', 'status', '_count', '_offset'], 'Task search');
    const count = q.count('_count', { max: 1000, fallback: 50 });
    const offset = q.int('_offset', { min: 0, max: 2_147_483_647, fallback: 0 });
    const split = (v: string | undefined) =>
      v
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    const { tasks, hasMore } = await searchTasks(opts.access.db, sessionOf(req), {
      ids: split(q.string('_id')),
      statuses: split(q.string('status')),
      count,
      offset,
    });
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    send(res, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      link: pageLinks({ offset, count }, { hasMore }, pagedUrl(`${base}/Task`, req.query as Record<string, unknown>, count)),
      entry: tasks.map((t) => ({ fullUrl: `${base}/Task/${t.id}`, resource: t, search: { mode: 'match' } })),
    });
  });

  // A Task that is no consent request of the caller's (one a clinic pushed in a Bundle) is left to the generic routes.
  router.get('/fhir/Task/:id', auth, async (req, res, next) => {
    await checkScope(opts.access, sessionOf(req), 'Task', 'read');
    const task = await readTask(opts.access.db, sessionOf(req), String(req.params.id));
    if (!task) return next();
    res.set('Last-Modified', new Date(task.lastModified!).toUTCString());
    send(res, 200, task);
  });

  for (const [op, status] of [
    ['$approve', 'accepted'],
    ['$decline', 'rejected'],
    ['$revoke', 'cancelled'],
  ] as const) {
    router.post(`/fhir/Task/:id/${op}`, auth, body, async (req, res) => {
      await checkScope(opts.access, sessionOf(req), 'Task', 'update');
      // An approval writes a Consent on the clinic's behalf: a token must allow that too.
      if (status !== 'rejected') await checkScope(opts.access, sessionOf(req), 'Consent', 'update');
      const task = await decideTask(
        opts.access.db,
        sessionOf(req),
        push,
        String(req.params.id),
        status,
        decisionReason(parsedFhirBody(req, 'the Parameters', { optional: true })),
      );
      opts.notified?.();
      send(res, 200, task);
    });
  }

  router.all(['/fhir/Task/:id', '/fhir/Task/:id/_history', '/fhir/Task/:id/_history/:vid'], auth, async (req, _res, next) => {
    if (!(await readTask(opts.access.db, sessionOf(req), String(req.params.id)))) return next();
    throw outcomes.methodNotAllowed(
      'Tasks are consent requests kept by the bridge: create with POST /fhir/Task, decide with POST /fhir/Task/{id}/$approve, $decline or $revoke',
    );
  });
  return router;
}
