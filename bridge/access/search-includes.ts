/**
 * `_include` and `_revinclude` of a search page (R4 search.html#include), fetched with the same visibility as the
 * matches: an included resource is one the reader could have searched for, so an include or a reverse include never
 * reveals another clinic's record. `:iterate` rules apply again to what was included, up to MAX_DEPTH levels.
 */
import { emptySearch, MAX_COUNT } from '../fhir/search-params';
import { includeTargets } from '../fhir/search-includes';
import type { IncludeRule, SearchQuery, SearchVisibility } from '../model/search';
import type { Db } from '../store/db';
import type { StoredResource } from '../store/resources';
import { searchVisible } from '../store/search';

const MAX_DEPTH = 4;

export async function includedResources(
  db: Db,
  vis: SearchVisibility,
  query: SearchQuery,
  matches: StoredResource[],
): Promise<{ rows: StoredResource[]; patientIds: string[] }> {
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const included: StoredResource[] = [];
  const patientIds = new Set<string>();
  let level = matches;
  for (let depth = 0; depth < MAX_DEPTH && level.length; depth++) {
    const pick = (rules: IncludeRule[]): IncludeRule[] => (depth === 0 ? rules : rules.filter((r) => r.iterate));
    const fetches: Promise<{ rows: StoredResource[]; patientIds: string[] }>[] = [];
    for (const [type, ids] of includeTargets(level, pick(query.include))) {
      const unseen = [...ids].filter((id) => !seen.has(`${type}/${id}`));
      if (unseen.length) fetches.push(searchVisible(db, vis, emptySearch(type, { ids: unseen, count: MAX_COUNT })));
    }
    for (const rule of pick(query.revinclude)) {
      const targets = level.filter((r) => !rule.targetType || r.resourceType === rule.targetType).map((r) => ({ targetTypes: [r.resourceType], id: r.id }));
      if (targets.length)
        fetches.push(
          searchVisible(db, vis, emptySearch(rule.sourceType, { filters: [{ kind: 'reference', param: rule.param, values: targets }], count: MAX_COUNT })),
        );
    }
    const next: StoredResource[] = [];
    for (const found of await Promise.all(fetches)) {
      for (const id of found.patientIds) patientIds.add(id);
      for (const r of found.rows) {
        const key = `${r.resourceType}/${r.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        next.push(r);
      }
    }
    included.push(...next);
    level = next;
  }
  return { rows: included, patientIds: [...patientIds] };
}
