import { criteriaLocks, MatchLock, parseCriteria, resourceLocks } from './criteria';
import { FhirError } from './outcome';
import type { PlannedEntry } from './plan';
import { collectReferences, parseConditionalReference } from './references';

/**
 * The match locks of a bundle's conditional operations (see lockMatches): conditional creates, updates and deletes
 * lock their criteria and what they write; conditional references lock their criteria shared (they only read).
 */
export function matchLocks(entries: PlannedEntry[]): MatchLock[] {
  const locks: MatchLock[] = [];
  for (const e of entries) {
    const a = e.action;
    if (a.kind === 'create' && a.ifNoneExist) locks.push(...criteriaLocks(a.ifNoneExist, true), ...resourceLocks(a.resource, null));
    if (a.kind === 'conditional-update') locks.push(...criteriaLocks(a.criteria, true), ...resourceLocks(a.resource, a.resource.id ?? null));
    if (a.kind === 'conditional-delete') locks.push(...criteriaLocks(a.criteria, true));
    if ('resource' in a) {
      for (const ref of collectReferences(a.resource)) {
        const c = parseConditionalReference(ref);
        if (!c) continue;
        try {
          locks.push(...criteriaLocks(parseCriteria(c.resourceType, c.query, ref), false));
        } catch (err) {
          // Refused by linkReferences if the entry writes its resource; an entry that only matches never reads it.
          if (!(err instanceof FhirError)) throw err;
        }
      }
    }
  }
  return locks;
}
