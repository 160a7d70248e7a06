import { Request, Response, Router } from 'express';
import { makeReceipt } from '../../anchor/receipt';
import { anchoringStatus, batch as findBatch, bundleLogProof, logAnchoringStatus, receiptData, type BatchRow, type LeafSource } from '../../access/anchors';
import type { AccessServices } from '../../access/services';
import { outcomes } from '../../fhir/outcome';

/** What `/anchors` tells about the chain; undefined while an external chain has not been reached yet. */
export interface AnchorsInfo {
  contract(): { chainId: number; address: string; rpcUrl: string } | undefined;
  /** Anchoring failures in a row (0 when healthy). */
  failures(): number;
  /** The last anchoring failure's message while failing (null when healthy). */
  lastError(): string | null;
  /** The anchorer of the log's checkpoints: its failures in a row and the last one's message while failing. */
  checkpoints?: { failures(): number; lastError(): string | null };
}

const HASH = /^(0x)?[0-9a-fA-F]{64}$/;

function hashParam(value: string, what: string): string {
  if (!HASH.test(value)) throw outcomes.value(`${what} must be 64 hex digits, optionally prefixed with 0x`);
  return '0x' + value.replace(/^0x/, '').toLowerCase();
}

function batchView(b: BatchRow): Record<string, unknown> {
  return {
    batchId: b.batchId,
    status: b.status,
    root: b.root,
    leafCount: b.leafCount,
    chainId: b.chainId,
    contract: b.contract,
    txHash: b.txHash,
    blockNumber: b.blockNumber,
    blockTime: b.blockTime,
    createdAt: b.createdAt,
    submittedAt: b.submittedAt,
    confirmedAt: b.confirmedAt,
  };
}

/**
 * `/anchors`: public anchoring status and receipts. No clinic key: these answers hold hashes, salts, proofs and chain
 * coordinates only, never personal data or which clinic sent a bundle.
 */
export function anchorsRouter(svc: AccessServices, info: AnchorsInfo): Router {
  const router = Router();
  /**
   * `{status: pending}` or `{status: anchored, receipt}` for the leaf with this hash; the same receipt format for both
   * sources. A bundle's answer also has `logProof`: its fhir-anchor-proof/1 in the verifiable log (null while pending).
   */
  const receiptRoute =
    (source: LeafSource, what: string) =>
    async (req: Request, res: Response): Promise<void> => {
      const hash = hashParam(String(req.params.hash), `the ${what} hash`);
      const found = await receiptData(svc, hash, source);
      if (!found) throw outcomes.notFound(`no ${what} with hash ${hash}`);
      const b = found.batch;
      const log = source === 'bundle' ? await bundleLogProof(svc, found.refId) : {};
      if (!b || b.status !== 'confirmed') {
        res.json({ status: 'pending', ...log });
        return;
      }
      const receipt = makeReceipt({
        bundleHash: found.bundleHash,
        salt: found.salt,
        proof: found.proof,
        batchId: b.batchId,
        root: b.root,
        leafCount: b.leafCount,
        chainId: b.chainId as number,
        contract: b.contract as string,
        txHash: b.txHash as string,
        blockNumber: b.blockNumber as number,
      });
      res.json({ status: 'anchored', receipt, ...log });
    };
  router.get('/bundles/:hash', receiptRoute('bundle', 'bundle'));
  router.get('/audit/:hash', receiptRoute('audit_event', 'audit record'));
  router.get('/batches/:batchId', async (req, res) => {
    const batch = await findBatch(svc, hashParam(req.params.batchId, 'the batch id'));
    if (!batch) throw outcomes.notFound(`no batch ${req.params.batchId}`);
    res.json(batchView(batch));
  });
  router.get('/contract', (_req, res) => {
    const c = info.contract();
    if (!c) throw outcomes.unavailable('the anchoring chain has not been reached yet');
    res.json(c);
  });
  router.get('/status', async (_req, res) => {
    const [batches, log] = await Promise.all([anchoringStatus(svc), logAnchoringStatus(svc)]);
    const cp = info.checkpoints;
    // The anchorer's live count and message are read together: a failure is counted the moment after its message is
    // stored on the batch, so a count read after the rows could report a failure the rows did not show yet.
    res.json({
      ...batches,
      chainFailures: info.failures(),
      lastError: info.lastError() ?? batches.lastError,
      // The log's checkpoints: the anchorer's live failure (it may not be recorded on a row yet) before the stored one.
      ...(log && { log: { ...log, chainFailures: cp?.failures() ?? 0, lastError: cp?.lastError() ?? log.lastError } }),
    });
  });
  return router;
}
