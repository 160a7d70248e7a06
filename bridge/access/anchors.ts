/**
 * Anchoring status and receipt data, public by design (no session): these answers hold hashes, salts, proofs and
 * chain coordinates only, never personal data or which clinic sent a bundle. Here so the HTTP edge needs no store.
 */
import { anchoringCounts, AnchoringCounts, BatchRow, findReceiptData, getBatch, LeafSource } from '../store/batches';
import type { AccessServices } from './services';

export type { AnchoringCounts, BatchRow, LeafSource } from '../store/batches';

/** The leaf with `hash` (a bundle's or an audit record's) and its batch, for a receipt; null when unknown. */
export const receiptData = (svc: AccessServices, hash: string, source: LeafSource): ReturnType<typeof findReceiptData> => findReceiptData(svc.db, hash, source);

export const batch = (svc: AccessServices, batchId: string): Promise<BatchRow | null> => getBatch(svc.db, batchId);

export const anchoringStatus = (svc: AccessServices): Promise<AnchoringCounts> => anchoringCounts(svc.db);
