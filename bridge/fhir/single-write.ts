/**
 * RESTful writes of one resource (`POST /fhir/{type}`, `PUT /fhir/{type}/{id}`, `PUT /fhir/{type}?criteria`,
 * `DELETE` likewise) are pushed as a one-entry transaction Bundle, so they take the same path as every push:
 * validation, the same transaction rules, a bundle hash and an anchor receipt. The Bundle is exactly the one built
 * here (no id, meta, identifier or timestamp), so a verifier can rebuild it from the request. Pure.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { Issue, outcomes } from './outcome';

export interface SingleWrite {
  method: 'POST' | 'PUT' | 'DELETE';
  type: string;
  /** PUT and DELETE on an instance. */
  id?: string;
  /** Conditional PUT and DELETE: the search criteria as sent (`identifier=system|value`). */
  criteria?: string;
  /** Conditional create: the If-None-Exist header. */
  ifNoneExist?: string;
  /** The If-Match header (versioned update or delete), carried into `request.ifMatch`. */
  ifMatch?: string;
  /** POST and PUT: the parsed body. */
  resource?: unknown;
}

function checkedResource(w: SingleWrite): Resource {
  const r = w.resource as Resource | undefined;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw outcomes.invalid(`the body must be a ${w.type} resource`);
  if (r.resourceType !== w.type) throw outcomes.invalid(`the body is a ${JSON.stringify(r.resourceType ?? null)}, the URL says ${w.type}`, 'resourceType');
  if (w.method === 'PUT' && w.id !== undefined && r.id !== w.id) {
    throw outcomes.invalid(`the resource id ${JSON.stringify(r.id ?? null)} must equal the id in the URL (${w.id})`, `${w.type}.id`);
  }
  return r;
}

/** The one-entry transaction a single write is pushed as; 400 when the request contradicts itself. */
export function singleWriteBundle(w: SingleWrite): Bundle {
  const url = w.id !== undefined ? `${w.type}/${w.id}` : w.criteria ? `${w.type}?${w.criteria}` : w.type;
  if (w.method !== 'POST' && w.id === undefined && !w.criteria) throw outcomes.invalid(`${w.method} needs an id or search criteria in the URL`);
  const ifMatch = w.ifMatch !== undefined ? { ifMatch: w.ifMatch } : {};
  const entry: BundleEntry =
    w.method === 'DELETE'
      ? { request: { method: 'DELETE', url, ...ifMatch } }
      : {
          resource: checkedResource(w),
          request: { method: w.method, url, ...(w.method === 'POST' && w.ifNoneExist ? { ifNoneExist: w.ifNoneExist } : {}), ...ifMatch },
        };
  return { resourceType: 'Bundle', type: 'transaction', entry: [entry] };
}

/**
 * Problems found in the one-entry Bundle, located in the resource as the client sent it (`Patient.birthDate`);
 * a problem with If-Match is about a header, which no FHIRPath expression names.
 */
export function asResourceIssues(issues: Issue[], type: string): Issue[] {
  return issues.map((i) => {
    if (i.expression?.startsWith('Bundle.entry[0].resource')) return { ...i, expression: type + i.expression.slice('Bundle.entry[0].resource'.length) };
    if (i.expression === 'Bundle.entry[0].request.ifMatch') return { ...i, expression: undefined };
    return i;
  });
}
