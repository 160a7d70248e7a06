/**
 * A log monitor (RFC 9162 §8.3, C2SP tlog-tiles clients): follows a log's checkpoints and proves each new one
 * consistent with the last it saw, computing the consistency proof itself from the log's tiles (never trusting a
 * server's proof); optionally follows the chain's anchored checkpoints for the log and checks they never shrink
 * and match the tree. State (last size and root) is the caller's to keep across runs.
 */
import { b64, fromB64, hex } from './bytes';
import { parseCheckpoint, parseNote, verifyNote, type VerifierKey } from './note';
import { logIdOf, type FailureReason } from './proof';
import type { RemoteLog } from './remote';
import { consistencyRanges, verifyConsistency } from './rfc9162';
import { TileTree } from './tiles';

export interface MonitorState {
  origin: string;
  size: number;
  /** base64 root at `size`. */
  root: string;
  /** Largest tree size seen anchored on chain. */
  chainSize?: number;
}

/** The chain's view of a log: its newest anchored checkpoint (bridge/anchor/checkpoint-view.ts). */
export interface ChainLog {
  latestCheckpoint(logId: string): Promise<{ treeSize: number; root: string } | null>;
}

export class MonitorError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'MonitorError';
  }
}

export interface MonitorStep {
  state: MonitorState;
  lines: string[];
}

/** One round: the log's latest checkpoint against `state`, and the chain against both. Throws MonitorError. */
export async function monitorOnce(log: RemoteLog, state: MonitorState | null, o: { key?: VerifierKey; chain?: ChainLog } = {}): Promise<MonitorStep> {
  const lines: string[] = [];
  const note = await log.checkpoint();
  let cp;
  try {
    cp = parseCheckpoint(parseNote(note).text);
  } catch (e) {
    throw new MonitorError('malformed', `the log serves a malformed checkpoint: ${(e as Error).message}`);
  }
  if (o.key) {
    const v = verifyNote(note, [o.key]);
    if (!v.ok) throw new MonitorError('checkpoint-signature', `checkpoint of size ${cp.size}: ${v.reason}`);
  }
  if (state && state.origin !== cp.origin) throw new MonitorError('malformed', `the log is ${cp.origin}, the state file is of ${state.origin}`);
  const tree = new TileTree(cp.size, log.tiles(cp.size));
  if (state) {
    if (cp.size < state.size) throw new MonitorError('shrink', `shrink: the log has ${cp.size} leaves, it had ${state.size}`);
    if (cp.size === state.size && b64(cp.root) !== state.root) throw new MonitorError('fork', `fork: two checkpoints of size ${cp.size} with different roots`);
    if (cp.size > state.size) {
      const proof = await tree.hashes(consistencyRanges(state.size, cp.size));
      if (!verifyConsistency(state.size, cp.size, fromB64(state.root), cp.root, proof))
        throw new MonitorError('consistency', `consistency: the tree of size ${cp.size} does not extend the tree of size ${state.size} seen before`);
      lines.push(`consistent: ${state.size} → ${cp.size}`);
    } else lines.push(`unchanged: size ${cp.size}`);
  } else {
    // First sight: the tiles must make the root the checkpoint claims.
    if (b64(await tree.root()) !== b64(cp.root))
      throw new MonitorError('consistency', `consistency: the log's tiles do not make the root of its checkpoint of size ${cp.size}`);
    lines.push(`first checkpoint: size ${cp.size}`);
  }
  const next: MonitorState = { origin: cp.origin, size: cp.size, root: b64(cp.root), chainSize: state?.chainSize };
  if (o.chain) {
    const logId = logIdOf(cp.origin);
    const anchored = await o.chain.latestCheckpoint(logId);
    const seen = state?.chainSize ?? 0;
    if ((anchored?.treeSize ?? 0) < seen)
      throw new MonitorError('shrink', `shrink: the chain anchors size ${anchored?.treeSize ?? 0} for log ${logId}, it anchored ${seen}`);
    if (anchored) {
      if (anchored.treeSize > cp.size) {
        const theirs = await log.checkpointAt(anchored.treeSize);
        const root = theirs ? hex(parseCheckpoint(parseNote(theirs).text).root) : null;
        if (root !== anchored.root.toLowerCase())
          throw new MonitorError('fork', `fork: the chain anchors size ${anchored.treeSize} with a root the log does not serve`);
      } else if (anchored.treeSize > 0) {
        // Recomputed from the tiles, not taken from the bridge's word.
        const root = hex(await tree.hash({ start: 0, end: anchored.treeSize }));
        if (root !== anchored.root.toLowerCase())
          throw new MonitorError('fork', `fork: the chain anchors size ${anchored.treeSize} with a root other than the log's tree`);
      }
      next.chainSize = anchored.treeSize;
      lines.push(`chain: anchored size ${anchored.treeSize} matches the log`);
    } else lines.push('chain: nothing anchored yet');
  }
  return { state: next, lines };
}
