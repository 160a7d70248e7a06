/** The on-chain identity of a log checkpoint, derived from its note alone (pure: no I/O). */
import { id } from 'ethers';

/** A checkpoint that must not be sent: a fork, or a stored note that does not say what its row says. */
export class CheckpointProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointProblem';
  }
}

/**
 * The on-chain log id of a checkpoint: keccak256(UTF-8(origin)), the origin being the note's first line (C2SP
 * tlog-checkpoint: origin, decimal tree size, base64 root hash, then extension lines, a blank line and signatures).
 * Throws CheckpointProblem when the note's size or root is not the row's.
 */
export function checkpointLogId(cp: { treeSize: number; root: string; note: string }): string {
  const [origin, size, root] = cp.note.split('\n\n')[0].split('\n');
  if (!origin || size !== String(cp.treeSize) || root !== Buffer.from(cp.root.slice(2), 'hex').toString('base64'))
    throw new CheckpointProblem(`checkpoint ${cp.treeSize}: its stored note does not carry tree size ${cp.treeSize} and root ${cp.root.slice(0, 10)}`);
  return id(origin);
}
