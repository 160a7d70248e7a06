/**
 * FHIR R4 Subscriptions (subscription.html), rest-hook channel, on the caller's own Tasks (see fhir/subscription.ts):
 *   POST /fhir/Subscription, GET /fhir/Subscription[?_count&_offset], GET /fhir/Subscription/{id}, DELETE /fhir/Subscription/{id}
 */
import { Router } from 'express';
import { createSubscription, readSubscription, removeSubscription, searchSubscriptions } from '../../access/subscriptions';
import { outcomes } from '../../fhir/outcome';
import type { Db } from '../../store/db';
import { AuthGuard, requireClinic } from '../auth';
import { fhirBody } from '../body';
import { FHIR_JSON } from '../errors';
import { checkScope } from '../scope-guard';
import { fhirBaseUrl, pageLinks, pagedUrl, readQuery } from '../toolkit';
import { clinicSession } from './session-of';

export interface SubscriptionRouteOptions {
  db: Db;
  guard?: AuthGuard;
  publicBaseUrl?: string;
}

export function subscriptionRouter(opts: SubscriptionRouteOptions): Router {
  const router = Router();
  const auth = requireClinic(opts.db, opts.guard);

  router.post('/fhir/Subscription', auth, fhirBody(64 * 1024), async (req, res) => {
    await checkScope(opts.db, req, 'Subscription', 'create');
    if (typeof req.body !== 'string') throw outcomes.unsupportedMediaType('send the Subscription as application/fhir+json');
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      throw outcomes.structure('the body is not valid JSON');
    }
    const sub = await createSubscription(opts.db, clinicSession(req), body);
    res.status(201).set('Location', `${fhirBaseUrl(req, opts.publicBaseUrl)}/Subscription/${sub.id}`).type(FHIR_JSON).json(sub);
  });

  router.get('/fhir/Subscription', auth, async (req, res) => {
    await checkScope(opts.db, req, 'Subscription', 'search');
    const q = readQuery(req.query as Record<string, unknown>, ['_count', '_offset'], 'Subscription search');
    const count = q.count('_count', { max: 1000, fallback: 50 });
    const offset = q.int('_offset', { min: 0, max: 2_147_483_647, fallback: 0 });
    const { items, hasMore } = await searchSubscriptions(opts.db, clinicSession(req), count, offset);
    const base = fhirBaseUrl(req, opts.publicBaseUrl);
    res.type(FHIR_JSON).json({
      resourceType: 'Bundle', type: 'searchset',
      link: pageLinks({ offset, count }, { hasMore }, pagedUrl(`${base}/Subscription`, req.query as Record<string, unknown>, count)),
      entry: items.map((s) => ({ fullUrl: `${base}/Subscription/${s.id}`, resource: s, search: { mode: 'match' } })),
    });
  });

  router.get('/fhir/Subscription/:id', auth, async (req, res) => {
    await checkScope(opts.db, req, 'Subscription', 'read');
    res.type(FHIR_JSON).json(await readSubscription(opts.db, clinicSession(req), String(req.params.id)));
  });

  router.delete('/fhir/Subscription/:id', auth, async (req, res) => {
    await checkScope(opts.db, req, 'Subscription', 'delete');
    await removeSubscription(opts.db, clinicSession(req), String(req.params.id));
    res.status(204).end();
  });

  router.all(['/fhir/Subscription/:id', '/fhir/Subscription/:id/_history'], auth, () => {
    throw outcomes.methodNotAllowed('Subscriptions are created with POST /fhir/Subscription and ended with DELETE');
  });
  return router;
}
