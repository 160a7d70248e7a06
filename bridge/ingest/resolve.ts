import type { Resource } from '@medplum/fhirtypes';
import type { Condition, Criteria } from '../fhir/criteria';
import { matchLocks } from '../fhir/match-locks';
import { outcomes } from '../fhir/outcome';
import type { PlannedEntry } from '../fhir/plan';
import { newBridgeId } from '../model/ids';
import type { Tx } from '../store/db';
import { checkIfMatch } from '../fhir/versioning';
import { lockMatches, lockResources, lookupResources, lookupSharedEntities, matchCriteria, SHARED_TYPES, StoredRef } from '../store/resources';

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

/** The version an update or delete is conditioned on (request.ifMatch), if any. */
function ifMatchOf(entry: PlannedEntry): number | undefined {
  return 'ifMatch' in entry.action ? entry.action.ifMatch : undefined;
}

/** 412 unless the entry's If-Match names the current version of `stored` (none stored: no version is current). */
function checkVersion(entry: PlannedEntry, stored: StoredRef | undefined): void {
  checkIfMatch(
    ifMatchOf(entry),
    stored?.version,
    `${entry.resourceType}/${stored?.id ?? (entry.action as { id?: string }).id ?? '?'}`,
    `${entryWhere(entry)}.request.ifMatch`,
  );
}

/** A match that changed between the criteria search and the row lock: the push is rerun (push.ts retries 40001). */
function matchMoved(): Error {
  return Object.assign(new Error('the conditional match changed while it was locked'), { code: '40001' });
}

/**
 * A conditional update that matches nothing creates the resource (FHIR R4 http.html#cond-update), which must then
 * meet its own criteria: else the next identical update would match nothing again and create another copy. Refused
 * with 400, as HAPI FHIR does ("the supplied resource did not satisfy the conditional URL").
 */
function refuseUnmatchedCreate(entry: PlannedEntry, resource: Resource, conditions: Condition[]): void {
  const identifiers = (resource as { identifier?: unknown }).identifier;
  const ids = (Array.isArray(identifiers) ? identifiers : []) as { system?: unknown; value?: unknown }[];
  const unmet = conditions.filter((c) =>
    c.param === '_id' ? resource.id !== c.code : !ids.some((i) => i && i.value === c.code && (c.system === undefined || i.system === c.system)),
  );
  if (!unmet.length) return;
  const named = unmet.map((c) => (c.param === '_id' ? `id ${c.code}` : `identifier ${c.system ?? ''}|${c.code}`)).join(', ');
  throw outcomes.invalid(
    `the conditional update matches nothing and its resource does not satisfy the criteria (${named}), so it cannot be created`,
    entryWhere(entry),
  );
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
    if (a.kind === 'create' || a.kind === 'upsert' || a.kind === 'update')
      for (const k of sharedKeysOf(a.resource)) sharedAsk.push({ resourceType: e.resourceType, ...k });
  }
  const byId = await lookupResources(tx, clinicId, idKeys);
  // What will be changed is locked before its version is read (all in one statement, in id order): concurrent
  // writers of one resource queue here, and each sees the version the previous one committed.
  const changeKey = (e: PlannedEntry): string | undefined => {
    const a = e.action;
    const id = a.kind === 'update' || a.kind === 'delete' ? a.id : a.kind === 'upsert' ? a.sourceId : undefined;
    return id === undefined ? undefined : `${e.resourceType}/${id}`;
  };
  const toLock = entries.map(changeKey).filter((k): k is string => k !== undefined && byId.has(k));
  const locked = await lockResources(
    tx,
    toLock.map((k) => (byId.get(k) as StoredRef).id),
  );
  for (const k of toLock) byId.set(k, locked.get((byId.get(k) as StoredRef).id) ?? (byId.get(k) as StoredRef));
  const shared = await lookupSharedEntities(tx, sharedAsk);
  const claimedInBundle = new Map<string, string>();
  const touched = new Set<string>();
  const targets: Target[] = [];

  const touch = (id: string, entry: PlannedEntry): void => {
    if (touched.has(id)) throw outcomes.duplicate('two entries of this bundle change the same resource', entryWhere(entry));
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
    const id = newBridgeId();
    const keys = sharedKeysOf(resource);
    for (const k of keys) claimedInBundle.set(`${entry.resourceType}|${k.system}|${k.value}`, id);
    return { entry, op: 'create', id, version: 1, resourceType: entry.resourceType, sourceId, status: '201 Created', sharedKeys: keys };
  };
  const update = (entry: PlannedEntry, stored: StoredRef): Target => {
    if (stored.clinicId !== clinicId) throw outcomes.forbidden('a clinic can only change what it sent', entryWhere(entry));
    checkVersion(entry, stored);
    touch(stored.id, entry);
    return { entry, op: 'update', id: stored.id, version: stored.version + 1, resourceType: entry.resourceType, sourceId: null, status: '200 OK' };
  };
  const single = async (entry: PlannedEntry, criteria: Criteria): Promise<StoredRef | undefined> => {
    const matches = await matchCriteria(tx, clinicId, entry.resourceType, criteria.conditions);
    if (matches.length > 1) throw outcomes.multipleMatches('the conditional criteria match more than one resource', entryWhere(entry));
    return matches[0];
  };
  /** The one resource conditional update or delete criteria match, locked and read again (the version as of the lock). */
  const lockedSingle = async (entry: PlannedEntry, criteria: Criteria): Promise<StoredRef | undefined> => {
    const match = await single(entry, criteria);
    if (!match) return undefined;
    const fresh = (await lockResources(tx, [match.id])).get(match.id);
    // Changed before the lock was granted: match again under it; a different answer reruns the whole push.
    if (!fresh || fresh.version !== match.version) {
      const again = await single(entry, criteria);
      if (again?.id !== match.id) throw matchMoved();
    }
    return fresh;
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
          targets.push(
            matched
              ? { entry, op: 'match', id: matched.id, version: matched.version, resourceType: entry.resourceType, sourceId: null, status: '200 OK' }
              : create(entry, a.resource, null),
          );
          break;
        }
        targets.push(sharedMatch(entry, a.resource) ?? create(entry, a.resource, null));
        break;
      }
      case 'update': {
        const stored = byId.get(`${entry.resourceType}/${a.id}`);
        if (!stored) checkVersion(entry, undefined);
        if (!stored && sourceIdsInBundle.has(`${entry.resourceType}/${a.id}`)) {
          throw outcomes.duplicate('two entries of this bundle change the same resource', entryWhere(entry));
        }
        // A shared entity another clinic (or source id) already stored under one of its identifiers is matched, not re-created.
        targets.push(stored ? update(entry, stored) : (sharedMatch(entry, a.resource) ?? create(entry, a.resource, a.id)));
        break;
      }
      case 'conditional-update': {
        const stored = await lockedSingle(entry, a.criteria);
        if (!stored) {
          checkVersion(entry, undefined);
          refuseUnmatchedCreate(entry, a.resource, a.criteria.conditions);
        }
        targets.push(stored ? update(entry, stored) : create(entry, a.resource, a.resource.id ?? null));
        break;
      }
      case 'upsert': {
        const stored = a.sourceId ? byId.get(`${entry.resourceType}/${a.sourceId}`) : undefined;
        // The same Type/id again in this collection (another server's resource, or another version under bdl-7):
        // a record of its own, keyed by its bridge id only; the first entry keeps the source id.
        const sourceId = a.sourceId && !sourceIdsInBundle.has(`${entry.resourceType}/${a.sourceId}`) ? a.sourceId : null;
        targets.push(stored ? update(entry, stored) : (sharedMatch(entry, a.resource) ?? create(entry, a.resource, sourceId)));
        break;
      }
      case 'delete':
      case 'conditional-delete': {
        const stored = a.kind === 'delete' ? byId.get(`${entry.resourceType}/${a.id}`) : await lockedSingle(entry, a.criteria);
        if (stored && !stored.deleted && stored.clinicId !== clinicId) throw outcomes.forbidden('a clinic can only delete what it sent', entryWhere(entry));
        checkVersion(entry, stored);
        if (!stored || stored.deleted) {
          targets.push({ entry, op: 'none', resourceType: entry.resourceType, sourceId: null, status: '204 No Content' });
          break;
        }
        touch(stored.id, entry);
        targets.push({
          entry,
          op: 'delete',
          id: stored.id,
          version: stored.version + 1,
          resourceType: entry.resourceType,
          sourceId: null,
          status: '204 No Content',
        });
        break;
      }
      case 'search':
      case 'operation':
        // Answered after the push by the access layer (access/writes.ts), which decides what the reader may see.
        targets.push({ entry, op: 'none', resourceType: entry.resourceType, sourceId: null, status: '200 OK' });
        break;
      case 'read': {
        const stored = byId.get(`${entry.resourceType}/${a.id}`);
        if (!stored || stored.deleted) throw outcomes.notFound(`${entry.resourceType}/${a.id} is not known`, entryWhere(entry));
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
