import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { Criteria, parseCriteria } from './criteria';
import { FhirError, Issue, issueOf, outcomes, outcomeWithIssues } from './outcome';
import { HTTP_VERBS } from './terminology';
import { parseIfMatch } from './versioning';
import { parseSearch } from './search-params';
import { entryPatchOf, type Patch } from './patch';

/** A query string as application/x-www-form-urlencoded (WHATWG URL), each name with all its values. */
function searchParamsOf(query: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) (out[name] ??= []).push(value);
  return out;
}

export type PushableBundleType = 'transaction' | 'batch' | 'collection' | 'document';
export const PUSHABLE_TYPES: readonly PushableBundleType[] = ['transaction', 'batch', 'collection', 'document'];

/** What one entry asks the bridge to do, decided from the Bundle alone (no database). */
export type EntryAction =
  | { kind: 'create'; resource: Resource; ifNoneExist?: Criteria }
  | { kind: 'update'; resource: Resource; id: string; ifMatch?: number }
  /** R4 http.html#patch as an entry: applied in the push's transaction to the version current then, stored as its update. */
  | { kind: 'patch'; id: string; patch: Patch; ifMatch?: number }
  | { kind: 'conditional-update'; resource: Resource; criteria: Criteria; ifMatch?: number }
  /** collection/document entries: create or update keyed by the clinic and the resource's source id. */
  | { kind: 'upsert'; resource: Resource; sourceId?: string }
  | { kind: 'delete'; resourceType: string; id: string; ifMatch?: number }
  | { kind: 'conditional-delete'; resourceType: string; criteria: Criteria; ifMatch?: number }
  | { kind: 'read'; resourceType: string; id: string }
  /** `GET Type?params` (R4 http.html#transaction): answered by the access layer after the push, as a searchset. */
  | { kind: 'search'; resourceType: string; params: Record<string, string[]> }
  /** A read-only operation (BUNDLE_OPERATIONS), answered after the push like a search. */
  | ({ kind: 'operation' } & BundleOperationCall);

/** An operation invoked by a bundle entry: `[Type/[id/]]$name?params`, with the entry's resource as its input. */
export interface BundleOperationCall {
  name: BundleOperationName;
  resourceType?: string;
  id?: string;
  params: Record<string, string[]>;
  input?: Resource;
}

/**
 * The operations a transaction or batch entry may invoke (R4 http.html#transaction: an entry may be any interaction
 * or operation): those that change nothing, with their method, levels and types. The others (`$export`, which starts
 * a job; the consent decisions, which write) are refused in a bundle, each with its reason.
 */
export const BUNDLE_OPERATIONS = {
  validate: { method: 'POST', levels: ['type', 'instance'] },
  meta: { method: 'GET', levels: ['system', 'type', 'instance'] },
  everything: { method: 'GET', levels: ['instance'], types: ['Patient'] },
  summary: { method: 'GET', levels: ['instance'], types: ['Patient'] },
  match: { method: 'POST', levels: ['type'], types: ['Patient'] },
} as const satisfies Record<string, { method: string; levels: readonly string[]; types?: readonly string[] }>;
export type BundleOperationName = keyof typeof BUNDLE_OPERATIONS;

export interface PlannedEntry {
  /** Position in the received Bundle: responses are given in this order. */
  index: number;
  fullUrl?: string;
  resourceType: string;
  action: EntryAction;
}

export interface BundlePlan {
  type: PushableBundleType;
  /** In processing order: DELETE, POST, PUT, GET (FHIR transaction rules); received order for other types. */
  entries: PlannedEntry[];
  /** batch only: entries refused before processing, each answered with its own OperationOutcome. */
  refused: Map<number, FhirError>;
  entryCount: number;
}

const ORDER: Record<EntryAction['kind'], number> = {
  delete: 0,
  'conditional-delete': 0,
  create: 1,
  update: 2,
  'conditional-update': 2,
  patch: 2,
  upsert: 1,
  read: 3,
  search: 3,
  operation: 3,
};

/** Search and operation entries answered in one bundle's response (each up to a page of a thousand resources). */
export const MAX_DEFERRED_READS = 50;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE = /^[A-Z][A-Za-z]+$/;

function planRequestEntry(entry: BundleEntry, index: number): PlannedEntry {
  const where = `Bundle.entry[${index}].request`;
  const req = entry.request;
  if (!req?.method || !req.url) throw outcomes.required('entry.request with method and url is required in transaction and batch bundles', where);
  if (!HTTP_VERBS.includes(req.method)) throw outcomes.codeInvalid(`request.method "${req.method}" is not an HTTP verb FHIR allows`, `${where}.method`);
  const url = req.url.replace(/^\/+/, '');
  const [pathPart, query] = url.split('?', 2) as [string, string | undefined];
  if (/(^|\/)\$/.test(pathPart)) return planOperationEntry(entry, index, pathPart, query);
  const [resourceType, id, extra] = pathPart.split('/');
  if (!TYPE.test(resourceType ?? '') || extra !== undefined)
    throw outcomes.invalid(`request.url "${req.url}" is not Type, Type/id or Type?criteria`, `${where}.url`);
  if (id !== undefined && !ID.test(id)) throw outcomes.invalid(`"${id}" is not a valid FHIR id`, `${where}.url`);
  const resource = entry.resource;
  const base = { index, fullUrl: entry.fullUrl, resourceType };
  const needResource = (): Resource => {
    if (!resource) throw outcomes.required(`${req.method} needs entry.resource`, `Bundle.entry[${index}]`);
    if (resource.resourceType !== resourceType)
      throw outcomes.invalid(`request.url names ${resourceType} but the resource is a ${resource.resourceType}`, `${where}.url`);
    return resource;
  };
  // request.ifMatch: the version the change is based on (versioned update); only writes to an existing resource have one.
  if (req.ifMatch !== undefined && req.method !== 'PUT' && req.method !== 'DELETE' && req.method !== 'PATCH') {
    throw outcomes.invalid(`request.ifMatch applies to PUT, PATCH and DELETE, not ${req.method}`, `${where}.ifMatch`);
  }
  const ifMatch = req.ifMatch !== undefined ? parseIfMatch(String(req.ifMatch), `${where}.ifMatch`) : undefined;
  const versioned = ifMatch !== undefined ? { ifMatch } : {};
  switch (req.method) {
    case 'POST':
      if (id !== undefined || query !== undefined) throw outcomes.invalid('POST request.url must be just the resource type', `${where}.url`);
      return {
        ...base,
        action: {
          kind: 'create',
          resource: needResource(),
          ifNoneExist: req.ifNoneExist ? parseCriteria(resourceType, req.ifNoneExist, `${where}.ifNoneExist`) : undefined,
        },
      };
    case 'PUT': {
      const res = needResource();
      if (query !== undefined)
        return { ...base, action: { kind: 'conditional-update', resource: res, criteria: parseCriteria(resourceType, query, `${where}.url`), ...versioned } };
      if (id === undefined) throw outcomes.invalid('PUT request.url needs Type/id or Type?criteria', `${where}.url`);
      if (res.id !== undefined && res.id !== id)
        throw outcomes.invalid(`resource.id "${res.id}" does not match request.url id "${id}"`, `Bundle.entry[${index}].resource.id`);
      return { ...base, action: { kind: 'update', resource: res, id, ...versioned } };
    }
    case 'PATCH':
      if (id === undefined || query !== undefined) throw outcomes.invalid('PATCH request.url needs Type/id', `${where}.url`);
      return { ...base, action: { kind: 'patch', id, patch: entryPatchOf(resource, `Bundle.entry[${index}].resource`), ...versioned } };
    case 'DELETE':
      if (query !== undefined)
        return { ...base, action: { kind: 'conditional-delete', resourceType, criteria: parseCriteria(resourceType, query, `${where}.url`), ...versioned } };
      if (id === undefined) throw outcomes.invalid('DELETE request.url needs Type/id or Type?criteria', `${where}.url`);
      return { ...base, action: { kind: 'delete', resourceType, id, ...versioned } };
    case 'GET':
    case 'HEAD':
      if (id !== undefined && query !== undefined) throw outcomes.invalid('a GET request.url is Type/id or Type?parameters', `${where}.url`);
      if (id === undefined) {
        const params = searchParamsOf(query ?? '');
        parseSearch(resourceType, params); // a search the bridge would refuse is refused here, with its reason
        return { ...base, action: { kind: 'search', resourceType, params } };
      }
      return { ...base, action: { kind: 'read', resourceType, id } };
    default:
      throw outcomes.notSupported(`${req.method} is not supported inside a bundle`, `${where}.method`);
  }
}

/** `[Type/[id/]]$name[?params]` as an entry: one of BUNDLE_OPERATIONS, at a level and with the method it takes. */
function planOperationEntry(entry: BundleEntry, index: number, pathPart: string, query: string | undefined): PlannedEntry {
  const where = `Bundle.entry[${index}].request`;
  const segments = pathPart.split('/');
  const name = (segments.pop() as string).slice(1);
  const [resourceType, id, extra] = segments;
  const level = id !== undefined ? 'instance' : resourceType !== undefined ? 'type' : 'system';
  if (extra !== undefined || (resourceType !== undefined && !TYPE.test(resourceType)) || (id !== undefined && !ID.test(id)))
    throw outcomes.invalid(`request.url "${entry.request?.url}" is not [Type/[id/]]$operation`, `${where}.url`);
  const op = Object.hasOwn(BUNDLE_OPERATIONS, name) ? BUNDLE_OPERATIONS[name as BundleOperationName] : undefined;
  if (!op) {
    const served = Object.keys(BUNDLE_OPERATIONS)
      .map((n) => `$${n}`)
      .join(', ');
    throw outcomes.notSupported(`$${name} is not supported inside a bundle; operations served there: ${served}`, `${where}.url`);
  }
  const types = 'types' in op ? (op.types as readonly string[]) : undefined;
  if (!(op.levels as readonly string[]).includes(level) || (types && !types.includes(resourceType ?? '')))
    throw outcomes.invalid(`$${name} is not an operation on ${resourceType ? `${resourceType}${id ? '/{id}' : ''}` : 'the system'}`, `${where}.url`);
  if (entry.request?.method !== op.method) throw outcomes.invalid(`$${name} is invoked with ${op.method}`, `${where}.method`);
  const call: BundleOperationCall = {
    name: name as BundleOperationName,
    ...(resourceType ? { resourceType } : {}),
    ...(id ? { id } : {}),
    params: searchParamsOf(query ?? ''),
    ...(entry.resource ? { input: entry.resource } : {}),
  };
  return { index, fullUrl: entry.fullUrl, resourceType: resourceType ?? 'Bundle', action: { kind: 'operation', ...call } };
}

function planUpsertEntry(entry: BundleEntry, index: number): PlannedEntry {
  const resource = entry.resource;
  if (!resource) throw outcomes.required('collection and document entries need a resource', `Bundle.entry[${index}]`);
  return { index, fullUrl: entry.fullUrl, resourceType: resource.resourceType, action: { kind: 'upsert', resource, sourceId: resource.id } };
}

/** bdl-7: a fullUrl is unique, unless the entries are different versions (meta.versionId) of one resource. */
function checkFullUrls(entries: BundleEntry[]): Issue[] {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  entries.forEach((e, i) => {
    if (!e.fullUrl) return;
    const key = `${e.fullUrl}|${e.resource?.meta?.versionId ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) issues.push(issueOf('duplicate', `fullUrl ${e.fullUrl} is used by entries ${first} and ${i}`, `Bundle.entry[${i}].fullUrl`));
    else seen.set(key, i);
  });
  return issues;
}

/** 413 for a bundle with more entries than the bridge takes in one push. */
export function checkEntryCount(count: number, maxEntries: number): void {
  if (count > maxEntries) throw outcomes.tooLarge(`the bundle has ${count} entries; the limit is ${maxEntries}`);
}

/**
 * Turns a validated Bundle into the ordered work the bridge will do. Throws a 400 FhirError for a malformed
 * transaction (it is all or nothing); a malformed batch entry is refused alone.
 */
export function planBundle(bundle: Bundle, maxEntries: number): BundlePlan {
  const type = bundle.type as PushableBundleType;
  if (!PUSHABLE_TYPES.includes(type)) {
    throw outcomes.notSupported(`Bundle.type "${bundle.type}" cannot be pushed: send a transaction, batch, collection or document`, 'Bundle.type');
  }
  const entries = bundle.entry ?? [];
  checkEntryCount(entries.length, maxEntries);
  const fullUrlIssues = checkFullUrls(entries);
  if (fullUrlIssues.length) throw outcomeWithIssues('invalid', fullUrlIssues);
  if (type === 'document' && entries[0]?.resource?.resourceType !== 'Composition') {
    throw outcomes.invariant('a document bundle must start with a Composition (bdl-11)', 'Bundle.entry[0]');
  }
  const refused = new Map<number, FhirError>();
  const planned: PlannedEntry[] = [];
  const issues: Issue[] = [];
  entries.forEach((entry, index) => {
    try {
      planned.push(type === 'transaction' || type === 'batch' ? planRequestEntry(entry, index) : planUpsertEntry(entry, index));
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      if (type === 'batch') refused.set(index, err);
      else issues.push(...err.issues);
    }
  });
  if (issues.length) throw outcomeWithIssues('invalid', issues);
  const reads = planned.filter((e) => e.action.kind === 'search' || e.action.kind === 'operation').length;
  if (reads > MAX_DEFERRED_READS) {
    // Each is answered in the response, whole ($everything: a page of a person's record): bounded per request.
    throw outcomes.tooComplex(`the bundle has ${reads} search and operation entries; at most ${MAX_DEFERRED_READS} are answered in one bundle`);
  }
  if (type === 'transaction') planned.sort((a, b) => ORDER[a.action.kind] - ORDER[b.action.kind] || a.index - b.index);
  return { type, entries: planned, refused, entryCount: entries.length };
}
