/**
 * Proof formats and their offline verification (everything but the chain, which bridge/anchor/ checks):
 * - C2SP tlog-proof (https://c2sp.org/tlog-proof): index, RFC 9162 inclusion hashes, the checkpoint with cosignatures;
 * - `fhir-anchor-proof/1`: the leaf document, its tlog-proof and the checkpoint's on-chain anchor;
 * - `fhir-anchor-consistency/1`: two checkpoints and the RFC 9162 §2.1.4 proof between them.
 * Pure; the browser verifier runs this same code.
 */
import { keccak_256 } from '@noble/hashes/sha3';
import { canonicalize } from 'json-canonicalize';
import { b64, fromB64, hex, HEX32 as HASH, utf8 } from './bytes';
import { leafHashOf, parseLeafDoc, type LeafDoc } from './entry';
import { parseCheckpoint, parseNote, verifyNote, type Checkpoint, type VerifierKey } from './note';
import { rootFromInclusion, verifyConsistency } from './rfc9162';
import { sha256 } from './sha256';

export const PROOF_VERSION = 'fhir-anchor-proof/1';
export const CONSISTENCY_VERSION = 'fhir-anchor-consistency/1';
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

/** Bundle.entry extension carrying an entry's proof (valueString: the `fhir-anchor-proof/1` JSON). */
export const LOG_PROOF_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proof';
/** Bundle.entry extension (valueBoolean true) of an entry that is logged and waits for its checkpoint. */
export const LOG_PROOF_PENDING_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proof-pending';
/** Bundle.meta extension (valueString: a `fhir-anchor-page-proof/1` JSON) of a page asked with `_proofs=page`. */
export const LOG_PAGE_PROOF_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-page-proof';
/** Bundle.entry extension (valueString: a `fhir-anchor-page-entry/1` JSON) of pages written before the leaf columns; verifiers still read it. */
export const LOG_PAGE_ENTRY_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-page-entry';
/** Bundle.meta extension (valueString: a `fhir-anchor-page-leaves/1` JSON): every proven entry's leaf, in columns. */
export const LOG_PAGE_LEAVES_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-page-leaves';

/** One vocabulary for every verifier (CLI, web page, tests). */
export type FailureReason =
  | 'malformed'
  | 'document-mismatch'
  | 'inclusion'
  | 'checkpoint-signature'
  | 'not-anchored'
  | 'anchor-mismatch'
  | 'consistency'
  | 'fork'
  | 'shrink'
  | 'chain-gap';

export interface CheckpointAnchor {
  chainId: number;
  contract: string;
  /** keccak256(UTF-8(origin)). */
  logId: string;
  treeSize: number;
  txHash: string;
  blockNumber: number;
}

export interface Proof {
  version: typeof PROOF_VERSION;
  leaf: LeafDoc;
  tlogProof: string;
  anchor: CheckpointAnchor | null;
  served?: { form: ServedForm; note: string };
}

/**
 * How the document served beside a proof relates to what the leaf commits to: `as-committed` (the very resource),
 * `redacted` (the resource with references this reader may not follow rewritten; a full-access reader verifies the
 * stored one), `derived` (a summary entry or timeline event made from the stored version the proof is of).
 */
export const SERVED_FORMS = ['as-committed', 'redacted', 'derived'] as const;
export type ServedForm = (typeof SERVED_FORMS)[number];

/** What the two forms a page of entries serves mean, said in every proof of that form (`served.note`). */
export const SERVED_NOTES = {
  'as-committed': 'the resource exactly as committed to the log',
  /**
   * What a full-access reader would verify when a pull rewrote references this reader may not follow
   * (bridge/pull/references.ts): the proof's leaf commits to the resource as stored, not to the redacted copy served.
   */
  redacted:
    'served with references you may not follow removed (kept as display text); the leaf commits to the resource as stored, ' +
    'with those references, which is what a reader with full access verifies against this proof',
} as const;

export interface ConsistencyProof {
  version: typeof CONSISTENCY_VERSION;
  old: string;
  new: string;
  proof: string[];
}

/** The on-chain id of a log: keccak256 of its origin line. */
export const logIdOf = (origin: string): string => hex(keccak_256(utf8(origin)));

/** A C2SP tlog-proof from its hash lines already written (`path`: each base64 hash followed by a newline). */
export const tlogProofText = (index: number, path: string, checkpoint: string): string => `${TLOG_PROOF_HEADER}\nindex ${index}\n${path}\n${checkpoint}`;

/** `proof`: the hashes, or their base64 already. */
export function formatTlogProof(p: { index: number; proof: readonly (Uint8Array | string)[]; checkpoint: string }): string {
  return tlogProofText(p.index, p.proof.map((h) => (typeof h === 'string' ? h : b64(h)) + '\n').join(''), p.checkpoint);
}

export interface TlogProof {
  index: number;
  proof: Uint8Array[];
  /** The checkpoint note, verbatim. */
  checkpoint: string;
  extra?: Uint8Array;
}

export function parseTlogProof(text: string): TlogProof {
  const lines = text.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER) throw new Error(`tlog proof must start with ${TLOG_PROOF_HEADER}`);
  let i = 1;
  let extra: Uint8Array | undefined;
  if (lines[i]?.startsWith('extra ')) extra = fromB64(lines[i++].slice(6));
  const m = /^index (0|[1-9]\d*)$/.exec(lines[i++] ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new Error('tlog proof index line is malformed');
  const proof: Uint8Array[] = [];
  while (i < lines.length && lines[i] !== '') {
    const h = fromB64(lines[i++]);
    if (h.length !== 32) throw new Error('tlog proof hash is not 32 bytes');
    proof.push(h);
  }
  if (lines[i] !== '' || proof.length > 64) throw new Error('tlog proof has no checkpoint');
  return { index: Number(m[1]), proof, checkpoint: lines.slice(i + 1).join('\n'), ...(extra ? { extra } : {}) };
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function parseAnchor(v: unknown): CheckpointAnchor | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('proof.anchor must be an object or null');
  const a = v as Record<string, unknown>;
  const int = (x: unknown, n: string, min: number): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw new Error(`proof.anchor.${n} must be an integer ≥ ${min}`);
    return x;
  };
  const str = (x: unknown, re: RegExp, n: string): string => {
    if (typeof x !== 'string' || !re.test(x)) throw new Error(`proof.anchor.${n} is malformed`);
    return x;
  };
  const extra = Object.keys(a).filter((k) => !['chainId', 'contract', 'logId', 'treeSize', 'txHash', 'blockNumber'].includes(k));
  if (extra.length) throw new Error(`proof.anchor has unknown field(s): ${extra.join(', ')}`);
  return {
    chainId: int(a.chainId, 'chainId', 1),
    contract: str(a.contract, ADDRESS, 'contract'),
    logId: str(a.logId, HASH, 'logId'),
    treeSize: int(a.treeSize, 'treeSize', 1),
    txHash: str(a.txHash, HASH, 'txHash'),
    blockNumber: int(a.blockNumber, 'blockNumber', 0),
  };
}

/** Validates an untrusted `fhir-anchor-proof/1` value; throws with the first problem. */
export function parseProof(value: unknown): Proof {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('proof must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== PROOF_VERSION) throw new Error(`proof.version must be "${PROOF_VERSION}"`);
  const extra = Object.keys(v).filter((k) => !['version', 'leaf', 'tlogProof', 'anchor', 'served'].includes(k));
  if (extra.length) throw new Error(`proof has unknown field(s): ${extra.join(', ')}`);
  if (typeof v.tlogProof !== 'string') throw new Error('proof.tlogProof must be a string');
  parseTlogProof(v.tlogProof);
  const out: Proof = { version: PROOF_VERSION, leaf: parseLeafDoc(v.leaf), tlogProof: v.tlogProof, anchor: parseAnchor(v.anchor ?? null) };
  if (v.served !== undefined) {
    const s = v.served as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || !SERVED_FORMS.includes(s.form as ServedForm) || typeof s.note !== 'string')
      throw new Error('proof.served must be { form, note }');
    out.served = { form: s.form as ServedForm, note: s.note };
  }
  return out;
}

/**
 * SHA-256 of the document a leaf commits to: a resource or audit document as JCS JSON; a bundle without its root `id`
 * and `meta` (the bundle hash of bridge receipts, FHIR's canonicalization/json#document).
 */
export function documentHash(kind: LeafDoc['kind'], document: unknown): string {
  if (typeof document === 'string') return documentHash(kind, JSON.parse(document));
  if (kind === 'bundle' && document && typeof document === 'object' && !Array.isArray(document)) {
    const { id: _id, meta: _meta, ...rest } = document as Record<string, unknown>;
    return hex(sha256(utf8(canonicalize(rest))));
  }
  return hex(sha256(utf8(canonicalize(document))));
}

export type OfflineResult =
  | {
      ok: true;
      index: number;
      checkpoint: Checkpoint;
      /** Names of the log and witness keys whose signatures verified; empty when no key was given. */
      signedBy: string[];
      leaf: LeafDoc;
      anchor: CheckpointAnchor | null;
    }
  | { ok: false; reason: FailureReason; message: string };

const failed = (reason: FailureReason, message: string): OfflineResult => ({ ok: false, reason, message });

/**
 * Checks a proof without the chain: the document (when given) hashes to the leaf, the leaf's inclusion leads to the
 * checkpoint root, and the checkpoint is signed by one of `keys` (when given; the log's key and witnesses' keys).
 * The caller then checks `checkpointRoot(anchor.logId, size)` on chain.
 */
export function verifyProofOffline(value: unknown, document?: unknown, keys: readonly VerifierKey[] = []): OfflineResult {
  let proof: Proof;
  let tlog: TlogProof;
  let checkpoint: Checkpoint;
  try {
    proof = parseProof(value);
    tlog = parseTlogProof(proof.tlogProof);
    checkpoint = parseCheckpoint(parseNote(tlog.checkpoint).text);
  } catch (e) {
    return failed('malformed', (e as Error).message);
  }
  if (document !== undefined) {
    let computed: string;
    try {
      computed = documentHash(proof.leaf.kind, document);
    } catch (e) {
      return failed('malformed', `document: ${(e as Error).message}`);
    }
    if (computed !== proof.leaf.hash)
      return failed('document-mismatch', `the document hashes to ${computed.slice(0, 10)}…, the proof's leaf names ${proof.leaf.hash.slice(0, 10)}…`);
    if (proof.leaf.kind === 'resource') {
      const d = document as { resourceType?: unknown; id?: unknown; meta?: { versionId?: unknown } };
      if (d.resourceType !== proof.leaf.type || d.id !== proof.leaf.id || d.meta?.versionId !== String(proof.leaf.version))
        return failed('document-mismatch', 'the resource type, id or version differs from the leaf');
    }
  }
  const root = rootFromInclusion(tlog.index, checkpoint.size, leafHashOf(proof.leaf), tlog.proof);
  if (!root || hex(root) !== hex(checkpoint.root))
    return failed('inclusion', `the inclusion proof for leaf ${tlog.index} does not lead to the root of the checkpoint of size ${checkpoint.size}`);
  let signedBy: string[] = [];
  if (keys.length) {
    const v = verifyNote(tlog.checkpoint, keys);
    if (!v.ok) return failed('checkpoint-signature', v.reason ?? 'checkpoint signature does not verify');
    // Witness keys alone never vouch for a checkpoint: the log itself must have signed it (key name = origin).
    if (!v.verified.includes(checkpoint.origin))
      return failed('checkpoint-signature', `the checkpoint is not signed by a given key of the log ${checkpoint.origin}`);
    signedBy = v.verified;
  }
  if (proof.anchor) {
    if (proof.anchor.treeSize !== checkpoint.size) return failed('malformed', 'proof.anchor.treeSize differs from the checkpoint size');
    if (proof.anchor.logId !== logIdOf(checkpoint.origin)) return failed('malformed', 'proof.anchor.logId is not the checkpoint origin’s log id');
  }
  return { ok: true, index: tlog.index, checkpoint, signedBy, leaf: proof.leaf, anchor: proof.anchor };
}

export function parseConsistencyProof(value: unknown): ConsistencyProof {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('consistency proof must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== CONSISTENCY_VERSION) throw new Error(`consistency proof version must be "${CONSISTENCY_VERSION}"`);
  if (typeof v.old !== 'string' || typeof v.new !== 'string') throw new Error('consistency proof needs old and new checkpoints');
  if (!Array.isArray(v.proof) || v.proof.some((p) => typeof p !== 'string')) throw new Error('consistency proof.proof must be an array of base64 hashes');
  return { version: CONSISTENCY_VERSION, old: v.old, new: v.new, proof: v.proof as string[] };
}

export type ConsistencyResult = { ok: true; old: Checkpoint; new: Checkpoint } | { ok: false; reason: FailureReason; message: string };

/** Checks that `new` extends `old` (same origin, no shrink, no fork, RFC 9162 §2.1.4.2), signatures when keys are given. */
export function verifyConsistencyOffline(value: unknown, keys: readonly VerifierKey[] = []): ConsistencyResult {
  let c: ConsistencyProof;
  let a: Checkpoint;
  let b: Checkpoint;
  let hashes: Uint8Array[];
  try {
    c = parseConsistencyProof(value);
    a = parseCheckpoint(parseNote(c.old).text);
    b = parseCheckpoint(parseNote(c.new).text);
    hashes = c.proof.map((p) => {
      const h = fromB64(p);
      if (h.length !== 32) throw new Error('consistency proof hash is not 32 bytes');
      return h;
    });
  } catch (e) {
    return { ok: false, reason: 'malformed', message: (e as Error).message };
  }
  if (a.origin !== b.origin) return { ok: false, reason: 'malformed', message: 'the checkpoints are of different logs' };
  for (const note of keys.length ? [c.old, c.new] : []) {
    const v = verifyNote(note, keys);
    if (!v.ok) return { ok: false, reason: 'checkpoint-signature', message: v.reason ?? 'checkpoint signature does not verify' };
    if (!v.verified.includes(a.origin))
      return { ok: false, reason: 'checkpoint-signature', message: `a checkpoint is not signed by a given key of the log ${a.origin}` };
  }
  if (b.size < a.size) return { ok: false, reason: 'shrink', message: `the later checkpoint has ${b.size} leaves, the earlier ${a.size}` };
  if (b.size === a.size && hex(a.root) !== hex(b.root)) return { ok: false, reason: 'fork', message: `two checkpoints of size ${a.size} with different roots` };
  if (!verifyConsistency(a.size, b.size, a.root, b.root, hashes))
    return { ok: false, reason: 'consistency', message: `the tree of size ${b.size} does not extend the tree of size ${a.size}` };
  return { ok: true, old: a, new: b };
}
