import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';

/** The canonicalization a bundle hash is computed under (recorded in every receipt). */
export const BUNDLE_CANONICALIZATION = 'http://hl7.org/fhir/canonicalization/json#document';

/** Keys V8 does not keep in insertion order (array indexes come first) or cannot assign plainly (`__proto__`). */
const ODD_KEY = /^(?:0|[1-9]\d*|__proto__)$/;

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
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (ODD_KEY.test(key)) return undefined;
    const v = (value as Record<string, unknown>)[key];
    const copy = sortedCopy(v);
    if (copy === undefined && v !== undefined) return undefined;
    out[key] = copy;
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
