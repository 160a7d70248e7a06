import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import hre from 'hardhat';
import { buildTree, closeMerkleWorker, type MerkleLeaf } from '../../bridge/anchor/merkle';
import AnchorRegistryModule from '../../ignition/modules/AnchorRegistry';

const { ethers } = hre;
const hex32 = (): string => '0x' + randomBytes(32).toString('hex');
const leavesOf = (n: number): MerkleLeaf[] => Array.from({ length: n }, () => ({ bundleHash: hex32(), salt: hex32() }));
const ZERO = ethers.ZeroHash;

/** A fresh registry per test (hardhat-network-helpers' loadFixture is not installed; deploying is cheap). */
async function deployFixture() {
  const [admin, other, anchorer] = await ethers.getSigners();
  const registry = await ethers.deployContract('AnchorRegistry', [admin.address]);
  return { registry, admin, other, anchorer };
}

describe('AnchorRegistry', () => {
  after(closeMerkleWorker);

  describe('roles', () => {
    it('grants DEFAULT_ADMIN_ROLE and ANCHORER_ROLE to the admin', async () => {
      const { registry, admin } = await deployFixture();
      expect(await registry.ANCHORER_ROLE()).to.equal(ethers.id('ANCHORER_ROLE'));
      expect(await registry.hasRole(ZERO, admin.address)).to.equal(true);
      expect(await registry.hasRole(await registry.ANCHORER_ROLE(), admin.address)).to.equal(true);
    });

    it('rejects a non-anchorer with AccessControlUnauthorizedAccount', async () => {
      const { registry, other } = await deployFixture();
      await expect((registry.connect(other) as typeof registry).anchor(hex32(), hex32(), 1))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(other.address, await registry.ANCHORER_ROLE());
    });

    it('lets the admin grant ANCHORER_ROLE, and only the admin', async () => {
      const { registry, other, anchorer } = await deployFixture();
      const role = await registry.ANCHORER_ROLE();
      await expect((registry.connect(other) as typeof registry).grantRole(role, anchorer.address)).to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount');
      await registry.grantRole(role, anchorer.address);
      await expect((registry.connect(anchorer) as typeof registry).anchor(hex32(), hex32(), 2)).to.emit(registry, 'Anchored');
    });
  });

  describe('anchor', () => {
    it('stores the batch and emits Anchored', async () => {
      const { registry, admin } = await deployFixture();
      const [batchId, root] = [hex32(), hex32()];
      expect(await registry.rootOf(batchId)).to.equal(ZERO);
      await expect(registry.anchor(batchId, root, 42)).to.emit(registry, 'Anchored').withArgs(batchId, root, 42, admin.address);
      expect(await registry.rootOf(batchId)).to.equal(root);
      const b = await registry.batchOf(batchId);
      const block = await ethers.provider.getBlock('latest');
      expect([b.root, b.leafCount, b.anchorer, b.anchoredAt]).to.deep.equal([root, 42n, admin.address, BigInt(block!.timestamp)]);
    });

    it('reverts with ZeroRoot, ZeroLeafCount, BatchAlreadyAnchored', async () => {
      const { registry } = await deployFixture();
      const batchId = hex32();
      await expect(registry.anchor(batchId, ZERO, 1)).to.be.revertedWithCustomError(registry, 'ZeroRoot');
      await expect(registry.anchor(batchId, hex32(), 0)).to.be.revertedWithCustomError(registry, 'ZeroLeafCount');
      await registry.anchor(batchId, hex32(), 1);
      await expect(registry.anchor(batchId, hex32(), 1)).to.be.revertedWithCustomError(registry, 'BatchAlreadyAnchored').withArgs(batchId);
    });
  });

  describe('verifyBundle with proofs built by bridge/anchor/merkle', () => {
    for (const n of [1, 2, 3, 1000]) {
      it(`accepts every leaf of a ${n}-leaf tree`, async () => {
        const { registry } = await deployFixture();
        const leaves = leavesOf(n);
        const { root, proofs } = await buildTree(leaves);
        const batchId = hex32();
        await registry.anchor(batchId, root, n);
        const ok = await Promise.all(leaves.map((l, i) => registry.verifyBundle(batchId, l.bundleHash, l.salt, proofs[i])));
        expect(ok.every(Boolean), `rejected leaves: ${ok.flatMap((v, i) => (v ? [] : [i])).join(',')}`).to.equal(true);
      });
    }

    it('returns false for a wrong salt, a wrong proof element, or an unanchored batch', async () => {
      const { registry } = await deployFixture();
      const leaves = leavesOf(3);
      const { root, proofs } = await buildTree(leaves);
      const batchId = hex32();
      await registry.anchor(batchId, root, 3);
      const { bundleHash, salt } = leaves[1];
      expect(await registry.verifyBundle(batchId, bundleHash, hex32(), proofs[1])).to.equal(false);
      const bad = [...proofs[1]];
      bad[bad.length - 1] = hex32();
      expect(await registry.verifyBundle(batchId, bundleHash, salt, bad)).to.equal(false);
      expect(await registry.verifyBundle(hex32(), bundleHash, salt, proofs[1])).to.equal(false);
    });
  });

  describe('Ignition module', () => {
    it('deploys with the deployer as admin by default', async () => {
      const [deployer] = await ethers.getSigners();
      const { registry } = await hre.ignition.deploy(AnchorRegistryModule);
      expect(await registry.hasRole(ethers.id('ANCHORER_ROLE'), deployer.address)).to.equal(true);
    });
  });
});
