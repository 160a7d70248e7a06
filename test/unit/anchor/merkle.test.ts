import { randomBytes } from 'node:crypto';
import { setImmediate as nextTick } from 'node:timers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { buildTree, closeMerkleWorker, leafHash, verifyProof, type MerkleLeaf } from '../../../bridge/anchor/merkle';

const hex32 = (): string => '0x' + randomBytes(32).toString('hex');
const makeLeaves = (n: number): MerkleLeaf[] => Array.from({ length: n }, () => ({ bundleHash: hex32(), salt: hex32() }));

afterAll(closeMerkleWorker);

describe('merkle tree (OpenZeppelin StandardMerkleTree-compatible)', () => {
  it.each([1, 2, 3, 7, 1000])('matches @openzeppelin/merkle-tree root and proofs for %i leaves', async (n) => {
    const leaves = makeLeaves(n);
    const oz = StandardMerkleTree.of(
      leaves.map((l) => [l.bundleHash, l.salt]),
      ['bytes32', 'bytes32'],
    );
    const ours = await buildTree(leaves);
    expect(ours.root).toBe(oz.root);
    expect(ours.proofs).toHaveLength(n);
    leaves.forEach((l, i) => {
      expect(ours.proofs[i]).toEqual(oz.getProof(i));
      expect(leafHash(l.bundleHash, l.salt)).toBe(oz.leafHash([l.bundleHash, l.salt]));
      expect(verifyProof(leafHash(l.bundleHash, l.salt), ours.proofs[i], ours.root)).toBe(true);
    });
  });

  it('handles duplicate leaves like the OZ library (stable order)', async () => {
    const [a, b] = makeLeaves(2);
    const leaves = [a, b, a, a, b];
    const oz = StandardMerkleTree.of(
      leaves.map((l) => [l.bundleHash, l.salt]),
      ['bytes32', 'bytes32'],
    );
    const ours = await buildTree(leaves);
    expect(ours.root).toBe(oz.root);
    leaves.forEach((_, i) => expect(ours.proofs[i]).toEqual(oz.getProof(i)));
  });

  it('rejects a wrong salt, a changed proof element and malformed input', async () => {
    const leaves = makeLeaves(5);
    const { root, proofs } = await buildTree(leaves);
    expect(verifyProof(leafHash(leaves[0].bundleHash, hex32()), proofs[0], root)).toBe(false);
    const bad = [...proofs[0]];
    bad[0] = hex32();
    expect(verifyProof(leafHash(leaves[0].bundleHash, leaves[0].salt), bad, root)).toBe(false);
    await expect(buildTree([])).rejects.toThrow(/at least one leaf/);
    await expect(buildTree([{ bundleHash: '0x12', salt: hex32() }])).rejects.toThrow(/bundleHash/);
    await expect(buildTree([...makeLeaves(3), { bundleHash: hex32(), salt: '0x' + 'zz'.repeat(32) }])).rejects.toThrow(/leaves\[3\]\.salt/);
    expect(() => leafHash('nothex', hex32())).toThrow();
    // The worker survives bad input.
    expect((await buildTree(leaves)).root).toBe(root);
  });

  it('keeps the event loop turning while building 100,000 leaves', async () => {
    const leaves = makeLeaves(100_000);
    let ticks = 0;
    let running = true;
    const spin = (): void => {
      ticks++;
      if (running) nextTick(spin);
    };
    nextTick(spin);
    const { root, proofs } = await buildTree(leaves);
    running = false;
    expect(proofs).toHaveLength(100_000);
    expect(verifyProof(leafHash(leaves[99_999].bundleHash, leaves[99_999].salt), proofs[99_999], root)).toBe(true);
    // Many turns of the loop happened during the build: it was never held for the whole build.
    expect(ticks).toBeGreaterThan(20);
  });
});
