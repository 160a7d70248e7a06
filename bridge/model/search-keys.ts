import { createHash } from 'node:crypto';

/**
 * The text keys of token and reference search values, held in `resource.search_keys` (a GIN-indexed text[]; migration
 * 026) so that a token or reference match is an array containment test, with no row per value to write. Pure.
 *
 *   `p`            parameter p has a value (for :missing)
 *   `p=code`       token code in any system
 *   `p|sys|code`   token code in system sys;  `p|sys|` any code of sys;  `p||code` code with no system
 *   `p>Type/id`    reference to Type/id;  `p>url` a canonical or unresolved reference
 *   `p~text`       a text of a token value (folded, search-values foldString), for `p:text`; each distinct one is
 *                  also in the search_text dictionary (migration 029), where a starts-with search finds it
 *   `_type=Type`   the resource's type, on every row (typeKey)
 *
 * Parameter codes hold neither `=`, `|`, `>` nor `~`, so keys of different parameters never collide.
 */
export const presenceKey = (param: string): string => param;
export const anySystemKey = (param: string, code: string): string => `${param}=${code}`;
export const systemKey = (param: string, system: string | null, code = ''): string => `${param}|${system ?? ''}|${code}`;
export const referenceKey = (param: string, targetType: string | null, targetId: string): string => `${param}>${targetType ? `${targetType}/` : ''}${targetId}`;
export const textKey = (param: string, folded: string): string => `${param}~${folded}`;

/** The keys of one token value: found by code alone, by system and code, and by its system alone (or as having none). */
export function tokenKeys(param: string, system: string | null, code: string): string[] {
  return system === null
    ? [anySystemKey(param, code), systemKey(param, null, code)]
    : [anySystemKey(param, code), systemKey(param, system, code), systemKey(param, system)];
}

/** Every key of a resource's token and reference values (SearchValues of model/search.ts), without repeats. */
export function searchKeysOf(values: {
  tokens: { param: string; system: string | null; code: string }[];
  references: { param: string; targetType: string | null; targetId: string }[];
  texts: { param: string; value: string }[];
}): string[] {
  // Written for every resource version: keys built once each, a parameter's presence key once per run of its values.
  const keys = new Set<string>();
  let last: string | undefined;
  for (const t of values.tokens) {
    if (t.param !== last) keys.add(presenceKey((last = t.param)));
    keys.add(anySystemKey(t.param, t.code));
    keys.add(systemKey(t.param, t.system, t.code));
    if (t.system !== null) keys.add(systemKey(t.param, t.system));
  }
  last = undefined;
  for (const r of values.references) {
    if (r.param !== last) keys.add(presenceKey((last = r.param)));
    keys.add(referenceKey(r.param, r.targetType, r.targetId));
  }
  for (const t of values.texts) keys.add(textKey(t.param, t.value));
  return [...keys];
}

/**
 * The key every row of a type holds (migration 028), so that a count ANDs the type with the search keys inside one
 * GIN scan rather than with a bitmap of every row of the type from its B-tree (store/search.ts pageAndTotal).
 */
export const typeKey = (resourceType: string): string => anySystemKey('_type', resourceType);

/** A row's search_keys: its type key and the keys of its token and reference values. */
export const rowKeysOf = (resourceType: string, values: Parameters<typeof searchKeysOf>[0]): string[] => [typeKey(resourceType), ...searchKeysOf(values)];

/**
 * The token values among a row's keys, read exactly as migration 031's SQL function search_token_values reads them
 * (the rows written with COPY are cleared through that function, so the two must agree; test/integration/store):
 * `p|system|code` is a value, `p||code` one with no system (''); the first `|` ends the parameter, the next the system.
 */
export function tokenValuesOfKeys(keys: readonly string[]): { param: string; system: string; code: string }[] {
  const values: { param: string; system: string; code: string }[] = [];
  for (const key of keys) {
    const bar = key.indexOf('|');
    const param = bar < 0 ? key : key.slice(0, bar);
    if (bar < 0 || param.includes('=') || param.includes('>') || param.includes('~')) continue;
    const rest = key.slice(bar + 1);
    const next = rest.indexOf('|');
    if (next < 0 || next === rest.length - 1) continue;
    values.push({ param, system: rest.slice(0, next), code: rest.slice(next + 1) });
  }
  return values;
}

// Codes and systems repeat across resources (a few hundred LOINC codes make most Observations), so their hashes are
// kept; the map is emptied when full rather than ordered, which costs less than an LRU's bookkeeping on every write.
const HASHES_KEPT = 50_000;
const hashes = new Map<string, string>();

/** Migration 031's search_token_hash: the first 8 bytes of SHA-256 of the UTF-8 text as a signed bigint, in decimal. */
export function tokenHash(value: string): string {
  let hash = hashes.get(value);
  if (hash === undefined) {
    if (hashes.size >= HASHES_KEPT) hashes.clear();
    hash = createHash('sha256').update(value, 'utf8').digest().readBigInt64BE(0).toString();
    hashes.set(value, hash);
  }
  return hash;
}

/** search_token.code_key of a code of a parameter of a type (migration 031). */
export const tokenCodeKey = (resourceType: string, param: string, code: string): string => tokenHash(`${resourceType}|${param}|${code}`);

/** search_token.system_key of a system, '' for none (migration 031). */
export const tokenSystemKey = (system: string): string => tokenHash(system);

/** The search_token rows of a resource with these keys, as migration 031's search_token_rows makes them. */
export const tokenRowsOfKeys = (resourceType: string, keys: readonly string[]): { codeKey: string; systemKey: string }[] =>
  tokenValuesOfKeys(keys).map((v) => ({ codeKey: tokenCodeKey(resourceType, v.param, v.code), systemKey: tokenSystemKey(v.system) }));
