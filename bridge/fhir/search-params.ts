import { dateRange } from './search-index';
import { boundedInteger, INT4_MAX } from './integers';
import { parseToken } from './criteria';
import { outcomes } from './outcome';

import type { DateFilter, SearchQuery, TokenFilter } from '../model/search';
export type { DateFilter, SearchQuery, TokenFilter } from '../model/search';

export const SEARCH_PARAMS = ['_id', 'identifier', 'code', 'patient', 'subject', 'date', '_lastUpdated', '_count', '_offset', '_format', '_total', '_summary'];
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;

function dateFilter(param: string, raw: string): DateFilter {
  const m = /^(eq|ne|lt|le|gt|ge)?(.+)$/.exec(raw) as RegExpExecArray;
  const range = dateRange(m[2]);
  if (!range) throw outcomes.invalid(`${param}: "${raw}" is not a FHIR date, dateTime or instant`, param);
  return { prefix: (m[1] as DateFilter['prefix']) ?? 'eq', start: range[0], end: range[1] };
}

/** `a,b` alternatives of one token parameter, read as FHIR R4 token search does (see parseToken). */
function tokenAlternatives(param: 'identifier' | 'code', raw: string, canonical: (s: string) => string): TokenFilter[] {
  return raw.split(',').map((alt) => {
    const token = parseToken(alt);
    if (!token) throw outcomes.invalid(`${param}: "${alt}" names neither a system nor a code`, param);
    // Codes are indexed under canonical system URIs (OIDs and aliases mapped), so the searched system is mapped too.
    const system = typeof token.system === 'string' && param === 'code' ? canonical(token.system) : token.system;
    return { param, ...(system !== undefined ? { system } : {}), ...(token.code !== undefined ? { code: token.code } : {}) };
  });
}

/** Parses the query string of `GET /fhir/{type}?…`; unknown parameters are refused (400), never silently ignored. */
export function parseSearch(resourceType: string, query: Record<string, unknown>, canonicalSystem: (s: string) => string = (s) => s): SearchQuery {
  const q: SearchQuery = { resourceType, ids: [], tokens: [], patientIds: [], dates: [], lastUpdated: [], count: DEFAULT_COUNT, offset: 0 };
  for (const [name, value] of Object.entries(query)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (!SEARCH_PARAMS.includes(name)) throw outcomes.notSupported(`search parameter "${name}" is not supported; supported: ${SEARCH_PARAMS.join(', ')}`, name);
    for (const v of values) {
      switch (name) {
        case '_id':
          q.ids.push(...v.split(','));
          break;
        case 'identifier':
        case 'code':
          q.tokens.push(tokenAlternatives(name, v, canonicalSystem));
          break;
        case 'patient':
        case 'subject':
          q.patientIds.push(v.replace(/^Patient\//, ''));
          break;
        case 'date':
          q.dates.push(dateFilter(name, v));
          break;
        case '_lastUpdated':
          q.lastUpdated.push(dateFilter(name, v));
          break;
        case '_count': {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw outcomes.invalid(`_count must be a non-negative integer`, name);
          q.count = Math.min(n, MAX_COUNT); // a larger count is served as MAX_COUNT: FHIR lets the server choose its page size
          break;
        }
        case '_total':
          // R4 search.html#total
          if (v !== 'none' && v !== 'estimate' && v !== 'accurate') throw outcomes.invalid('_total must be none, estimate or accurate', name);
          q.total = v;
          break;
        case '_summary':
          // R4 search.html#summary: count is served; true, text and data are not yet (refused, never ignored).
          if (v === 'count') q.countOnly = true;
          else if (v !== 'false') throw outcomes.notSupported(`_summary=${v} is not supported; supported: count, false`, name);
          break;
        case '_offset': {
          const n = boundedInteger(v);
          if (n === undefined) throw outcomes.invalid(`_offset must be an integer from 0 to ${INT4_MAX}`, name);
          q.offset = n;
          break;
        }
      }
    }
  }
  return q;
}
