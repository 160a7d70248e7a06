import { dateRange } from './search-index';
import { outcomes } from './outcome';
import { DEFAULT_COUNT, parseCount, parseOffset } from './paging';
import { searchParamsOf, type SearchParamDef } from './search-definitions';
import { foldString } from './search-values';
import { toCanonicalQuantity } from '../normalize/units';
import { isBridgeId } from '../model/ids';

import type { DateFilter, IncludeRule, ParamFilter, QuantityFilter, ReferenceFilter, SearchQuery, SortKey, TokenFilter, ValueTable } from '../model/search';
export type { DateFilter, SearchQuery, TokenFilter } from '../model/search';

/** Parameters of the search itself (R4 search.html#all), beside each type's indexed ones. */
export const RESULT_PARAMS = ['_id', '_lastUpdated', '_count', '_offset', '_format', '_total', '_summary', '_elements', '_sort', '_include', '_revinclude'];
export { DEFAULT_COUNT, MAX_COUNT } from './paging';

const TABLE_OF: Record<SearchParamDef['type'], ValueTable> = {
  string: 'string',
  token: 'token',
  uri: 'token',
  date: 'date',
  reference: 'reference',
  quantity: 'quantity',
  number: 'quantity',
};

/** The modifiers served per parameter type (R4 search.html#modifiers); `:[type]` on references besides. */
const MODIFIERS: Record<SearchParamDef['type'], string[]> = {
  string: ['missing', 'exact', 'contains'],
  token: ['missing', 'not', 'text'],
  uri: ['missing'],
  date: ['missing'],
  reference: ['missing', 'identifier'],
  quantity: ['missing'],
  number: ['missing'],
};

/** Splits on `sep` not escaped by a backslash, then unescapes `\,` `\|` `\$` `\\` (R4 search.html#escaping). */
function splitEscaped(raw: string, sep: ',' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      current += c + raw[++i];
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}
const unescape = (s: string): string => s.replace(/\\([,|$\\])/g, '$1');

/** The values of one occurrence (`a,b` = a OR b), unescaped unless `keepEscapes` (token and quantity split again on `|`). */
function alternatives(raw: string, keepEscapes = false): string[] {
  return splitEscaped(raw, ',').map((v) => (keepEscapes ? v : unescape(v)));
}

function dateFilter(param: string, raw: string): DateFilter {
  const m = /^(eq|ne|lt|le|gt|ge|sa|eb|ap)?(.+)$/.exec(raw) as RegExpExecArray;
  if (m[1] === 'ap') throw outcomes.notSupported(`${param}: the prefix ap is not supported on dates; supported: eq, ne, lt, le, gt, ge, sa, eb`, param);
  const range = dateRange(m[2]);
  if (!range) throw outcomes.invalid(`${param}: "${raw}" is not a FHIR date, dateTime or instant`, param);
  return { prefix: (m[1] as DateFilter['prefix']) ?? 'eq', start: range[0], end: range[1] };
}

/** A token `[system]|[code]`, `code` or `|code`; the system also as its canonical URI, as codings are indexed. */
function tokenFilter(param: string, raw: string, canonical: (s: string) => string): TokenFilter {
  const parts = splitEscaped(raw, '|').map(unescape);
  if (parts.length > 2 || (parts.length === 2 && !parts[0] && !parts[1]) || (parts.length === 1 && !parts[0])) {
    throw outcomes.invalid(`${param}: "${raw}" is not a token ([system]|[code])`, param);
  }
  if (parts.length === 1) return { code: parts[0] };
  const [system, code] = parts;
  const systems = system ? [...new Set([system, canonical(system)])] : null;
  return { systems, ...(code ? { code } : {}) };
}

/** Decimal places of a FHIR decimal as written (`5.40` has two), for its implicit precision. */
function decimals(text: string): number {
  const m = /^[+-]?\d*(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return 0;
  return Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0));
}

/** `[prefix]number[|system|code]` (R4 search.html#number and #quantity). */
function quantityFilter(def: SearchParamDef, raw: string): QuantityFilter {
  const parts = splitEscaped(raw, '|').map(unescape);
  const m = /^(eq|ne|lt|le|gt|ge|sa|eb|ap)?([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/.exec(parts[0]);
  if (!m || parts.length === 2 || parts.length > 3 || (def.type === 'number' && parts.length > 1)) {
    throw outcomes.invalid(`${def.code}: "${raw}" is not a ${def.type === 'number' ? 'number' : 'quantity ([prefix]number[|system|code])'}`, def.code);
  }
  const prefix = (m[1] as QuantityFilter['prefix']) ?? 'eq';
  const v = Number(m[2]);
  const d = decimals(m[2]);
  // eq means "within the precision of the value as written": 5.4 is [5.35, 5.45); ap is within 10%.
  const half = prefix === 'ap' ? Math.abs(v) * 0.1 : 0.5 * 10 ** -d;
  const fixed = (x: number): string => (prefix === 'ap' ? String(x) : x.toFixed(d + 1));
  const filter: QuantityFilter = { prefix, value: m[2], low: fixed(v - half), high: fixed(v + half) };
  if (parts.length === 3) {
    const [, system, code] = parts;
    const canonical = code ? toCanonicalQuantity(v, code, system || null) : undefined;
    if (canonical?.status === 'converted' && canonical.unit) {
      const at = (x: string): string => String(toCanonicalQuantity(Number(x), code, system || null).value);
      return { prefix, value: at(filter.value), low: at(filter.low), high: at(filter.high), canonicalUnit: canonical.unit };
    }
    if (system) filter.system = system;
    if (code) filter.code = code;
  }
  return filter;
}

/** `id`, `Type/id` or an absolute URL ending in `Type/id`; with `:Type`, the type is given by the modifier. */
function referenceFilter(def: SearchParamDef, raw: string, typeModifier?: string): ReferenceFilter {
  const m = /^(?:.*\/)?([A-Z][A-Za-z]+)\/([^/]+)$/.exec(raw);
  const targetType = m ? m[1] : typeModifier;
  const id = m ? m[2] : raw;
  if (!id) throw outcomes.invalid(`${def.code}: a reference value is empty`, def.code);
  if (targetType && def.targets.length && !def.targets.includes(targetType)) {
    throw outcomes.invalid(`${def.code}: references ${def.targets.join(', ')}, not ${targetType}`, def.code);
  }
  if (m && typeModifier && m[1] !== typeModifier) throw outcomes.invalid(`${def.code}:${typeModifier}: "${raw}" names a ${m[1]}`, def.code);
  return { targetTypes: targetType ? [targetType] : def.targets, id };
}

function paramFilter(def: SearchParamDef, modifier: string | undefined, raw: string, canonical: (s: string) => string): ParamFilter {
  const f = ownParamFilter(def, modifier, raw, canonical);
  // A union parameter is searched in its parts' index values (`combo-code:text` in `code:text` and `component-code:text`).
  if (def.indexedAs.length > 1 || def.indexedAs[0] !== def.code) f.indexed = def.indexedAs.map((c) => c + f.param.slice(def.code.length));
  return f;
}

function ownParamFilter(def: SearchParamDef, modifier: string | undefined, raw: string, canonical: (s: string) => string): ParamFilter {
  const param = def.code;
  const isType = modifier !== undefined && def.type === 'reference' && /^[A-Z][A-Za-z]+$/.test(modifier);
  if (modifier !== undefined && !isType && !MODIFIERS[def.type].includes(modifier)) {
    const served = MODIFIERS[def.type].map((m) => `:${m}`).join(', ');
    throw outcomes.notSupported(
      `${param}:${modifier} is not supported; ${param} (a ${def.type}) takes ${served}${def.type === 'reference' ? ', :[type]' : ''}`,
      param,
    );
  }
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw outcomes.invalid(`${param}:missing must be true or false`, param);
    return { kind: 'missing', param, table: TABLE_OF[def.type], missing: raw === 'true' };
  }
  if (raw === '') throw outcomes.invalid(`${param}: a value is needed`, param);
  switch (def.type) {
    case 'string':
      return {
        kind: 'string',
        param,
        values: alternatives(raw).map((v) => ({
          value: foldString(v),
          ...(modifier === 'exact' ? { exact: v } : {}),
          ...(modifier === 'contains' ? { contains: true } : {}),
        })),
      };
    case 'token':
    case 'uri':
      if (modifier === 'text') return { kind: 'text', param, values: alternatives(raw).map((v) => ({ value: foldString(v) })) };
      if (def.type === 'uri') return { kind: 'token', param, not: false, values: alternatives(raw).map((v) => ({ systems: null, code: v })) };
      return { kind: 'token', param, not: modifier === 'not', values: alternatives(raw, true).map((v) => tokenFilter(param, v, canonical)) };
    case 'date':
      return { kind: 'date', param, values: alternatives(raw).map((v) => dateFilter(param, v)) };
    case 'reference':
      if (modifier === 'identifier')
        return { kind: 'token', param: `${param}:identifier`, not: false, values: alternatives(raw, true).map((v) => tokenFilter(param, v, (s) => s)) };
      return { kind: 'reference', param, values: alternatives(raw).map((v) => referenceFilter(def, v, isType ? modifier : undefined)) };
    case 'quantity':
    case 'number':
      return { kind: 'quantity', param, values: alternatives(raw, true).map((v) => quantityFilter(def, v)) };
  }
}

/** `subject[:Type].name[:modifier]=…` (one level, R4 search.html#chaining): references to the targets that match. */
function chainFilter(resourceType: string, key: string, raw: string, canonical: (s: string) => string): ParamFilter {
  const dot = key.indexOf('.');
  const [name, typeModifier] = key.slice(0, dot).split(':');
  const rest = key.slice(dot + 1);
  if (rest.includes('.')) throw outcomes.notSupported(`${key}: one level of chaining is supported`, key);
  const def = searchParamsOf(resourceType).get(name);
  if (!def || def.type !== 'reference') throw outcomes.notSupported(`${name} is not a reference parameter of ${resourceType}: it cannot be chained`, key);
  const [innerName, innerModifier] = splitModifier(rest);
  const candidates = typeModifier ? [typeModifier] : def.targets;
  if (typeModifier && !def.targets.includes(typeModifier)) throw outcomes.invalid(`${name} references ${def.targets.join(', ')}, not ${typeModifier}`, key);
  const targets = candidates.filter((t) => searchParamsOf(t).has(innerName));
  if (!targets.length) throw outcomes.notSupported(`${innerName} is not a search parameter of ${candidates.join(', ')}`, key);
  const inner = searchParamsOf(targets[0]).get(innerName) as SearchParamDef;
  // Several targets are searched together only where the chained parameter has the same type on each.
  const same = targets.filter((t) => searchParamsOf(t).get(innerName)?.type === inner.type);
  return { kind: 'chain', param: name, targetTypes: same, filter: paramFilter(inner, innerModifier, raw, canonical) };
}

/** `_has:Source:param:name[:modifier]=…` (R4 search.html#has): resources that a matching Source references. */
function hasFilter(resourceType: string, key: string, raw: string, canonical: (s: string) => string): ParamFilter {
  const [, sourceType, param, name, modifier, ...more] = key.split(':');
  if (!sourceType || !param || !name || more.length) throw outcomes.invalid(`${key}: _has is _has:Type:reference:parameter`, key);
  if (name === '_has') throw outcomes.notSupported('a nested _has is not supported', key);
  const ref = searchParamsOf(sourceType).get(param);
  if (!ref || ref.type !== 'reference') throw outcomes.notSupported(`${param} is not a reference parameter of ${sourceType}`, key);
  if (ref.targets.length && !ref.targets.includes(resourceType)) throw outcomes.invalid(`${sourceType}.${param} does not reference ${resourceType}`, key);
  const inner = searchParamsOf(sourceType).get(name);
  if (!inner) throw outcomes.notSupported(`${name} is not a search parameter of ${sourceType}`, key);
  return { kind: 'has', sourceType, param, filter: paramFilter(inner, modifier, raw, canonical) };
}

/** `Source:param[:Target]` of `_include` / `_revinclude` (R4 search.html#include); `*` is not served. */
function includeRule(name: string, raw: string, iterate: boolean): IncludeRule {
  const [sourceType, param, targetType, ...more] = raw.split(':');
  if (!sourceType || !param || more.length || param === '*') {
    throw outcomes.invalid(`${name}=${raw}: give Source:parameter[:Target] (the wildcard * is not supported)`, name);
  }
  const def = searchParamsOf(sourceType).get(param);
  if (!def || def.type !== 'reference') throw outcomes.invalid(`${name}: ${param} is not a reference parameter of ${sourceType}`, name);
  if (targetType && def.targets.length && !def.targets.includes(targetType))
    throw outcomes.invalid(`${name}: ${sourceType}.${param} does not reference ${targetType}`, name);
  return { sourceType, param, ...(targetType ? { targetType } : {}), iterate };
}

function splitModifier(key: string): [string, string | undefined] {
  const colon = key.indexOf(':');
  return colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
}

/** `_sort=a,-b` (R4 search.html#sort): indexed parameters of the type, `_id` and `_lastUpdated`. */
function sortKeys(resourceType: string, raw: string): SortKey[] {
  const defs = searchParamsOf(resourceType);
  return raw.split(',').map((key) => {
    const descending = key.startsWith('-');
    const param = descending ? key.slice(1) : key;
    if (param === '_id') return { param, table: 'id', descending };
    if (param === '_lastUpdated') return { param, table: 'lastUpdated', descending };
    const def = defs.get(param);
    if (!def) throw outcomes.invalid(`_sort: "${param}" is not a search parameter of ${resourceType}`, '_sort');
    const union = def.indexedAs.length > 1 || def.indexedAs[0] !== def.code;
    return { param, table: TABLE_OF[def.type], descending, ...(union ? { indexed: def.indexedAs } : {}) };
  });
}

/** The names a search of `resourceType` takes, for the CapabilityStatement and error messages. */
export function searchParamNames(resourceType: string): string[] {
  return [...searchParamsOf(resourceType).keys(), ...RESULT_PARAMS];
}

/** A search of `resourceType` with no parameters (the first page of everything), with `set` over it. */
export function emptySearch(resourceType: string, set: Partial<SearchQuery> = {}): SearchQuery {
  return {
    resourceType,
    ids: [],
    filters: [],
    patientIds: [],
    lastUpdated: [],
    sort: [],
    include: [],
    revinclude: [],
    count: DEFAULT_COUNT,
    offset: 0,
    ...set,
  };
}

/** Parses the query string of `GET /fhir/{type}?…`; unknown parameters are refused (400), never silently ignored. */
export function parseSearch(resourceType: string, query: Record<string, unknown>, canonicalSystem: (s: string) => string = (s) => s): SearchQuery {
  const q = emptySearch(resourceType);
  const defs = searchParamsOf(resourceType);
  for (const [key, value] of Object.entries(query)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (key.startsWith('_has:')) {
      for (const v of values) q.filters.push(hasFilter(resourceType, key, v, canonicalSystem));
      continue;
    }
    if (key.includes('.')) {
      for (const v of values) q.filters.push(chainFilter(resourceType, key, v, canonicalSystem));
      continue;
    }
    const [name, modifier] = splitModifier(key);
    if ((name === '_include' || name === '_revinclude') && modifier !== undefined && modifier !== 'iterate') {
      throw outcomes.notSupported(`${key}: the modifier of ${name} is :iterate`, key);
    }
    if (name === '_include' || name === '_revinclude') {
      for (const v of values)
        for (const rule of alternatives(v)) q[name === '_include' ? 'include' : 'revinclude'].push(includeRule(name, rule, modifier === 'iterate'));
      continue;
    }
    const def = defs.get(name);
    if (!def && !RESULT_PARAMS.includes(name)) {
      throw outcomes.notSupported(`search parameter "${name}" is not supported on ${resourceType}; see the CapabilityStatement (GET /fhir/metadata)`, name);
    }
    if (!def && modifier !== undefined) throw outcomes.notSupported(`${name} takes no modifier`, key);
    for (const v of values) {
      if (def) {
        const filter = paramFilter(def, modifier, v, canonicalSystem);
        q.filters.push(filter);
        if (filter.kind === 'reference' && def.targets.includes('Patient')) {
          for (const r of filter.values) if (r.targetTypes.includes('Patient') && isBridgeId(r.id)) q.patientIds.push(r.id);
        }
      }
    }
    if (def) continue;
    for (const v of values) {
      switch (name) {
        case '_id':
          q.ids.push(...alternatives(v));
          break;
        case '_lastUpdated':
          q.lastUpdated.push(dateFilter(name, v));
          break;
        case '_sort':
          q.sort.push(...sortKeys(resourceType, v));
          break;
        case '_count':
          q.count = parseCount(v, name);
          break;
        case '_total':
          // R4 search.html#total
          if (v !== 'none' && v !== 'estimate' && v !== 'accurate') throw outcomes.invalid('_total must be none, estimate or accurate', name);
          q.total = v;
          break;
        case '_summary':
          // R4 search.html#summary
          if (v === 'count') q.countOnly = true;
          else if (v === 'true' || v === 'text' || v === 'data') q.summary = v;
          else if (v !== 'false') throw outcomes.invalid(`_summary must be true, text, data, count or false`, name);
          break;
        case '_elements': {
          // R4 search.html#elements: top-level element names, also written Type.name.
          const names = v.split(',').map((e) => e.trim().replace(new RegExp(`^${resourceType}\\.`), ''));
          if (names.some((e) => !/^[a-z][A-Za-z0-9]*$/.test(e))) throw outcomes.invalid(`_elements takes top-level element names (e.g. identifier,name)`, name);
          q.elements = [...(q.elements ?? []), ...names];
          break;
        }
        case '_offset':
          q.offset = parseOffset(v, name);
          break;
      }
    }
  }
  if (q.elements && (q.summary || q.countOnly)) throw outcomes.invalid('give _summary or _elements, not both', '_elements');
  return q;
}
