/**
 * Version-aware updates (FHIR R4 http.html#concurrency): a client names the version it last read in `If-Match`
 * (`W/"3"`, the weak ETag this server sends, RFC 9110 §8.8.3) or in a bundle entry's `request.ifMatch`; the write
 * happens only while that version is current, else 412 Precondition Failed. Pure: the store supplies the current
 * version, read under a row lock in the write transaction, so two writers with one If-Match give one success.
 * PATCH, when it comes, takes the same precondition (parse it here, check it where the target is resolved).
 */
import { outcomes } from './outcome';

/** `W/"n"` as this server sends it; `"n"` (the strong form some clients send) means the same version. */
const ETAG = /^(?:W\/)?"([1-9][0-9]{0,8})"$/;

/** The version an If-Match names; 400 for anything that is not one ETag of this server's form. */
export function parseIfMatch(value: string, expression?: string): number {
  const m = ETAG.exec(value.trim());
  if (!m) throw outcomes.invalid(`If-Match must be one version ETag such as W/"1", not ${JSON.stringify(value.slice(0, 40))}`, expression);
  return Number(m[1]);
}

/**
 * 412 unless `current` (the stored version; undefined when nothing is stored) is the version the client expected.
 * No precondition: anything goes.
 */
export function checkIfMatch(expected: number | undefined, current: number | undefined, what: string, expression?: string): void {
  if (expected === undefined || expected === current) return;
  const diagnostics =
    current === undefined
      ? `If-Match names version ${expected} of ${what}, which does not exist`
      : `If-Match names version ${expected} of ${what}, but the current version is ${current}: read it again and reapply the change`;
  throw outcomes.versionConflict(diagnostics, expression);
}
