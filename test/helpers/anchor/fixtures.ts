import { randomBytes } from 'node:crypto';
import { bundleHash } from '../../../bridge/fhir/hash';
import { buildTree } from '../../../bridge/anchor/merkle';
import { makeReceipt, type Receipt } from '../../../bridge/anchor/receipt';
import type { AnchorChain } from '../../../bridge/anchor/chain';

export { freePort } from '../net';

export const hex32 = (): string => '0x' + randomBytes(32).toString('hex');

/** A small valid-looking FHIR collection bundle, different for every `n`. */
export function sampleBundle(n: number): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    id: `b-${n}`,
    meta: { lastUpdated: '2025-01-01T00:00:00Z' },
    type: 'collection',
    entry: [
      {
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        resource: { resourceType: 'Patient', gender: 'female', birthDate: '1970-01-01' },
      },
    ],
  };
}

/** Anchors `bundles` as one batch on `chain` and returns one receipt per bundle. */
export async function anchorBatch(chain: AnchorChain, bundles: Record<string, unknown>[], batchId = hex32()): Promise<Receipt[]> {
  const leaves = bundles.map((b) => ({ bundleHash: bundleHash(b), salt: hex32() }));
  const { root, proofs } = await buildTree(leaves);
  const { txHash, blockNumber } = await chain.anchor(batchId, root, leaves.length);
  return leaves.map((l, i) =>
    makeReceipt({
      ...l,
      proof: proofs[i],
      batchId,
      root,
      leafCount: leaves.length,
      chainId: chain.chainId,
      contract: chain.contractAddress,
      txHash,
      blockNumber,
    }),
  );
}
