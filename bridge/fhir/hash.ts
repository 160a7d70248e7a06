import { createHash } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';

/** The canonicalization a bundle hash is computed under (recorded in every receipt). */
export const BUNDLE_CANONICALIZATION = 'http://hl7.org/fhir/canonicalization/json#document';

/**
 * RFC 8785 (JCS) bytes of a bundle as received, without the root `id` and `meta`
 * (FHIR's document canonicalization: the server may assign those, so they are not part of what the clinic said).
 */
export function canonicalBundleJson(bundle: Record<string, unknown>): string {
  const { id: _id, meta: _meta, ...rest } = bundle;
  return canonicalize(rest);
}

/** SHA-256 of canonical JSON text, as `0x` + 64 lower-case hex digits. */
export function sha256Hex(canonical: string): string {
  return '0x' + createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** SHA-256 of the canonical bundle, as `0x` + 64 lower-case hex digits. */
export function bundleHash(bundle: Record<string, unknown>): string {
  return sha256Hex(canonicalBundleJson(bundle));
}
