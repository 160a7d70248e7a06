/**
 * What `_include` follows (R4 search.html#include), pure: the targets of the named reference parameter in each
 * resource, as the index reads them (search-definitions.ts paths), by type. Only bridge ids: a reference that did not
 * resolve to a stored resource names nothing to include.
 */
import type { IncludeRule } from '../model/search';
import { isBridgeId } from '../model/ids';
import { searchParamsOf } from './search-definitions';
import { evaluatePath, referenceTarget } from './search-values';

export function includeTargets(resources: readonly { resourceType: string; content: unknown }[], rules: readonly IncludeRule[]): Map<string, Set<string>> {
  const targets = new Map<string, Set<string>>();
  for (const rule of rules) {
    const def = searchParamsOf(rule.sourceType).get(rule.param);
    if (!def) continue;
    for (const r of resources) {
      if (r.resourceType !== rule.sourceType) continue;
      for (const path of def.paths) {
        for (const value of evaluatePath(r.content, path)) {
          const t = referenceTarget(value);
          if (!t?.targetType || !isBridgeId(t.targetId) || (rule.targetType && t.targetType !== rule.targetType)) continue;
          let ids = targets.get(t.targetType);
          if (!ids) targets.set(t.targetType, (ids = new Set()));
          ids.add(t.targetId);
        }
      }
    }
  }
  return targets;
}
