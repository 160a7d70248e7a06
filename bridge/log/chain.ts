/**
 * The hash chain of one person's audit entries (issue 11, omission): each audit leaf about a person names its chain,
 * a 1-based sequence number and the commitment of the previous entry, so a reader holding all of them up to a head
 * proves none was dropped or reordered. Pure.
 */
import { hex } from './bytes';
import { commitment, type AuditLeaf, type LeafDoc } from './entry';

export type ChainResult = { ok: true; chainId: string; length: number; head: string } | { ok: false; reason: 'chain-gap' | 'malformed'; message: string };

/** Checks leaves given in sequence order: one chain id, seq 1, 2, 3 … and each `prev` the commitment of the one before. */
export function verifyChain(leaves: readonly LeafDoc[]): ChainResult {
  if (!leaves.length) return { ok: false, reason: 'malformed', message: 'no audit entries' };
  let prev: string | null = null;
  let chainId: string | undefined;
  for (const [i, leaf] of leaves.entries()) {
    const link = leaf.kind === 'audit' ? (leaf as AuditLeaf).chain : undefined;
    if (!link) return { ok: false, reason: 'malformed', message: `entry ${i + 1} is not an audit entry of a person's chain` };
    chainId ??= link.id;
    if (link.id !== chainId) return { ok: false, reason: 'chain-gap', message: `entry ${i + 1} belongs to another chain` };
    if (link.seq !== i + 1)
      return { ok: false, reason: 'chain-gap', message: `entry ${i + 1} has sequence number ${link.seq}: entries are missing or reordered` };
    if (link.prev !== prev) return { ok: false, reason: 'chain-gap', message: `entry ${link.seq} does not name the previous entry's commitment` };
    prev = hex(commitment(leaf));
  }
  return { ok: true, chainId: chainId as string, length: leaves.length, head: prev as string };
}
