/**
 * Parameters of type- and system-level history (R4 http.html#history): `_count`, `_offset` (the bridge's paging, as in
 * search), `_since` (versions changed at or after an instant). `_at` and `_list` are not served (400 not-supported);
 * any other parameter is 400, so a filter the client relies on is never silently dropped.
 */
import { outcomes } from './outcome';
import { dateRange } from './search-index';
import { DEFAULT_COUNT, parseCount, parseOffset } from './paging';
import type { HistoryQuery } from '../model/search';

export type { HistoryQuery } from '../model/search';

const IGNORED = new Set(['_format', '_pretty']);

export function parseHistoryParams(params: Record<string, unknown>): HistoryQuery {
  const q: HistoryQuery = { count: DEFAULT_COUNT, offset: 0 };
  for (const [name, raw] of Object.entries(params)) {
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    if (IGNORED.has(name)) continue;
    if (values.length > 1) throw outcomes.invalid(`${name} may be given once`, name);
    const v = values[0];
    switch (name) {
      case '_count':
        q.count = parseCount(v, name);
        break;
      case '_offset':
        q.offset = parseOffset(v, name);
        break;
      case '_since': {
        // R4: an instant; a date or dateTime is read as the start of the period it names.
        const range = dateRange(v);
        if (!range) throw outcomes.invalid(`_since: "${v}" is not a FHIR instant`, name);
        q.since = range[0];
        break;
      }
      case '_at':
      case '_list':
        throw outcomes.notSupported(`${name} is not supported on history; supported: _since, _count, _offset`, name);
      default:
        throw outcomes.invalid(`unknown history parameter "${name}"; supported: _since, _count, _offset`, name);
    }
  }
  return q;
}
