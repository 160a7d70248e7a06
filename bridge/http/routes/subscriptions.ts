/**
 * FHIR R4 Subscriptions (subscription.html), rest-hook channel, on the caller's own Tasks (see fhir/subscription.ts):
 *   POST /fhir/Subscription, GET /fhir/Subscription[?_count&_offset], GET /fhir/Subscription/{id}, DELETE /fhir/Subscription/{id}
 */
import { Router } from 'express';
import { createSubscription, readSubscription, removeSubscription, searchSubscriptions } from '../../access/subscriptions';
import { outcomes } from '../../fhir/outcome';
import type { AccessServices } from '../../access/services';
import { checkScope } from '../../access/scope-check';
import { AuthGuard, requireSession, sessionOf } from '../auth';
import { fhirBody, parsedFhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { fhirBaseUrl, pageLinks, pagedUrl, readQuery } from '../toolkit';

export interface SubscriptionRouteOptions {
  access: AccessServices;
  guard?: AuthGuard;
  publicBaseUrl?: string;
}

export function subscriptionRouter(opts: SubscriptionRouteOptions): Router {
  const router = Router();
  const auth = requireSession(opts.access, opts.guard);

  router.post('/fhir/Subscription', auth, fhirBody(64 * 1024), async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Subscription', 'create');
    const body = parsedFhirBody(req, 'the Subscription');
    const sub = await createSubscription(opts.access.db, sessionOf(req), body, { allowPrivateHosts: opts.access.allowPrivateHookHosts });
    res
      .status(201)
      .set('Location', `${fhirBaseUrl(req, opts.publicBaseUrl)}/Subscription/${sub.id}`)
      .type(FHIR_JSON)
      .json(sub);
  });

  router.get('/fhir/Subscription', auth, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Subscription', 'search');
    const q = readQuery(req.query as Record<string, unknown>, ['_count', '_offset'], 'Subscription search');
    const count = q.count('_count', { max: 1000, fallback: 50 });
    const offset = q.int('_offset', { min: 0, max: 2_147_483_647, fallback: 0 });
    const { items, hasMore } = await searchSubscriptions(opts.access.db, sessionOf(req), count, offset);
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    res.type(FHIR_JSON).json({
      resourceType: 'Bundle',
      type: 'searchset',
      link: pageLinks({ offset, count }, { hasMore }, pagedUrl(`${base}/Subscription`, req.query as Record<string, unknown>, count)),
      entry: items.map((s) => ({ fullUrl: `${base}/Subscription/${s.id}`, resource: s, search: { mode: 'match' } })),
    });
  });

  router.get('/fhir/Subscription/:id', auth, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Subscription', 'read');
    res.type(FHIR_JSON).json(await readSubscription(opts.access.db, sessionOf(req), String(req.params.id)));
  });

  router.delete('/fhir/Subscription/:id', auth, async (req, res) => {
    await checkScope(opts.access, sessionOf(req), 'Subscription', 'delete');
    await removeSubscription(opts.access.db, sessionOf(req), String(req.params.id));
    res.status(204).end();
  });

  router.all(['/fhir/Subscription/:id', '/fhir/Subscription/:id/_history'], auth, () => {
    throw outcomes.methodNotAllowed('Subscriptions are created with POST /fhir/Subscription and ended with DELETE');
  });
  return router;
}
