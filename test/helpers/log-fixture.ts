/**
 * A small verifiable log built in a test from the pure core (bridge/log): signed checkpoints, inclusion and consistency
 * proofs in the served formats, for verifiers to check before (or besides) the bridge's own endpoints.
 */
import { b64, fromHex, hex } from '../../bridge/log/bytes';
import { randomSeed } from '../../bridge/log/ed25519';
import { leafHashOf, LOG_FORMAT, resourceHash, type LeafDoc } from '../../bridge/log/entry';
import { formatCheckpoint, publicKeyOf, signNote, vkey } from '../../bridge/log/note';
import { CONSISTENCY_VERSION, formatTlogProof, logIdOf, PROOF_VERSION, type CheckpointAnchor } from '../../bridge/log/proof';
import { consistencyRanges, inclusionRanges, rootOf } from '../../bridge/log/rfc9162';
import { randomBytes } from 'node:crypto';

export const salt = (): string => hex(new Uint8Array(randomBytes(32)));

export interface TestLog {
  origin: string;
  vkey: string;
  /** The log's raw public key, base64. */
  publicKey: string;
  leaves: LeafDoc[];
  root(size: number): Uint8Array;
  checkpoint(size: number): string;
  proof(index: number, size: number, anchor?: Omit<CheckpointAnchor, 'logId' | 'treeSize'> | null): Record<string, unknown>;
  consistency(m: number, n: number): Record<string, unknown>;
}

export function testLog(leaves: LeafDoc[], origin = `fhir-anchor-bridge/test${hex(new Uint8Array(randomBytes(6))).slice(2)}`): TestLog {
  const key = { name: origin, seed: randomSeed() };
  const hashes = leaves.map(leafHashOf);
  const root = (size: number): Uint8Array => rootOf(hashes, 0, size);
  const checkpoint = (size: number): string => signNote(formatCheckpoint({ origin, size, root: root(size) }), key);
  return {
    origin,
    vkey: vkey(origin, publicKeyOf(key)),
    publicKey: b64(publicKeyOf(key)),
    leaves,
    root,
    checkpoint,
    proof: (index, size, anchor = null) => ({
      version: PROOF_VERSION,
      leaf: leaves[index],
      tlogProof: formatTlogProof({ index, proof: inclusionRanges(index, size).map((r) => rootOf(hashes, r.start, r.end)), checkpoint: checkpoint(size) }),
      anchor: anchor && { ...anchor, logId: logIdOf(origin), treeSize: size },
    }),
    consistency: (m, n) => ({
      version: CONSISTENCY_VERSION,
      old: checkpoint(m),
      new: checkpoint(n),
      proof: consistencyRanges(m, n).map((r) => b64(rootOf(hashes, r.start, r.end))),
    }),
  };
}

export const bundleLeaf = (hash: string): LeafDoc => ({ log: LOG_FORMAT, kind: 'bundle', hash, salt: salt() });
export const resourceLeaf = (resource: { resourceType: string; id: string; meta: { versionId: string } }, clinic: string): LeafDoc => ({
  log: LOG_FORMAT,
  kind: 'resource',
  hash: resourceHash(resource),
  salt: salt(),
  clinic,
  type: resource.resourceType,
  id: resource.id,
  version: Number(resource.meta.versionId),
});
/** Filler entries (other people's records: only their commitments matter). */
export const otherLeaves = (n: number): LeafDoc[] => Array.from({ length: n }, () => bundleLeaf(hex(fromHex(salt()))));
