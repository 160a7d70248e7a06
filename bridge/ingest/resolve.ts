import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { Criteria } from '../fhir/criteria';
import { matchLocks } from '../fhir/match-locks';
import { FhirError } from '../fhir/outcome';
import type { PlannedEntry } from '../fhir/plan';
import type { Tx } from '../store/db';
import { lockMatches, lookupResources, lookupSharedEntities, matchCriteria, SHARED_TYPES, StoredRef } from '../store/resources';

/** What an entry will do once identities are known. */
export interface Target {
  entry: PlannedEntry;
  op: 'create' | 'update' | 'delete' | 'match' | 'read' | 'none';
  id?: string;
  resourceType: string;
  /** Version written (create/update/delete) or matched/read. */
  version?: number;
  sourceId: string | null;
  status: string;
  /** Claims to record after the write: shared-entity identifiers. */
  sharedKeys?: { system: string; value: string }[];
}

function sharedKeysOf(resource: Resource): { system: string; value: string }[] {
  if (!SHARED_TYPES.includes(resource.resourceType)) return [];
  const ids = (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
  return ids.filter((i) => i.system && i.value).map((i) => ({ system: i.system as string, value: i.value as string }));
}

function entryWhere(entry: PlannedEntry): string {
  return `Bundle.entry[${entry.index}]`;
}

/**
 * Decides, inside the write transaction, which stored resource each entry creates, updates, deletes or matches.
 * Lookups are batched: one query for ids, one for shared-entity identifiers; conditional criteria one each.
 */
export async function resolveTargets(tx: Tx, clinicId: string, entries: PlannedEntry[]): Promise<Target[]> {
  await lockMatches(tx, clinicId, matchLocks(entries));
  const idKeys: { resourceType: string; id: string }[] = [];
  const sharedAsk: { resourceType: string; system: string; value: string }[] = [];
  for (const e of entries) {
    const a = e.action;
    if (a.kind === 'update' || a.kind === 'delete' || a.kind === 'read') idKeys.push({ resourceType: e.resourceType, id: a.id });
    if (a.kind === 'upsert' && a.sourceId) idKeys.push({ resourceType: e.resourceType, id: a.sourceId });
    if (a.kind === 'create' || a.kind === 'upsert' || a.kind === 'update') for (const k of sharedKeysOf(a.resource)) sharedAsk.push({ resourceType: e.resourceType, ...k });
  }
  const byId = await lookupResources(tx, clinicId, idKeys);
  const shared = await lookupSharedEntities(tx, sharedAsk);
  const claimedInBundle = new Map<string, string>();
  const touched = new Set<string>();
  const targets: Target[] = [];

  const touch = (id: string, entry: PlannedEntry): void => {
    if (touched.has(id)) throw new FhirError(400, [{ code: 'duplicate', diagnostics: 'two entries of this bundle change the same resource', expression: entryWhere(entry) }]);
    touched.add(id);
  };
  /** A shared entity already known by one of its identifiers is matched, not stored again. */
  const sharedMatch = (entry: PlannedEntry, resource: Resource): Target | undefined => {
    const keys = sharedKeysOf(resource);
    for (const k of keys) {
      const full = `${entry.resourceType}|${k.system}|${k.value}`;
      const stored = shared.get(full);
      if (stored) return { entry, op: 'match', id: stored.id, version: stored.version, resourceType: entry.resourceType, sourceId: null, status: '200 OK' };
      const inBundle = claimedInBundle.get(full);
      if (inBundle) return { entry, op: 'match', id: inBundle, version: 1, resourceType: entry.resourceType, sourceId: null, status: '200 OK' };
    }
    return undefined;
  };
  /** `Type/sourceId` of the resources this bundle creates: a second create of one would violate resource_source_key. */
  const sourceIdsInBundle = new Set<string>();
  const create = (entry: PlannedEntry, resource: Resource, sourceId: string | null): Target => {
    if (sourceId !== null) sourceIdsInBundle.add(`${entry.resourceType}/${sourceId}`);
    const id = randomUUID();
    const keys = sharedKeysOf(resource);
    for (const k of keys) claimedInBundle.set(`${entry.resourceType}|${k.system}|${k.value}`, id);
    return { entry, op: 'create', id, version: 1, resourceType: entry.resourceType, sourceId, status: '201 Created', sharedKeys: keys };
  };
  const update = (entry: PlannedEntry, stored: StoredRef): Target => {
    if (stored.clinicId !== clinicId) throw new FhirError(403, [{ code: 'forbidden', diagnostics: 'a clinic can only change what it sent', expression: entryWhere(entry) }]);
    touch(stored.id, entry);
    return { entry, op: 'update', id: stored.id, version: stored.version + 1, resourceType: entry.resourceType, sourceId: null, status: '200 OK' };
  };
  const single = async (entry: PlannedEntry, criteria: Criteria): Promise<StoredRef | undefined> => {
    const matches = await matchCriteria(tx, clinicId, entry.resourceType, criteria.conditions);
    if (matches.length > 1) throw new FhirError(412, [{ code: 'multiple-matches', diagnostics: 'the conditional criteria match more than one resource', expression: entryWhere(entry) }]);
    return matches[0];
  };

  // A collection may hold several versions of one resource under one fullUrl (bdl-7): the last is stored, earlier ones point at it.
  const lastVersion = new Map<string, number>();
  for (const e of entries) if (e.action.kind === 'upsert' && e.fullUrl) lastVersion.set(e.fullUrl, e.index);
  const superseded: { target: Target; key: string }[] = [];

  for (const entry of entries) {
    const a = entry.action;
    if (a.kind === 'upsert' && entry.fullUrl && lastVersion.get(entry.fullUrl) !== entry.index) {
      const target: Target = { entry, op: 'match', resourceType: entry.resourceType, sourceId: null, status: '200 OK' };
      superseded.push({ target, key: entry.fullUrl });
      targets.push(target);
      continue;
    }
    switch (a.kind) {
      case 'create': {
        if (a.ifNoneExist) {
          // Matched on what the criteria mean, under the match locks: equivalent criteria written differently agree.
          const matched = await single(entry, a.ifNoneExist);
          targets.push(matched
            ? { entry, op: 'match', id: matched.id, version: matched.version, resourceType: entry.resourceType, sourceId: null, status: '200 OK' }
            : create(entry, a.resource, null));
          break;
        }
        targets.push(sharedMatch(entry, a.resource) ?? create(entry, a.resource, null));
        break;
      }
      case 'update': {
        const stored = byId.get(`${entry.resourceType}/${a.id}`);
        if (!stored && sourceIdsInBundle.has(`${entry.resourceType}/${a.id}`)) {
          throw new FhirError(400, [{ code: 'duplicate', diagnostics: 'two entries of this bundle change the same resource', expression: entryWhere(entry) }]);
        }
        // A shared entity another clinic (or source id) already stored under one of its identifiers is matched, not re-created.
        targets.push(stored ? update(entry, stored) : sharedMatch(entry, a.resource) ?? create(entry, a.resource, a.id));
        break;
      }
      case 'conditional-update': {
        const stored = await single(entry, a.criteria);
        targets.push(stored ? update(entry, stored) : create(entry, a.resource, a.resource.id ?? null));
        break;
      }
      case 'upsert': {
        const stored = a.sourceId ? byId.get(`${entry.resourceType}/${a.sourceId}`) : undefined;
        // The same Type/id again in this collection (another server's resource, or another version under bdl-7):
        // a record of its own, keyed by its bridge id only; the first entry keeps the source id.
        const sourceId = a.sourceId && !sourceIdsInBundle.has(`${entry.resourceType}/${a.sourceId}`) ? a.sourceId : null;
        targets.push(stored ? update(entry, stored) : sharedMatch(entry, a.resource) ?? create(entry, a.resource, sourceId));
        break;
      }
      case 'delete':
      case 'conditional-delete': {
        const stored = a.kind === 'delete' ? byId.get(`${entry.resourceType}/${a.id}`) : await single(entry, a.criteria);
        if (!stored || stored.deleted) {
          targets.push({ entry, op: 'none', resourceType: entry.resourceType, sourceId: null, status: '204 No Content' });
          break;
        }
        if (stored.clinicId !== clinicId) throw new FhirError(403, [{ code: 'forbidden', diagnostics: 'a clinic can only delete what it sent', expression: entryWhere(entry) }]);
        touch(stored.id, entry);
        targets.push({ entry, op: 'delete', id: stored.id, version: stored.version + 1, resourceType: entry.resourceType, sourceId: null, status: '204 No Content' });
        break;
      }
      case 'read': {
        const stored = byId.get(`${entry.resourceType}/${a.id}`);
        if (!stored || stored.deleted) throw new FhirError(404, [{ code: 'not-found', diagnostics: `${entry.resourceType}/${a.id} is not known`, expression: entryWhere(entry) }]);
        targets.push({ entry, op: 'read', id: stored.id, version: stored.version, resourceType: entry.resourceType, sourceId: null, status: '200 OK' });
        break;
      }
    }
  }
  for (const { target, key } of superseded) {
    const winner = targets.find((t) => t.entry.index === lastVersion.get(key));
    target.id = winner?.id;
    target.version = winner?.version;
  }
  return targets;
}
