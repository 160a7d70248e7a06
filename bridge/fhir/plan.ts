import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { Criteria, parseCriteria } from './criteria';
import { FhirError, Issue } from './outcome';
import { HTTP_VERBS } from './terminology';
import { parseIfMatch } from './versioning';

export type PushableBundleType = 'transaction' | 'batch' | 'collection' | 'document';
export const PUSHABLE_TYPES: readonly PushableBundleType[] = ['transaction', 'batch', 'collection', 'document'];

/** What one entry asks the bridge to do, decided from the Bundle alone (no database). */
export type EntryAction =
  | { kind: 'create'; resource: Resource; ifNoneExist?: Criteria }
  | { kind: 'update'; resource: Resource; id: string; ifMatch?: number }
  | { kind: 'conditional-update'; resource: Resource; criteria: Criteria; ifMatch?: number }
  /** collection/document entries: create or update keyed by the clinic and the resource's source id. */
  | { kind: 'upsert'; resource: Resource; sourceId?: string }
  | { kind: 'delete'; resourceType: string; id: string; ifMatch?: number }
  | { kind: 'conditional-delete'; resourceType: string; criteria: Criteria; ifMatch?: number }
  | { kind: 'read'; resourceType: string; id: string };

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
  delete: 0, 'conditional-delete': 0, create: 1, update: 2, 'conditional-update': 2, upsert: 1, read: 3,
};

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE = /^[A-Z][A-Za-z]+$/;

function planRequestEntry(entry: BundleEntry, index: number): PlannedEntry {
  const where = `Bundle.entry[${index}].request`;
  const req = entry.request;
  if (!req?.method || !req.url) throw new FhirError(400, [{ code: 'required', diagnostics: 'entry.request with method and url is required in transaction and batch bundles', expression: where }]);
  if (!HTTP_VERBS.includes(req.method)) throw new FhirError(400, [{ code: 'code-invalid', diagnostics: `request.method "${req.method}" is not an HTTP verb FHIR allows`, expression: `${where}.method` }]);
  const url = req.url.replace(/^\/+/, '');
  const [pathPart, query] = url.split('?', 2) as [string, string | undefined];
  const [resourceType, id, extra] = pathPart.split('/');
  if (!TYPE.test(resourceType ?? '') || extra !== undefined) throw new FhirError(400, [{ code: 'invalid', diagnostics: `request.url "${req.url}" is not Type, Type/id or Type?criteria`, expression: `${where}.url` }]);
  if (id?.startsWith('$') || resourceType.startsWith('$')) throw new FhirError(400, [{ code: 'not-supported', diagnostics: `operations (${req.url}) are not supported inside a bundle`, expression: `${where}.url` }]);
  if (id !== undefined && !ID.test(id)) throw new FhirError(400, [{ code: 'invalid', diagnostics: `"${id}" is not a valid FHIR id`, expression: `${where}.url` }]);
  const resource = entry.resource;
  const base = { index, fullUrl: entry.fullUrl, resourceType };
  const needResource = (): Resource => {
    if (!resource) throw new FhirError(400, [{ code: 'required', diagnostics: `${req.method} needs entry.resource`, expression: `Bundle.entry[${index}]` }]);
    if (resource.resourceType !== resourceType) throw new FhirError(400, [{ code: 'invalid', diagnostics: `request.url names ${resourceType} but the resource is a ${resource.resourceType}`, expression: `${where}.url` }]);
    return resource;
  };
  // request.ifMatch: the version the change is based on (versioned update); only writes to an existing resource have one.
  if (req.ifMatch !== undefined && req.method !== 'PUT' && req.method !== 'DELETE') {
    throw new FhirError(400, [{ code: 'invalid', diagnostics: `request.ifMatch applies to PUT and DELETE, not ${req.method}`, expression: `${where}.ifMatch` }]);
  }
  const ifMatch = req.ifMatch !== undefined ? parseIfMatch(String(req.ifMatch), `${where}.ifMatch`) : undefined;
  const versioned = ifMatch !== undefined ? { ifMatch } : {};
  switch (req.method) {
    case 'POST':
      if (id !== undefined || query !== undefined) throw new FhirError(400, [{ code: 'invalid', diagnostics: 'POST request.url must be just the resource type', expression: `${where}.url` }]);
      return { ...base, action: { kind: 'create', resource: needResource(), ifNoneExist: req.ifNoneExist ? parseCriteria(resourceType, req.ifNoneExist, `${where}.ifNoneExist`) : undefined } };
    case 'PUT': {
      const res = needResource();
      if (query !== undefined) return { ...base, action: { kind: 'conditional-update', resource: res, criteria: parseCriteria(resourceType, query, `${where}.url`), ...versioned } };
      if (id === undefined) throw new FhirError(400, [{ code: 'invalid', diagnostics: 'PUT request.url needs Type/id or Type?criteria', expression: `${where}.url` }]);
      if (res.id !== undefined && res.id !== id) throw new FhirError(400, [{ code: 'invalid', diagnostics: `resource.id "${res.id}" does not match request.url id "${id}"`, expression: `Bundle.entry[${index}].resource.id` }]);
      return { ...base, action: { kind: 'update', resource: res, id, ...versioned } };
    }
    case 'DELETE':
      if (query !== undefined) return { ...base, action: { kind: 'conditional-delete', resourceType, criteria: parseCriteria(resourceType, query, `${where}.url`), ...versioned } };
      if (id === undefined) throw new FhirError(400, [{ code: 'invalid', diagnostics: 'DELETE request.url needs Type/id or Type?criteria', expression: `${where}.url` }]);
      return { ...base, action: { kind: 'delete', resourceType, id, ...versioned } };
    case 'GET':
    case 'HEAD':
      if (id === undefined || query !== undefined) throw new FhirError(400, [{ code: 'not-supported', diagnostics: 'only GET Type/id reads are supported inside a bundle', expression: `${where}.url` }]);
      return { ...base, action: { kind: 'read', resourceType, id } };
    default:
      throw new FhirError(400, [{ code: 'not-supported', diagnostics: `${req.method} is not supported inside a bundle`, expression: `${where}.method` }]);
  }
}

function planUpsertEntry(entry: BundleEntry, index: number): PlannedEntry {
  const resource = entry.resource;
  if (!resource) throw new FhirError(400, [{ code: 'required', diagnostics: 'collection and document entries need a resource', expression: `Bundle.entry[${index}]` }]);
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
    if (first !== undefined) issues.push({ code: 'duplicate', diagnostics: `fullUrl ${e.fullUrl} is used by entries ${first} and ${i}`, expression: `Bundle.entry[${i}].fullUrl` });
    else seen.set(key, i);
  });
  return issues;
}

/** 413 for a bundle with more entries than the bridge takes in one push. */
export function checkEntryCount(count: number, maxEntries: number): void {
  if (count > maxEntries) throw new FhirError(413, [{ code: 'too-costly', diagnostics: `the bundle has ${count} entries; the limit is ${maxEntries}` }]);
}

/**
 * Turns a validated Bundle into the ordered work the bridge will do. Throws a 400 FhirError for a malformed
 * transaction (it is all or nothing); a malformed batch entry is refused alone.
 */
export function planBundle(bundle: Bundle, maxEntries: number): BundlePlan {
  const type = bundle.type as PushableBundleType;
  if (!PUSHABLE_TYPES.includes(type)) {
    throw new FhirError(400, [{ code: 'not-supported', diagnostics: `Bundle.type "${bundle.type}" cannot be pushed: send a transaction, batch, collection or document`, expression: 'Bundle.type' }]);
  }
  const entries = bundle.entry ?? [];
  checkEntryCount(entries.length, maxEntries);
  const fullUrlIssues = checkFullUrls(entries);
  if (fullUrlIssues.length) throw new FhirError(400, fullUrlIssues);
  if (type === 'document' && entries[0]?.resource?.resourceType !== 'Composition') {
    throw new FhirError(400, [{ code: 'invariant', diagnostics: 'a document bundle must start with a Composition (bdl-11)', expression: 'Bundle.entry[0]' }]);
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
  if (issues.length) throw new FhirError(400, issues);
  if (type === 'transaction') planned.sort((a, b) => ORDER[a.action.kind] - ORDER[b.action.kind] || a.index - b.index);
  return { type, entries: planned, refused, entryCount: entries.length };
}
