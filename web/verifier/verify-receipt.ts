/**
 * A bundle (or audit record document) with its `fhir-anchor-receipt/1`, as `fhir-bridge verify` checks it
 * (bridge/anchor/verify.ts; README "verify"): 1. the document's canonical hash is the receipt's bundleHash; 2. the
 * StandardMerkleTree proof leads from (bundleHash, salt) to the root; 3. on the receipt's chain, rootOf(batchId) of the
 * contract is that root and the batch's Anchored event names an account holding ANCHORER_ROLE. Every step is a line;
 * the chain is asked even when the document does not match (the receipt may be fine, the document the wrong one).
 */
import { openRegistry, chainFailure } from './chain-checks';
import { Checks, short } from './checks';
import { bundleDocumentHash, jsonObject } from './documents';
import { parseReceipt, receiptLeaf, receiptRoot, type Receipt } from './receipt';
import { ANCHORER_ROLE } from './registry';

export interface ChainOptions {
  rpcUrl: string;
  timeoutMs: number;
  /**
   * Typed by the user: the registry they trust, asked instead of the one the evidence names (as the CLI's --contract:
   * evidence cannot pick the contract that vouches for it); needed when the evidence names none.
   */
  contract: string | null;
}

export async function verifyReceipt(checks: Checks, documentText: string, evidence: unknown, chain: ChainOptions): Promise<void> {
  let receipt: Receipt;
  try {
    receipt = parseReceipt(evidence);
  } catch (e) {
    checks.fail('format', 'Receipt', 'malformed', (e as Error).message);
    return;
  }
  checks.ok('format', 'Receipt', `fhir-anchor-receipt/1 for batch ${short(receipt.batchId)} of ${receipt.leafCount} bundle(s) on chain ${receipt.chainId}`);

  const doc = jsonObject(documentText);
  if (!doc) checks.fail('document', 'Document hash', 'malformed', documentText.trim() ? 'the document is not a JSON object' : 'no document given');
  else {
    const computed = bundleDocumentHash(doc);
    if (computed === receipt.bundleHash) checks.ok('document', 'Document hash', `SHA-256 of the canonical document is ${short(computed)}, as in the receipt`);
    else
      checks.fail(
        'document',
        'Document hash',
        'document-mismatch',
        `the document hashes to ${short(computed)}, the receipt is for ${short(receipt.bundleHash)}`,
      );
  }

  const root = receiptRoot(receiptLeaf(receipt.bundleHash, receipt.salt), receipt.proof);
  if (root === receipt.root) checks.ok('merkle', 'Merkle proof', `${receipt.proof.length} step(s) lead from the bundle's leaf to root ${short(root)}`);
  else checks.fail('merkle', 'Merkle proof', 'inclusion', `the proof leads to ${short(root)}, not to the receipt's root ${short(receipt.root)}`);

  const registry = await openRegistry(checks, { ...chain, contract: chain.contract ?? receipt.contract, named: receipt.contract, chainId: receipt.chainId }, [
    ['anchored', 'Root on chain'],
    ['event', 'Anchoring transaction'],
  ]);
  if (!registry) return;
  try {
    const onChain = await registry.rootOf(receipt.batchId);
    if (onChain === null) checks.fail('anchored', 'Root on chain', 'not-anchored', `batch ${short(receipt.batchId)} is not anchored in ${registry.address}`);
    else if (onChain !== receipt.root)
      checks.fail(
        'anchored',
        'Root on chain',
        'anchor-mismatch',
        `the chain holds root ${short(onChain)} for this batch, the receipt says ${short(receipt.root)}`,
      );
    else checks.ok('anchored', 'Root on chain', `rootOf(${short(receipt.batchId)}) is ${short(onChain)}`);
  } catch (e) {
    chainFailure(checks, 'anchored', 'Root on chain', e);
    return;
  }
  try {
    // A receipt from before a reorg (or a replay of the embedded chain) may name another block: search after it, then before.
    const ev =
      (await registry.anchoredEvent(receipt.batchId, receipt.blockNumber, receipt.blockNumber)) ??
      (await registry.anchoredEvent(receipt.batchId, receipt.blockNumber + 1, 'latest')) ??
      (await registry.anchoredEvent(receipt.batchId, 0, receipt.blockNumber - 1));
    if (!ev) checks.fail('event', 'Anchoring transaction', 'not-anchored', `no Anchored event for batch ${short(receipt.batchId)}`);
    else if (ev.leafCount !== receipt.leafCount)
      checks.fail('event', 'Anchoring transaction', 'anchor-mismatch', `the batch has ${ev.leafCount} leaves on chain, the receipt says ${receipt.leafCount}`);
    else if (!(await registry.hasRole(ANCHORER_ROLE, ev.anchorer)))
      checks.fail('event', 'Anchoring transaction', 'anchor-mismatch', `anchored by ${ev.anchorer}, which does not hold ANCHORER_ROLE`);
    else checks.ok('event', 'Anchoring transaction', `anchored in block ${ev.blockNumber} by ${short(ev.anchorer)}, which holds ANCHORER_ROLE`);
  } catch (e) {
    chainFailure(checks, 'event', 'Anchoring transaction', e);
  }
}
