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
