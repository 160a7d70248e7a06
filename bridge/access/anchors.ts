/**
 * Anchoring status and receipt data, public by design (no session): these answers hold hashes, salts, proofs and
 * chain coordinates only, never personal data or which clinic sent a bundle. Here so the HTTP edge needs no store.
 */
import { anchoringCounts, AnchoringCounts, BatchRow, findReceiptData, getBatch, LeafSource } from '../store/batches';
import type { Proof } from '../log/proof';
import type { WitnessStatus } from '../log/witnessing';
import { checkpointAnchoringState } from '../store/log-anchors';
import type { AccessServices } from './services';

export type { AnchoringCounts, BatchRow, LeafSource } from '../store/batches';

/** The leaf with `hash` (a bundle's or an audit record's) and its batch, for a receipt; null when unknown. */
export const receiptData = (svc: AccessServices, hash: string, source: LeafSource): ReturnType<typeof findReceiptData> => findReceiptData(svc.db, hash, source);

export const batch = (svc: AccessServices, batchId: string): Promise<BatchRow | null> => getBatch(svc.db, batchId);

export const anchoringStatus = (svc: AccessServices): Promise<AnchoringCounts> => anchoringCounts(svc.db);

/**
 * `{ logProof }` for a bundle's answer: its `fhir-anchor-proof/1` (kind bundle) in the verifiable log, public like its
 * receipt (the leaf holds only the bundle hash the asker already has, and a salt of its own); null while the entry
 * waits for a checkpoint. Empty when the bridge runs no log (the answer is then exactly as before the log).
 */
export async function bundleLogProof(svc: AccessServices, bundleId: string): Promise<{ logProof?: Proof | null }> {
  if (!svc.verifiableLog) return {};
  const answer = await svc.verifiableLog.proof({ kind: 'bundle', id: bundleId });
  return { logProof: answer && !('pending' in answer) ? answer : null };
}

/** The verifiable log's side of `/anchors/status` (null when the bridge runs no log); chain failures come from the anchorer. */
export interface LogAnchoringStatus {
  /** Size of the newest published checkpoint (0 before the first), and when it was published. */
  treeSize: number;
  latestCheckpointAt: string | null;
  /** The newest checkpoint anchored on chain: its size and when its anchoring was confirmed. */
  anchoredSize: number | null;
  anchoredAt: string | null;
  /** By the database's clock: grows while checkpoints are not anchored. */
  secondsSinceLastAnchor: number | null;
  /** The last anchoring failure recorded on a checkpoint newer than the anchored one. */
  lastError: string | null;
  witnesses: WitnessStatus[];
}

export async function logAnchoringStatus(svc: AccessServices): Promise<LogAnchoringStatus | null> {
  if (!svc.verifiableLog) return null;
  const s = await checkpointAnchoringState(svc.db);
  return {
    treeSize: s.newestSize ?? 0,
    latestCheckpointAt: s.newestAt,
    anchoredSize: s.anchoredSize,
    anchoredAt: s.anchoredAt,
    secondsSinceLastAnchor: s.secondsSinceAnchor,
    lastError: s.lastError,
    witnesses: svc.verifiableLog.witnesses(),
  };
}
