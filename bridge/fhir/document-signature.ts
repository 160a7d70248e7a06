/**
 * Signed FHIR documents (pure): the bytes a document Bundle's signature covers and the R4 `Bundle.signature` that
 * carries a detached JWS over them (R4 signatures.html#JSON: RFC 8785 canonical JSON; the document canonicalization
 * (canonicalization/json#document) leaves out `Bundle.id` and `Bundle.meta`, and the signature never covers itself).
 */
import type { Bundle, Signature } from '@medplum/fhirtypes';
import { canonicalize } from 'json-canonicalize';

export const VERIFICATION_SIGNATURE = { system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.5', display: 'Verification Signature' };
export const JOSE_FORMAT = 'application/jose';

/** UTF-8 of the RFC 8785 canonical JSON of `bundle` without `signature`, `id` and `meta`: what the signature covers. */
export function documentSigningInput(bundle: Bundle): Uint8Array {
  const { signature: _s, id: _i, meta: _m, ...rest } = bundle;
  return new TextEncoder().encode(canonicalize(rest));
}

/** A detached JWS (RFC 7515 Appendix F: the payload part left empty) from a compact one. */
export function detached(compactJws: string): string {
  const [h, , s] = compactJws.split('.');
  return `${h}..${s}`;
}

/** The compact JWS of a detached one with the payload (base64url) put back, for any JOSE library to verify. */
export function attached(detachedJws: string, payload: Uint8Array): string {
  const [h, , s] = detachedJws.split('.');
  return `${h}.${Buffer.from(payload).toString('base64url')}.${s}`;
}

/** Bundle.signature of a document signed by `who` (a Reference with display) with the detached JWS `jws`. */
export function bundleSignature(jws: string, when: string, who: Signature['who']): Signature {
  return { type: [VERIFICATION_SIGNATURE], when, who, sigFormat: JOSE_FORMAT, data: Buffer.from(jws, 'utf8').toString('base64') };
}
