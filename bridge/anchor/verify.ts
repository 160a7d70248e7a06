import { ZeroHash } from 'ethers';
import { bundleHash } from '../fhir/hash';
import { ChainError } from './chain-errors';
import { openRegistryView, type RegistryView } from './chain-reader';
import { leafHash, verifyProof } from './merkle';
import { parseReceipt, type Receipt } from './receipt';

/** The verification step that failed. */
export type FailedStep = 'hash' | 'proof' | 'chain' | 'not-anchored' | 'wrong-contract';

export interface VerifyResult {
  valid: boolean;
  failedStep?: FailedStep;
  message: string;
}

const fail = (failedStep: FailedStep, message: string): VerifyResult => ({ valid: false, failedStep, message });
const short = (h: string): string => `${h.slice(0, 10)}…`;

/** Step 3: the chain at rpcUrl holds this root for this batch, in this contract, anchored by an anchorer. */
async function checkChain(receipt: Receipt, view: RegistryView): Promise<VerifyResult> {
  if (view.chainId !== BigInt(receipt.chainId)) return fail('chain', `receipt is for chain ${receipt.chainId}, the RPC serves chain ${view.chainId}`);
  // Independent reads in parallel (one round trip instead of three), judged below in the step order.
  const [hasCode, onChainRoot, evAtBlock] = await Promise.all([
    view.hasCode(),
    view.rootOf(receipt.batchId).catch(() => undefined),
    view.anchoredEvent(receipt.batchId, receipt.blockNumber, receipt.blockNumber).catch(() => null),
  ]);
  if (!hasCode) return fail('wrong-contract', `no contract at ${receipt.contract} on chain ${view.chainId}`);
  if (onChainRoot === undefined) return fail('wrong-contract', `${receipt.contract} does not answer rootOf(bytes32): not an AnchorRegistry`);
  if (onChainRoot === ZeroHash) return fail('not-anchored', `batch ${short(receipt.batchId)} is not anchored in ${receipt.contract}`);
  if (onChainRoot.toLowerCase() !== receipt.root)
    return fail('chain', `batch ${short(receipt.batchId)} is anchored with root ${short(onChainRoot)}, receipt says ${short(receipt.root)}`);
  // A receipt from before a reorg or a replay of the embedded chain may name another block: search after it, then before.
  const ev =
    evAtBlock ??
    (await view.anchoredEvent(receipt.batchId, receipt.blockNumber + 1, 'latest')) ??
    (await view.anchoredEvent(receipt.batchId, 0, receipt.blockNumber - 1));
  if (!ev) return fail('chain', `no Anchored event for batch ${short(receipt.batchId)}`);
  if (ev.leafCount !== receipt.leafCount) return fail('chain', `batch has ${ev.leafCount} leaves on chain, receipt says ${receipt.leafCount}`);
  if (!(await view.isAnchorer(ev.anchorer))) return fail('chain', `anchorer ${ev.anchorer} does not hold ANCHORER_ROLE`);
  return {
    valid: true,
    message:
      `VALID bundle ${short(receipt.bundleHash)} in batch ${short(receipt.batchId)} (${receipt.leafCount} leaves), ` +
      `root ${short(receipt.root)} anchored on chain ${receipt.chainId} at ${receipt.contract} block ${ev.blockNumber} by ${ev.anchorer}`,
  };
}

/**
 * Verifies a bundle against its receipt, trusting neither the bridge nor its database:
 * 1. the bundle's canonical hash equals receipt.bundleHash; 2. the Merkle proof leads to receipt.root;
 * 3. on chain (rpcUrl): chain id, contract code, rootOf(batchId) == root, and the anchorer holds ANCHORER_ROLE.
 */
export async function verifyReceipt(args: { bundle: Record<string, unknown>; receipt: unknown; rpcUrl: string }): Promise<VerifyResult> {
  let receipt: Receipt;
  try {
    receipt = parseReceipt(args.receipt);
  } catch (e) {
    return { valid: false, message: `malformed receipt: ${(e as Error).message}` };
  }
  const computed = bundleHash(args.bundle);
  if (computed !== receipt.bundleHash) return fail('hash', `bundle hash ${short(computed)} differs from the receipt's ${short(receipt.bundleHash)}`);
  if (!verifyProof(leafHash(receipt.bundleHash, receipt.salt), receipt.proof, receipt.root)) {
    return fail('proof', `Merkle proof does not lead from the bundle's leaf to root ${short(receipt.root)}`);
  }
  let view: RegistryView | undefined;
  try {
    view = await openRegistryView(args.rpcUrl, receipt.contract);
    return await checkChain(receipt, view);
  } catch (e) {
    return fail('chain', e instanceof ChainError ? e.message : `chain query failed at ${args.rpcUrl}: ${(e as Error).message}`);
  } finally {
    view?.close();
  }
}

export { checkpointOnChain } from './checkpoint-view';
