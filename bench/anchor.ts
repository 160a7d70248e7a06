/**
 * Anchoring figures (printed, never asserted): Merkle build time, gas per anchor, receipt verification latency.
 * Run: npx ts-node --transpile-only bench/anchor.ts
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { JsonRpcProvider } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { startEmbeddedChain } from '../bridge/anchor/chain';
import { bundleHash } from '../bridge/fhir/hash';
import { buildTree, closeMerkleWorker, type MerkleLeaf } from '../bridge/anchor/merkle';
import { makeReceipt } from '../bridge/anchor/receipt';
import { verifyReceipt } from '../bridge/anchor/verify';
import { pct } from './stats';

const hex32 = (): string => '0x' + randomBytes(32).toString('hex');
const leavesOf = (n: number): MerkleLeaf[] => Array.from({ length: n }, () => ({ bundleHash: hex32(), salt: hex32() }));
const ms = (t0: number): number => performance.now() - t0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function treeFigures(): Promise<void> {
  await buildTree(leavesOf(1000)); // start the worker and JIT once
  for (const n of [1_000, 10_000, 100_000]) {
    const times: number[] = [];
    let worstLag = 0;
    for (let run = 0; run < 3; run++) {
      const leaves = leavesOf(n);
      // Event-loop delay histogram: its max is the longest the loop was held during the build.
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      const t0 = performance.now();
      await buildTree(leaves);
      times.push(ms(t0));
      lag.disable();
      worstLag = Math.max(worstLag, lag.max / 1e6);
    }
    let oz = '';
    if (n <= 10_000) {
      const values = leavesOf(n).map((l) => [l.bundleHash, l.salt]);
      const t0 = performance.now();
      const tree = StandardMerkleTree.of(values, ['bytes32', 'bytes32']);
      for (let i = 0; i < n; i++) tree.getProof(i);
      oz = `   (@openzeppelin/merkle-tree on the main thread: ${ms(t0).toFixed(0)} ms)`;
    }
    console.log(
      `tree + all proofs, ${String(n).padStart(7)} leaves: median ${median(times).toFixed(0)} ms of [${times.map((t) => t.toFixed(0)).join(', ')}], max event-loop delay ${worstLag.toFixed(0)} ms${oz}`,
    );
  }
}

async function chainFigures(): Promise<void> {
  const chain = await startEmbeddedChain({ port: 0 });
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1 });
  try {
    const bundles = Array.from({ length: 200 }, (_, i) => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient', id: `p${i}` } }],
    }));
    const leaves = bundles.map((b) => ({ bundleHash: bundleHash(b), salt: hex32() }));
    const { root, proofs } = await buildTree(leaves);
    const batchId = hex32();
    const { txHash, blockNumber } = await chain.anchor(batchId, root, leaves.length);
    const gas = (await provider.getTransactionReceipt(txHash))!.gasUsed;
    console.log(
      `gas of one anchor(): ${gas} (independent of leaf count) → per bundle: ${(Number(gas) / 1000).toFixed(1)} at 1,000 leaves, ${(Number(gas) / 100_000).toFixed(3)} at 100,000 leaves`,
    );
    const receipts = leaves.map((l, i) =>
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
    await verifyReceipt({ bundle: bundles[0], receipt: receipts[0], rpcUrl: chain.rpcUrl }); // warm-up
    const times: number[] = [];
    for (let i = 0; i < receipts.length; i++) {
      const t0 = performance.now();
      const r = await verifyReceipt({ bundle: bundles[i], receipt: receipts[i], rpcUrl: chain.rpcUrl });
      times.push(ms(t0));
      if (!r.valid) throw new Error(`receipt ${i} did not verify: ${r.message}`);
    }
    times.sort((a, b) => a - b);
    console.log(
      `verifyReceipt over the embedded chain's local RPC (${times.length} receipts, sequential): p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms`,
    );
  } finally {
    provider.destroy();
    await chain.close();
  }
}

void (async () => {
  console.log(`node ${process.version}`);
  await treeFigures();
  await chainFigures();
  await closeMerkleWorker();
})();
