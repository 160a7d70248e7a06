/**
 * Log entries: the leaf document each entry commits to, and its commitment (the 32-byte entry the tree hashes).
 * An entry reveals nothing without its salt, so a known resource cannot be found in the log by guessing, and
 * erasing a person's salts leaves every other proof valid (DESIGN.md, "Erasure-ready"). Pure.
 */
import { canonicalize } from 'json-canonicalize';
import { hex, HEX32 as HASH, utf8 } from './bytes';
import { leafHash } from './rfc9162';
import { sha256, sha256Utf8 } from './sha256';

export const LOG_FORMAT = 'fhir-anchor-log/1';

export type LeafKind = 'bundle' | 'resource' | 'audit';

interface LeafBase {
  log: typeof LOG_FORMAT;
  /** `0x` + 64 hex: SHA-256 of the document (bundle and audit hashes as their receipts have them). */
  hash: string;
  /** `0x` + 64 hex: random per entry. */
  salt: string;
}
export interface BundleLeaf extends LeafBase {
  kind: 'bundle';
}
export interface ResourceLeaf extends LeafBase {
  kind: 'resource';
  /** The clinic that sent the resource. */
  clinic: string;
  type: string;
  /** Bridge id and version of the resource as served. */
  id: string;
  version: number;
}
/** Place of an audit entry in the hash chain of the entries about one person. */
export interface AuditChainLink {
  id: string;
  seq: number;
  /** Commitment of the previous entry of the chain (null for the first). */
  prev: string | null;
}
export interface AuditLeaf extends LeafBase {
  kind: 'audit';
  chain?: AuditChainLink;
}
export type LeafDoc = BundleLeaf | ResourceLeaf | AuditLeaf;

/** What a leaf document is made of besides its salt, as the log's tables hold it (queue rows and leaf rows alike). */
export interface LeafFields {
  kind: LeafKind;
  /** `0x` hex of the document hash. */
  docHash: string;
  clinicId: string | null;
  resourceType: string | null;
  refId: string;
  version: number | null;
}

/**
 * The leaf document of an entry (an audit entry's `chain` when it is about one person). Object literals in LeafDoc
 * key order, no spreads: an integration builds twenty thousand of them, a page of proofs a thousand.
 */
export function leafDocOf(e: LeafFields, salt: string, chain: AuditChainLink | null = null): LeafDoc {
  const hash = e.docHash;
  if (e.kind === 'bundle') return { log: LOG_FORMAT, hash, salt, kind: 'bundle' };
  if (e.kind === 'resource')
    return {
      log: LOG_FORMAT,
      hash,
      salt,
      kind: 'resource',
      clinic: e.clinicId as string,
      type: e.resourceType as string,
      id: e.refId,
      version: e.version as number,
    };
  return chain ? { log: LOG_FORMAT, hash, salt, kind: 'audit', chain } : { log: LOG_FORMAT, hash, salt, kind: 'audit' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/** SHA-256 of the RFC 8785 canonical JSON of a resource as the bridge serves it to a reader with full access. */
export function resourceHash(content: object): string {
  return hex(sha256(utf8(canonicalize(content))));
}

/**
 * RFC 8785 text of a leaf document. Leaf documents have a fixed shape whose values are hex, uuids, type names and
 * safe integers, so members are written in JCS order (UTF-16 order of the names) with JSON.stringify's string
 * escaping, which is JCS's; anything else falls back to json-canonicalize. The tests compare both on every shape.
 */
export function canonicalLeaf(doc: LeafDoc): string {
  const q = JSON.stringify;
  const keys = Object.keys(doc).length;
  const base = (): string => `"hash":${q(doc.hash)},"kind":${q(doc.kind)},"log":${q(doc.log)},"salt":${q(doc.salt)}`;
  if (doc.kind === 'bundle' && keys === 4) return `{${base()}}`;
  if (doc.kind === 'resource' && keys === 8 && Number.isSafeInteger(doc.version))
    return (
      `{"clinic":${q(doc.clinic)},"hash":${q(doc.hash)},"id":${q(doc.id)},"kind":"resource","log":${q(doc.log)},"salt":${q(doc.salt)},` +
      `"type":${q(doc.type)},"version":${doc.version}}`
    );
  if (doc.kind === 'audit' && !doc.chain && keys === 4) return `{${base()}}`;
  if (doc.kind === 'audit' && doc.chain && keys === 5 && Object.keys(doc.chain).length === 3 && Number.isSafeInteger(doc.chain.seq))
    return `{"chain":{"id":${q(doc.chain.id)},"prev":${q(doc.chain.prev)},"seq":${doc.chain.seq}},${base()}}`;
  return canonicalize(doc);
}

/** The entry: SHA-256(UTF-8(JCS(leaf document))). */
export function commitment(doc: LeafDoc): Uint8Array {
  return sha256Utf8(canonicalLeaf(doc));
}

/** RFC 9162 leaf hash of the entry of a leaf document. */
export const leafHashOf = (doc: LeafDoc): Uint8Array => leafHash(commitment(doc));

function field(v: unknown, re: RegExp, name: string): string {
  if (typeof v !== 'string' || !re.test(v)) throw new Error(`leaf.${name} is malformed`);
  return v;
}

function positive(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`leaf.${name} must be an integer ≥ ${min}`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: string[], name: string): void {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) throw new Error(`${name} has unknown field(s): ${extra.join(', ')}`);
}

/** Validates an untrusted leaf document (exact fields, strict formats); throws with the first problem. */
export function parseLeafDoc(value: unknown): LeafDoc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('leaf must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.log !== LOG_FORMAT) throw new Error(`leaf.log must be "${LOG_FORMAT}"`);
  const base = { log: LOG_FORMAT, hash: field(v.hash, HASH, 'hash'), salt: field(v.salt, HASH, 'salt') } as const;
  if (v.kind === 'bundle') {
    onlyKeys(v, ['log', 'kind', 'hash', 'salt'], 'leaf');
    return { ...base, kind: 'bundle' };
  }
  if (v.kind === 'resource') {
    onlyKeys(v, ['log', 'kind', 'hash', 'salt', 'clinic', 'type', 'id', 'version'], 'leaf');
    return {
      ...base,
      kind: 'resource',
      clinic: field(v.clinic, UUID, 'clinic'),
      type: field(v.type, TYPE, 'type'),
      id: field(v.id, UUID, 'id'),
      version: positive(v.version, 'version', 1),
    };
  }
  if (v.kind === 'audit') {
    onlyKeys(v, ['log', 'kind', 'hash', 'salt', 'chain'], 'leaf');
    if (v.chain === undefined) return { ...base, kind: 'audit' };
    if (typeof v.chain !== 'object' || v.chain === null || Array.isArray(v.chain)) throw new Error('leaf.chain must be an object');
    const c = v.chain as Record<string, unknown>;
    onlyKeys(c, ['id', 'seq', 'prev'], 'leaf.chain');
    const seq = positive(c.seq, 'chain.seq', 1);
    const prev = c.prev === null ? null : field(c.prev, HASH, 'chain.prev');
    if ((seq === 1) !== (prev === null)) throw new Error('leaf.chain.prev must be null exactly for the first entry');
    return { ...base, kind: 'audit', chain: { id: field(c.id, HASH, 'chain.id'), seq, prev } };
  }
  throw new Error('leaf.kind must be bundle, resource or audit');
}
