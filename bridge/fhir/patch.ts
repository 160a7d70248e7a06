/**
 * A PATCH (R4 http.html#patch) as one function of the current resource, whichever form it came in: JSON Patch
 * (RFC 6902, fhir/json-patch) or FHIRPath Patch (R4 fhirpatch.html, fhir/fhirpath-patch). The body is checked for
 * form here (400), before any resource is read; the function throws 422 when the patch does not fit the resource.
 */
import { applyFhirPathPatch, parseFhirPathPatch } from './fhirpath-patch';
import { applyJsonPatch, parseJsonPatch } from './json-patch';
import { outcomes } from './outcome';

export type PatchKind = 'json-patch' | 'fhirpath-patch';
export type Patch = (current: Record<string, unknown>) => Record<string, unknown>;

/** RFC 6902 §6: the media type of a JSON Patch document. */
export const JSON_PATCH_TYPE = 'application/json-patch+json';

export function patchOf(kind: PatchKind, body: unknown): Patch {
  if (kind === 'json-patch') {
    const ops = parseJsonPatch(body);
    return (current) => applyJsonPatch(current, ops);
  }
  const ops = parseFhirPathPatch(body);
  return (current) => applyFhirPathPatch(current, ops);
}

/**
 * The patch a transaction or batch entry carries (R4 http.html#transaction, #patch): a Parameters resource is a
 * FHIRPath Patch; a Binary of contentType application/json-patch+json carries a JSON Patch in its data (base64).
 */
export function entryPatchOf(resource: { resourceType?: string; contentType?: unknown; data?: unknown } | undefined, where: string): Patch {
  if (resource?.resourceType === 'Parameters') return patchOf('fhirpath-patch', resource);
  if (resource?.resourceType === 'Binary') {
    if (String(resource.contentType).split(';')[0].trim() !== JSON_PATCH_TYPE || typeof resource.data !== 'string') {
      throw outcomes.invalid(`a PATCH entry's Binary needs contentType ${JSON_PATCH_TYPE} and the patch in data`, where);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8'));
    } catch {
      throw outcomes.invalid("a PATCH entry's Binary data is not a base64 JSON Patch document", where);
    }
    return patchOf('json-patch', body);
  }
  throw outcomes.invalid('a PATCH entry carries a Parameters resource (FHIRPath Patch) or a Binary (JSON Patch)', where);
}
