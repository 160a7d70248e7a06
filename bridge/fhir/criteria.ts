import { outcomes } from './outcome';

import type { Condition, MatchLock } from '../model/search';
export type { Condition, MatchLock } from '../model/search';

export interface Criteria {
  resourceType: string;
  conditions: Condition[];
  /** Canonical text of what the criteria mean (decoded, deduplicated, sorted): equal for equivalent writings. */
  key: string;
}

const SUPPORTED = new Set(['identifier', '_id']);

/**
 * Decodes one name or value of a query string as application/x-www-form-urlencoded (WHATWG URL §5.1): `+` is a
 * space, then percent-decoding; a literal plus is `%2B`. Express decodes search query strings the same way.
 */
export function decodeQueryComponent(text: string, where: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw outcomes.invalid('conditional criteria hold invalid percent-encoding', where);
  }
}

/** A token value (`[system]|[code]` or `code`) → what it means; `|` alone names nothing and is refused. */
export function parseToken(raw: string): { system?: string | null; code?: string } | null {
  const bar = raw.indexOf('|');
  if (bar < 0) return raw ? { code: raw } : null;
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  if (!system && !code) return null;
  return { system: system || null, ...(code ? { code } : {}) };
}

/** `%`, `|` and `&` escaped, so the canonical text is unambiguous. */
const escapeKey = (text: string): string => text.replace(/[%|&]/g, (ch) => encodeURIComponent(ch));

/** The condition written canonically as FHIR writes a token: `code`, `|code`, `system|code`, `system|`. */
function conditionKey(c: Condition): string {
  const code = c.code === undefined ? '' : escapeKey(c.code);
  if (c.param === '_id' || c.system === undefined) return `${c.param}=${code}`;
  return `${c.param}=${c.system === null ? '' : escapeKey(c.system)}|${code}`;
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
    const name = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq), where);
    const raw = eq < 0 ? '' : decodeQueryComponent(part.slice(eq + 1), where);
    if (!SUPPORTED.has(name)) throw outcomes.notSupported(`conditional criteria parameter "${name}" is not supported (use identifier or _id)`, where);
    if (!raw) throw outcomes.invalid(`conditional criteria parameter "${name}" has no value`, where);
    if (name === '_id') {
      conditions.push({ param: '_id', code: raw });
      continue;
    }
    const token = parseToken(raw);
    if (!token) throw outcomes.invalid(`conditional criteria parameter "${name}" has no system and no value`, where);
    conditions.push({ param: 'identifier', ...token });
  }
  if (!conditions.length) throw outcomes.invalid('conditional criteria are empty', where);
  const byKey = new Map(conditions.map((c) => [conditionKey(c), c]));
  const keys = [...byKey.keys()].sort();
  // Criteria text is locked on and logged as a key; no real criteria come near this.
  if (Buffer.byteLength(keys.join('&')) > 2048) throw outcomes.tooLong('conditional criteria longer than 2,048 bytes are not supported', where);
  return { resourceType, conditions: keys.map((k) => byKey.get(k) as Condition), key: keys.join('&') };
}

const valueLock = (param: string, code: string): string => `${param}=${code}`;
const systemLock = (system: string | null | undefined): string => `identifier-system=${system ?? ''}`;

/**
 * Locks a conditional write takes on its criteria (exclusive), or a conditional reference (shared: it only reads).
 * A system named alone is locked exclusively either way: writers hold systems shared, so they still serialize.
 */
export function criteriaLocks(criteria: Criteria, exclusive: boolean): MatchLock[] {
  return criteria.conditions.map((c) =>
    c.code !== undefined
      ? { resourceType: criteria.resourceType, key: valueLock(c.param, c.code), exclusive }
      : { resourceType: criteria.resourceType, key: systemLock(c.system), exclusive: true },
  );
}

/**
 * Locks a conditional write takes on the resource it writes, so that criteria of a concurrent conditional
 * operation that would match it wait for it: every identifier value (exclusive), every identifier system (shared:
 * only `system|` criteria take it exclusively), and the id it is stored under when the client chose one.
 */
export function resourceLocks(resource: { resourceType: string; id?: string; identifier?: unknown }, sourceId: string | null): MatchLock[] {
  const ids = resource.identifier === undefined ? [] : Array.isArray(resource.identifier) ? resource.identifier : [resource.identifier];
  const locks: MatchLock[] = [];
  for (const i of ids as { system?: string; value?: string }[]) {
    if (!i || typeof i.value !== 'string' || !i.value) continue;
    locks.push({ resourceType: resource.resourceType, key: valueLock('identifier', i.value), exclusive: true });
    locks.push({ resourceType: resource.resourceType, key: systemLock(i.system), exclusive: false });
  }
  if (sourceId) locks.push({ resourceType: resource.resourceType, key: valueLock('_id', sourceId), exclusive: true });
  return locks;
}
