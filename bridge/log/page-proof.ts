/**
 * Page proofs (`fhir-anchor-page-proof/1`): the inclusion proofs of many leaves of one checkpoint with each distinct
 * sibling hash given once, as a page of a thousand entries carries them (a thousand separate proofs repeat the upper
 * siblings and the checkpoint a thousand times). A verifier expands a page proof into the standard
 * `fhir-anchor-proof/1` of each entry (a C2SP tlog-proof each) and checks those as usual. Pure; the browser verifier
 * runs this same code.
 *
 * Order of `hashes`: one descent of RFC 9162's tree from the root into only the subtrees that hold a proven leaf
 * (rfc9162.ts inclusionPaths): at each node, when the left child holds proven leaves, the right child's hash, then the
 * left child's descent; then, when the right child holds proven leaves, the left child's hash, then the right child's
 * descent. Each leaf's path is the hashes met on the way down to it, read from the bottom up.
 */
import type { LeafDoc } from './entry';
import { parseCheckpoint, parseNote } from './note';
import { PROOF_VERSION, SERVED_NOTES, tlogProofText, type CheckpointAnchor, type Proof } from './proof';
import { inclusionPaths } from './rfc9162';

export const PAGE_PROOF_VERSION = 'fhir-anchor-page-proof/1';
export const PAGE_ENTRY_VERSION = 'fhir-anchor-page-entry/1';

export interface PageProof {
  version: typeof PAGE_PROOF_VERSION;
  /** The checkpoint note, verbatim, with its cosignatures. */
  checkpoint: string;
  anchor: CheckpointAnchor | null;
  /** Leaf indexes proven, ascending, unique. */
  indices: number[];
  /** Base64 sibling hashes, each once, in descent order (see above). */
  hashes: string[];
}

/** What one entry of the page carries: its leaf document, its index, and which page proof holds its path. */
export interface PageEntry {
  version: typeof PAGE_ENTRY_VERSION;
  leaf: LeafDoc;
  index: number;
  /** Position (from 0) of the page proof that holds this entry's path, in the page's list of page proofs. */
  page: number;
  /** How the resource beside it relates to the leaf (its proof's `served`, with the form's note: SERVED_NOTES). */
  served?: keyof typeof SERVED_NOTES;
}

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The tlog-proof text of every index of a page proof, by index; throws (malformed) when the hashes do not fit the
 * descent exactly (too few, too many, not base64 hashes) or the indices are not ascending leaves of the checkpoint.
 */
export function expandPageProof(value: unknown): Map<number, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('page proof must be a JSON object');
  const p = value as Record<string, unknown>;
  if (p.version !== PAGE_PROOF_VERSION) throw new Error(`page proof version must be "${PAGE_PROOF_VERSION}"`);
  if (typeof p.checkpoint !== 'string') throw new Error('page proof checkpoint must be a signed note');
  if (!Array.isArray(p.indices) || !p.indices.every((i) => Number.isSafeInteger(i))) throw new Error('page proof indices must be integers');
  if (!Array.isArray(p.hashes) || !p.hashes.every((h) => typeof h === 'string' && B64_HASH.test(h)))
    throw new Error('page proof hashes must be base64 SHA-256 hashes');
  const { size } = parseCheckpoint(parseNote(p.checkpoint).text);
  const indices = p.indices as number[];
  const hashes = p.hashes as string[];
  let next = 0;
  const paths = inclusionPaths(indices, size, () => {
    if (next >= hashes.length) throw new Error('page proof has too few hashes');
    return `${hashes[next++]}\n`;
  });
  if (next !== hashes.length) throw new Error('page proof has more hashes than its leaves need');
  return new Map(indices.map((index, i) => [index, tlogProofText(index, paths[i], p.checkpoint as string)]));
}

/**
 * The `fhir-anchor-proof/1` of each page entry, from the page's list of page proofs (null for an entry whose page
 * proof is missing, malformed or does not hold its index): what `verifyProofOffline` then checks, exactly as a proof
 * served alone.
 */
export function entryProofs(pages: readonly unknown[], entries: readonly PageEntry[]): (Proof | null)[] {
  const expanded = pages.map((page) => {
    try {
      return { anchor: ((page as PageProof).anchor ?? null) as CheckpointAnchor | null, paths: expandPageProof(page) };
    } catch {
      return undefined; // a malformed page proof holds nothing: its entries answer null (unproven), never a made-up proof
    }
  });
  return entries.map((e) => {
    const page = Number.isSafeInteger(e.page) ? expanded[e.page] : undefined;
    const tlogProof = page?.paths.get(e.index);
    if (!page || !tlogProof) return null;
    const served = e.served && Object.hasOwn(SERVED_NOTES, e.served) ? { served: { form: e.served, note: SERVED_NOTES[e.served] } } : {};
    return { version: PROOF_VERSION, leaf: e.leaf, tlogProof, anchor: page.anchor, ...served };
  });
}
