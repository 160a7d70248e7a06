/** Reference consistency of pulled Bundles (pure). */
import { isBridgeId, parseRelativeReference, rewriteReferences } from '../fhir/references';

/** Bridge ids named by relative references (`Type/uuid`) in `refs` (one list per resource), minus `known`. */
export function referencedIds(refs: string[][], known: Set<string>): string[] {
  const out = new Set<string>();
  for (const list of refs) {
    for (const ref of list) {
      const parsed = parseRelativeReference(ref);
      if (parsed && isBridgeId(parsed.id) && !known.has(parsed.id)) out.add(parsed.id);
    }
  }
  return [...out];
}

const EXTERNAL = /^https?:\/\//i;

/** Whether `ref` already resolves in a Bundle holding `included` (`Type/id` keys) under fullUrls `base/Type/id`, or is external. */
export function isConsistent(ref: string, included: Set<string>, base: string): boolean {
  if (ref.startsWith('#')) return true;
  if (included.has(ref)) return true;
  return EXTERNAL.test(ref) && !ref.startsWith(`${base}/`);
}

/**
 * A copy of `resource` whose every reference resolves inside the Bundle or is external: a relative reference to a
 * resource in `included` (`Type/id`) is kept; contained (`#…`) and absolute http(s) references elsewhere are kept;
 * any other (a record the reader may not see, a clinic's unresolved source id, a dangling urn) loses its
 * `reference` and keeps its text as `display`.
 */
export function consistentReferences<T>(resource: T, included: Set<string>, base: string): T {
  return dropDangling(
    rewriteReferences(resource, (ref) => {
      if (ref.startsWith('#')) return undefined;
      const parsed = parseRelativeReference(ref);
      if (parsed) return included.has(`${parsed.resourceType}/${parsed.id}`) ? `${parsed.resourceType}/${parsed.id}` : DANGLING;
      if (EXTERNAL.test(ref) && !ref.startsWith(`${base}/`)) return undefined;
      if (ref.startsWith(`${base}/`)) {
        const local = parseRelativeReference(ref.slice(base.length + 1));
        return local && included.has(`${local.resourceType}/${local.id}`) ? `${local.resourceType}/${local.id}` : DANGLING;
      }
      return DANGLING;
    }),
  );
}

const DANGLING = '\u0000dangling';

function dropDangling<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropDangling) as T;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key === 'reference' && obj[key] === DANGLING) continue;
    obj[key] = dropDangling(obj[key]);
  }
  if (obj.reference === DANGLING) {
    delete obj.reference;
    if (obj.display === undefined && obj.identifier === undefined) obj.display = 'not available to this reader';
  }
  return value;
}
