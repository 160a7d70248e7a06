/**
 * What the user gave: documents and evidence as text (dropped, picked or pasted files), told apart by their content,
 * and the document hashes the bridge commits to.
 */
import { canonicalize } from 'json-canonicalize';
import { toHex, utf8 } from './abi';
import { sha256 } from './browser/sha256';

export type Json = Record<string, unknown>;

export const EVIDENCE_VERSIONS = ['fhir-anchor-receipt/1', 'fhir-anchor-proof/1', 'fhir-anchor-consistency/1'] as const;
export type EvidenceVersion = (typeof EVIDENCE_VERSIONS)[number];

/** Parsed JSON object, or null when the text is not one. */
export function jsonObject(text: string): Json | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** The evidence inside a JSON value: itself, or the `receipt` / `proof` of a bridge answer (`/anchors/…`). */
export function unwrapEvidence(v: Json): Json | null {
  if (typeof v.version === 'string' && (EVIDENCE_VERSIONS as readonly string[]).includes(v.version)) return v;
  for (const key of ['receipt', 'proof']) {
    const inner = v[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const found = unwrapEvidence(inner as Json);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A search or `$everything` entry fetched with `_proofs=true` carries its own proof (an entry extension whose
 * valueString is the `fhir-anchor-proof/1` JSON): the entry's resource is the document, that proof the evidence.
 */
export function entryWithProof(v: Json | null): { document: string; evidence: string } | null {
  const resource = v?.resource;
  if (!v || !resource || typeof resource !== 'object' || !Array.isArray(v.extension)) return null;
  for (const ext of v.extension as Json[]) {
    const proof = typeof ext?.valueString === 'string' ? jsonObject(ext.valueString) : null;
    if (proof?.version === 'fhir-anchor-proof/1') return { document: JSON.stringify(resource), evidence: ext.valueString as string };
  }
  return null;
}

/** Evidence or document, from a file's text (for drops of several files at once). */
export function classify(text: string): 'evidence' | 'document' {
  const v = jsonObject(text);
  return v && (unwrapEvidence(v) || entryWithProof(v)) ? 'evidence' : 'document';
}

/**
 * Hash of a bundle or audit record document as the bridge computes it (bridge/fhir/hash.ts bundleHash): SHA-256 of the
 * RFC 8785 (JCS) text of the document without its root `id` and `meta` (FHIR's document canonicalization).
 */
export function bundleDocumentHash(doc: Json): string {
  const { id: _id, meta: _meta, ...rest } = doc;
  return toHex(sha256(utf8(canonicalize(rest))));
}
