import type { Resource } from '@medplum/fhirtypes';
import { parseCriteria } from '../fhir/criteria';
import { outcomes } from '../fhir/outcome';
import { collectReferences, parseConditionalReference, parseRelativeReference } from '../fhir/references';
import type { Tx } from '../store/db';
import { lookupResources, matchCriteria } from '../store/resources';
import type { Target } from './resolve';

/** Maps every way a bundle names a resource (fullUrl, `Type/id`, conditional reference) to `Type/bridgeId`. */
export type ReferenceMap = Map<string, string>;

function resourceOf(t: Target): Resource | undefined {
  const a = t.entry.action;
  return 'resource' in a ? a.resource : undefined;
}

/**
 * Builds the reference map of a bundle: its own entries first (fullUrl and the ids they were sent with), then
 * references to resources stored earlier (the clinic's source ids or bridge ids, batched) and conditional references
 * (each must match exactly one resource: 404 none, 412 several).
 */
export async function linkReferences(tx: Tx, clinicId: string, targets: Target[]): Promise<ReferenceMap> {
  const map: ReferenceMap = new Map();
  for (const t of targets) {
    if (!t.id) continue;
    const local = `${t.resourceType}/${t.id}`;
    if (t.entry.fullUrl) {
      map.set(t.entry.fullUrl, local);
      const rel = /\/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(t.entry.fullUrl);
      if (rel && !map.has(rel[1])) map.set(rel[1], local);
    }
    const sentId = resourceOf(t)?.id;
    if (sentId && !map.has(`${t.resourceType}/${sentId}`)) map.set(`${t.resourceType}/${sentId}`, local);
    const sentVersion = resourceOf(t)?.meta?.versionId;
    if (sentId && sentVersion) map.set(`${t.resourceType}/${sentId}/_history/${sentVersion}`, local);
  }
  const relative = new Map<string, { resourceType: string; id: string }>();
  /** Version-specific references (`Type/id/_history/n`): served as the resource's current `Type/bridgeId`. */
  const versioned = new Map<string, string>();
  const conditional = new Set<string>();
  for (const t of targets) {
    if (t.op !== 'create' && t.op !== 'update') continue;
    for (const ref of collectReferences(resourceOf(t))) {
      if (map.has(ref)) continue;
      const rel = parseRelativeReference(ref);
      if (rel) {
        const key = `${rel.resourceType}/${rel.id}`;
        if (key !== ref) versioned.set(ref, key);
        if (!map.has(key)) relative.set(key, rel);
      } else if (parseConditionalReference(ref)) conditional.add(ref);
    }
  }
  const stored = await lookupResources(tx, clinicId, [...relative.values()]);
  for (const [key, ref] of stored) if (!ref.deleted) map.set(key, `${ref.resourceType}/${ref.id}`);
  for (const [ref, key] of versioned) {
    const local = map.get(key);
    if (local) map.set(ref, local);
  }
  for (const ref of conditional) {
    const c = parseConditionalReference(ref) as { resourceType: string; query: string };
    const criteria = parseCriteria(c.resourceType, c.query, ref);
    const matches = await matchCriteria(tx, clinicId, c.resourceType, criteria.conditions);
    if (matches.length !== 1) {
      throw matches.length
        ? outcomes.multipleMatches(`conditional reference ${ref} matches more than one resource`)
        : outcomes.notFound(`conditional reference ${ref} matches no resource`);
    }
    map.set(ref, `${c.resourceType}/${matches[0].id}`);
  }
  return map;
}
