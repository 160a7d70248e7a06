import { FhirError } from './outcome';

/** One token condition: `identifier=system|value` (system optional) or `_id=x`. */
export interface Condition {
  param: 'identifier' | '_id';
  system?: string;
  code: string;
}

export interface Criteria {
  resourceType: string;
  conditions: Condition[];
  /** Canonical text of the criteria (sorted), the key that makes concurrent identical conditional creates collide. */
  key: string;
}

const SUPPORTED = new Set(['identifier', '_id']);

/**
 * Parses conditional criteria (`ifNoneExist`, `PUT Type?…`, `Type?…` references). Only parameters that identify
 * one resource are accepted; anything else is a 400 rather than a silently broader match.
 */
export function parseCriteria(resourceType: string, query: string, where: string): Criteria {
  const q = query.startsWith(`${resourceType}?`) ? query.slice(resourceType.length + 1) : query.replace(/^\?/, '');
  const conditions: Condition[] = [];
  for (const part of q.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const raw = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    if (!SUPPORTED.has(name)) {
      throw new FhirError(400, [{ code: 'not-supported', diagnostics: `conditional criteria parameter "${name}" is not supported (use identifier or _id)`, expression: where }]);
    }
    if (!raw) throw new FhirError(400, [{ code: 'invalid', diagnostics: `conditional criteria parameter "${name}" has no value`, expression: where }]);
    if (name === '_id') {
      conditions.push({ param: '_id', code: raw });
    } else {
      const bar = raw.indexOf('|');
      conditions.push(bar < 0 ? { param: 'identifier', code: raw } : { param: 'identifier', system: raw.slice(0, bar) || undefined, code: raw.slice(bar + 1) });
    }
  }
  if (!conditions.length) throw new FhirError(400, [{ code: 'invalid', diagnostics: 'conditional criteria are empty', expression: where }]);
  const key = conditions.map((c) => `${c.param}=${c.system ?? ''}|${c.code}`).sort().join('&');
  return { resourceType, conditions, key };
}
