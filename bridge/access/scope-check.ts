/**
 * SMART scope enforcement (SMART App Launch 2.x, system scopes) over a session: a session on an access token may do
 * what its scopes allow; an API key may do everything its clinic may. A refusal is audited like a consent refusal
 * (action refused) before the 403.
 */
import { outcomes } from '../fhir/outcome';
import { audit } from './audit';
import { auditedAs, readerOf } from './reader';
import { entryInteraction, Interaction, scopesAllow } from './scopes';
import type { AccessServices } from './services';
import type { Session } from './session';

/** 403 (audited) unless the session's scopes allow `interaction` on `type` ('*': every type). */
export async function checkScope(svc: AccessServices, session: Session, type: string, interaction: Interaction): Promise<void> {
  const context = session.principal.kind === 'patient' ? 'patient' : 'system';
  if (!session.scopes || scopesAllow(session.scopes, type, interaction, context)) return;
  await audit(svc.db, {
    // A patient is audited as their account (the refusal names none of their records: nothing was asked by id yet).
    ...auditedAs(readerOf(session)),
    ...(session.principal.kind === 'patient' ? { personId: session.principal.personId } : {}),
    action: 'refused',
    outcome: 'refused',
    resourceTypes: type === '*' ? [] : [type],
    detail: `${interaction} refused: token scope (${session.scopes.join(' ')})`,
  });
  throw outcomes.forbidden(`the access token's scopes do not allow ${interaction} on ${type === '*' ? 'every type' : type}`);
}

const WRITES: Record<string, Interaction> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/**
 * The interaction a request on `/fhir/{type}…` asks for, by method and path (relative to /fhir): GET read / vread /
 * history (r) or search (s), and POST {type}/_search; POST / PUT / PATCH / DELETE create / update / delete. Null for the root (a pushed Bundle
 * is checked entry by entry, {@link checkBundleScopes}), `metadata`, and methods that ask for nothing. Pure.
 */
export function fhirInteraction(method: string, path: string): { type: string; interaction: Interaction } | null {
  const segments = path.split('/').filter(Boolean);
  const [type, id] = segments;
  if (!type || type === 'metadata') return null;
  // System-level interactions (`_history`, `$meta`; R4 http.html#history, resource-operation-meta) read every type.
  if (type.startsWith('_') || type.startsWith('$')) return method === 'GET' || method === 'HEAD' ? { type: '*', interaction: 'read' } : null;
  // POST {type}/_search is a search (R4 http.html#search); $validate reads and writes nothing (operation-resource-validate).
  if (method === 'POST' && id === '_search' && segments.length === 2) return { type, interaction: 'search' };
  if (method === 'POST' && segments.at(-1) === '$validate') return null;
  if (method === 'GET' || method === 'HEAD') return { type, interaction: id === undefined ? 'search' : 'read' };
  return WRITES[method] ? { type, interaction: WRITES[method] } : null;
}

/** As checkScope, for the interaction of a `/fhir` request (nothing to check for the root and metadata). */
export async function checkRequestScope(svc: AccessServices, session: Session, method: string, path: string): Promise<void> {
  if (!session.scopes) return;
  const asked = fhirInteraction(method, path);
  if (asked) await checkScope(svc, session, asked.type, asked.interaction);
}

/**
 * A cheap pre-parse of a pushed Bundle (the full parse runs on the ingest worker): every entry's resource type (or the
 * request URL's) and request.method must be allowed, else 403 before anything is pushed. Malformed bodies pass on
 * to the push, which refuses them with its own 400.
 */
export async function checkBundleScopes(svc: AccessServices, session: Session, text: string): Promise<void> {
  if (!session.scopes) return;
  let bundle: { entry?: Array<{ resource?: { resourceType?: unknown }; request?: { method?: unknown; url?: unknown } }> };
  try {
    bundle = JSON.parse(text);
  } catch {
    return;
  }
  if (!bundle || !Array.isArray(bundle.entry)) return;
  for (const e of bundle.entry) {
    const url = typeof e?.request?.url === 'string' ? e.request.url.split('?')[0] : '';
    // An operation entry's scopes are checked when it runs, as its own route checks them (http/routes/bundle-operations).
    if (/(^|\/)\$/.test(url)) continue;
    const [urlType, urlId] = url.split('/').filter(Boolean);
    // The type the entry acts on: the URL's and the resource's (a PATCH entry's resource is the patch, a Parameters
    // or Binary: only its URL names what it changes). Both are checked where both are given.
    const resourceType = typeof e?.resource?.resourceType === 'string' && e?.request?.method !== 'PATCH' ? e.resource.resourceType : undefined;
    const types = [...new Set([urlType, resourceType].filter((t): t is string => !!t))];
    // No (or an unknown) method: the entry is stored as it is, which may create or update, so both are needed.
    const method = typeof e?.request?.method === 'string' ? entryInteraction(e.request.method, urlId !== undefined) : null;
    for (const type of types.length ? types : ['*'])
      for (const interaction of method ? [method] : (['create', 'update'] as const)) await checkScope(svc, session, type, interaction);
  }
}
