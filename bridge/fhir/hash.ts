import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';

/** The canonicalization a bundle hash is computed under (recorded in every receipt). */
export const BUNDLE_CANONICALIZATION = 'http://hl7.org/fhir/canonicalization/json#document';

/** Keys V8 does not keep in insertion order (array indexes come first) or cannot assign plainly (`__proto__`). */
const ODD_KEY = /^(?:0|[1-9]\d*|__proto__)$/;

/**
 * The keys of `obj` in UTF-16 code unit order (RFC 8785 §3.2.3), or undefined when one defeats that order (ODD_KEY).
 * An insertion sort: FHIR objects have a handful of keys, where it is several times faster than Array#sort.
 */
function sortedKeys(obj: object): string[] | undefined {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
  for (const k of keys) {
    const c = k.charCodeAt(0);
    if ((c <= 57 || c === 95) && ODD_KEY.test(k)) return undefined; // only digits and `_` can start an odd key
  }
  return keys;
}

/** A deep copy with every object's keys inserted in UTF-16 order, or undefined when a key defeats that (see ODD_KEY). */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === undefined && value[i] !== undefined) return undefined;
      out[i] = item;
    }
    return out;
  }
  const keys = sortedKeys(value);
  if (!keys) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    const copy = sortedCopy(v);
    if (copy === undefined && v !== undefined) return undefined;
    out[key] = copy;
  }
  return out;
}

/** A shallow copy of `obj` with its keys inserted in UTF-16 order (its values as they are), or undefined (see ODD_KEY). */
export function shallowSorted(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const keys = sortedKeys(obj);
  if (!keys) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return out;
}

/**
 * A deep copy of `value` whose every object has its keys in UTF-16 order (so JSON.stringify of it is its RFC 8785
 * text) and whose `Reference.reference` strings are replaced by `resolve(reference)` when that gives one (as
 * fhir/references.ts rewriteReferences does); undefined when a key defeats the order (ODD_KEY). One copy where
 * rewriting and then canonicalizing would make two.
 */
export function sortedRewrite(value: unknown, resolve: (reference: string) => string | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedRewrite(value[i], resolve);
      if (item === undefined && value[i] !== undefined) return undefined;
      out[i] = item;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = sortedKeys(obj);
  if (!keys) return undefined;
  const out: Record<string, unknown> = {};
  const isReference = typeof obj.reference === 'string';
  for (const key of keys) {
    const v = obj[key];
    if (key === 'reference' && isReference) {
      out[key] = resolve(v as string) ?? v;
      continue;
    }
    const copy = sortedRewrite(v, resolve);
    if (copy === undefined && v !== undefined) return undefined;
    if (copy !== undefined) out[key] = copy;
  }
  return out;
}

/**
 * RFC 8785 (JCS) text of a JSON value. JSON.stringify already writes numbers and strings as JCS does; only member
 * order differs, so a copy with sorted keys is stringified natively (4x faster than serializing member by member).
 * Values with keys V8 would reorder fall back to json-canonicalize, the reference the tests compare against.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  return sorted === undefined && value !== undefined ? canonicalize(value) : JSON.stringify(sorted);
}

/** The bundle without its root `id` and `meta` (FHIR's document canonicalization: the server may assign those). */
function hashedPart(bundle: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = bundle;
  return rest;
}

/** RFC 8785 (JCS) bytes of a bundle as received, without the root `id` and `meta`. */
export function canonicalBundleJson(bundle: Record<string, unknown>): string {
  return canonicalJson(hashedPart(bundle));
}

/** SHA-256 of canonical JSON text, as `0x` + 64 lower-case hex digits. */
export function sha256Hex(canonical: string): string {
  return '0x' + createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * SHA-256 of the canonical bundle, as `0x` + 64 lower-case hex digits, computed with the reference library
 * (json-canonicalize) rather than the ingest path's canonicalJson: what `fhir-bridge verify` and the tests use, so
 * a verifier never depends on the bridge's own fast path.
 */
export function bundleHash(bundle: Record<string, unknown>): string {
  return sha256Hex(canonicalize(hashedPart(bundle)));
}
