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

/** decodeURIComponent, with invalid percent-encoding (RFC 3986 §2.1) answered 400 instead of a URIError. */
function decode(text: string, where: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new FhirError(400, [{ code: 'invalid', diagnostics: 'conditional criteria hold invalid percent-encoding', expression: where }]);
  }
}

/**
 * Parses conditional criteria (`ifNoneExist`, `PUT Type?…`, `Type?…` references). Only parameters that identify
 * one resource are accepted; anything else is a 400 rather than a silently broader match.
 */
export function parseCriteria(resourceType: string, query: string, where: string): Criteria {
  const q = query.startsWith(`${resourceType}?`) ? query.slice(resourceType.length + 1) : query.replace(/^\?/, '');
  const conditions: Condition[] = [];
  for (const part of q.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq), where);
    const raw = eq < 0 ? '' : decode(part.slice(eq + 1).replace(/\+/g, ' '), where);
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
  // The key is stored under a B-tree index (about 2.7 kB at most); no real criteria come near this.
  if (Buffer.byteLength(key) > 2048) throw new FhirError(400, [{ code: 'too-long', diagnostics: 'conditional criteria longer than 2,048 bytes are not supported', expression: where }]);
  return { resourceType, conditions, key };
}
