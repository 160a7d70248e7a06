/** Reference handling: find and rewrite every `Reference.reference` in a resource (pure). */

type Json = unknown;

function isReferenceObject(value: Record<string, Json>): boolean {
  return typeof value.reference === 'string';
}

/** Every reference string in `value`, depth-first, contained resources included. */
export function collectReferences(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, out);
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, Json>;
    if (isReferenceObject(obj)) out.push(obj.reference as string);
    for (const key in obj) {
      // `reference` is a string in a Reference, but a Reference itself in Consent.provision.actor and a few others
      if (key !== 'reference' || typeof obj[key] === 'object') collectReferences(obj[key], out);
    }
  }
  return out;
}

/**
 * A copy of `value` with each reference replaced by `resolve(reference)` when it returns a string.
 * Unresolved references (external, contained `#id`, unknown) are kept as sent.
 */
export function rewriteReferences<T>(value: T, resolve: (reference: string) => string | undefined): T {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, resolve)) as T;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, Json>;
  const copy: Record<string, Json> = {};
  for (const key in obj) copy[key] = key === 'reference' && typeof obj[key] === 'string' ? obj[key] : rewriteReferences(obj[key], resolve);
  if (isReferenceObject(obj)) {
    const resolved = resolve(obj.reference as string);
    if (resolved !== undefined) copy.reference = resolved;
  }
  return copy as T;
}

export interface ParsedReference {
  resourceType: string;
  id: string;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** `Type/id` (optionally with `/_history/v`), else undefined. Absolute, `urn:`, `#` and conditional references are not relative. */
export function parseRelativeReference(reference: string): ParsedReference | undefined {
  const m = RELATIVE.exec(reference);
  return m ? { resourceType: m[1], id: m[2] } : undefined;
}

/** `Type?query`: a conditional reference, resolved by search at write time. */
export function parseConditionalReference(reference: string): { resourceType: string; query: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(reference);
  return m ? { resourceType: m[1], query: m[2] } : undefined;
}

/** Bridge ids are UUIDs (bridge/model/ids.ts, shared with the store). */
export { isBridgeId } from '../model/ids';
