import type { NextFunction, Request, Response } from 'express';
import { entryInteraction, Interaction, scopesAllow } from '../access/scopes';
import { FhirError } from '../fhir/outcome';
import { recordAudit } from '../store/audit';
import type { Db } from '../store/db';

/**
 * 403 unless the request's SMART scopes (if it came with a token) allow `interaction` on `type`; API keys pass. A
 * refusal is audited like a consent refusal (action refused), before the answer.
 */
export async function checkScope(db: Db, req: Request, type: string, interaction: Interaction): Promise<void> {
  if (!req.scopes || scopesAllow(req.scopes, type, interaction)) return;
  await recordAudit(db, {
    clinicId: req.clinic!.id, action: 'refused', outcome: 'refused', resourceTypes: type === '*' ? [] : [type],
    detail: `${interaction} refused: token scope (${req.scopes.join(' ')})`,
  });
  throw new FhirError(403, [{ code: 'forbidden', diagnostics: `the access token's scopes do not allow ${interaction} on ${type === '*' ? 'every type' : type}` }]);
}

const WRITES: Record<string, Interaction> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/**
 * `/fhir/{type}…` by method and path: GET read/vread/history (r) or search (s); POST/PUT/DELETE create/update/delete.
 * The root (`POST /fhir`, a Bundle) is checked entry by entry in {@link checkBundleScopes}.
 */
export const fhirScopeGuard = (db: Db) => async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
  if (!req.scopes) return next();
  const [type, id] = req.path.split('/').filter(Boolean);
  if (!type || type === 'metadata') return next();
  if (req.method === 'GET' || req.method === 'HEAD') await checkScope(db, req, type, id === undefined ? 'search' : 'read');
  else if (WRITES[req.method]) await checkScope(db, req, type, WRITES[req.method]);
  next();
};

/**
 * A cheap pre-parse of a pushed Bundle (the full parse runs on the ingest worker): every entry's resource type (or the
 * request URL's) and request.method must be allowed, else 403 before anything is pushed. Malformed bodies pass on
 * to the push, which refuses them with its own 400.
 */
export async function checkBundleScopes(db: Db, req: Request, text: string): Promise<void> {
  if (!req.scopes) return;
  let bundle: { entry?: Array<{ resource?: { resourceType?: unknown }; request?: { method?: unknown; url?: unknown } }> };
  try { bundle = JSON.parse(text); } catch { return; }
  if (!bundle || !Array.isArray(bundle.entry)) return;
  for (const e of bundle.entry) {
    const url = typeof e?.request?.url === 'string' ? e.request.url.split('?')[0] : '';
    const [urlType, urlId] = url.split('/').filter(Boolean);
    const type = typeof e?.resource?.resourceType === 'string' ? e.resource.resourceType : urlType;
    // No (or an unknown) method: the entry is stored as it is, which may create or update, so both are needed.
    const method = typeof e?.request?.method === 'string' ? entryInteraction(e.request.method, urlId !== undefined) : null;
    for (const interaction of method ? [method] : (['create', 'update'] as const)) await checkScope(db, req, type ?? '*', interaction);
  }
}
