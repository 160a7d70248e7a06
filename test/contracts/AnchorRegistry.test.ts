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

  it('keeps the documented interface of earlier releases (old receipts and tools keep working)', async () => {
    const { registry } = await deployFixture();
    const sigs = registry.interface.fragments.filter((f) => f.type !== 'constructor').map((f) => f.format('sighash'));
    for (const sig of [
      'anchor(bytes32,bytes32,uint32)',
      'rootOf(bytes32)',
      'batchOf(bytes32)',
      'verifyBundle(bytes32,bytes32,bytes32,bytes32[])',
      'ANCHORER_ROLE()',
      'Anchored(bytes32,bytes32,uint32,address)',
      'ZeroRoot()',
      'ZeroLeafCount()',
      'BatchAlreadyAnchored(bytes32)',
    ])
      expect(sigs, sig).to.include(sig);
    expect(registry.interface.getEvent('Anchored')!.inputs.map((i) => i.indexed)).to.deep.equal([true, true, false, true]);
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

  describe('anchorCheckpoint', () => {
    const logA = ethers.id('fhir-anchor-bridge/0123456789abcdef');
    const logB = ethers.id('another.example/log');

    it('stores the root per (log, size), tracks the latest size and emits CheckpointAnchored', async () => {
      const { registry, admin } = await deployFixture();
      expect(await registry.latestCheckpoint(logA)).to.deep.equal([0n, ZERO, 0n]);
      const [r10, r25] = [hex32(), hex32()];
      await expect(registry.anchorCheckpoint(logA, 10, r10)).to.emit(registry, 'CheckpointAnchored').withArgs(logA, 10, r10, admin.address);
      const t10 = (await ethers.provider.getBlock('latest'))!.timestamp;
      expect(await registry.latestCheckpoint(logA)).to.deep.equal([10n, r10, BigInt(t10)]);
      await expect(registry.anchorCheckpoint(logA, 25, r25)).to.emit(registry, 'CheckpointAnchored').withArgs(logA, 25, r25, admin.address);
      const t25 = (await ethers.provider.getBlock('latest'))!.timestamp;
      expect(await registry.checkpointRoot(logA, 10)).to.equal(r10); // earlier sizes stay readable
      expect(await registry.checkpointRoot(logA, 25)).to.equal(r25);
      expect(await registry.checkpointRoot(logA, 11)).to.equal(ZERO); // a size never anchored
      expect(await registry.latestCheckpoint(logA)).to.deep.equal([25n, r25, BigInt(t25)]);
    });

    it('refuses an equal or smaller size with TreeSizeNotGrowing, and size 0 of a fresh log', async () => {
      const { registry } = await deployFixture();
      const root = hex32();
      await expect(registry.anchorCheckpoint(logA, 0, hex32())).to.be.revertedWithCustomError(registry, 'TreeSizeNotGrowing').withArgs(logA, 0, 0);
      await registry.anchorCheckpoint(logA, 7, root);
      await expect(registry.anchorCheckpoint(logA, 7, root)).to.be.revertedWithCustomError(registry, 'TreeSizeNotGrowing').withArgs(logA, 7, 7);
      await expect(registry.anchorCheckpoint(logA, 7, hex32())).to.be.revertedWithCustomError(registry, 'TreeSizeNotGrowing').withArgs(logA, 7, 7);
      await expect(registry.anchorCheckpoint(logA, 6, hex32())).to.be.revertedWithCustomError(registry, 'TreeSizeNotGrowing').withArgs(logA, 7, 6);
      expect(await registry.checkpointRoot(logA, 7)).to.equal(root); // a refused rewrite changes nothing
      expect(await registry.checkpointRoot(logA, 6)).to.equal(ZERO);
      expect((await registry.latestCheckpoint(logA))[0]).to.equal(7n);
    });

    it('refuses a zero root with ZeroRoot', async () => {
      const { registry } = await deployFixture();
      await expect(registry.anchorCheckpoint(logA, 1, ZERO)).to.be.revertedWithCustomError(registry, 'ZeroRoot');
      expect(await registry.latestCheckpoint(logA)).to.deep.equal([0n, ZERO, 0n]);
    });

    it('takes checkpoints from ANCHORER_ROLE holders only', async () => {
      const { registry, other, anchorer } = await deployFixture();
      const role = await registry.ANCHORER_ROLE();
      await expect((registry.connect(other) as typeof registry).anchorCheckpoint(logA, 1, hex32()))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(other.address, role);
      await registry.grantRole(role, anchorer.address);
      const root = hex32();
      await expect((registry.connect(anchorer) as typeof registry).anchorCheckpoint(logA, 1, root))
        .to.emit(registry, 'CheckpointAnchored')
        .withArgs(logA, 1, root, anchorer.address);
    });

    it('keeps logs independent', async () => {
      const { registry } = await deployFixture();
      const [a, b] = [hex32(), hex32()];
      await registry.anchorCheckpoint(logA, 100, a);
      await registry.anchorCheckpoint(logB, 5, b); // smaller than log A's latest: another log
      expect((await registry.latestCheckpoint(logA)).slice(0, 2)).to.deep.equal([100n, a]);
      expect((await registry.latestCheckpoint(logB)).slice(0, 2)).to.deep.equal([5n, b]);
      expect(await registry.checkpointRoot(logB, 100)).to.equal(ZERO);
      await expect(registry.anchorCheckpoint(logB, 5, hex32())).to.be.revertedWithCustomError(registry, 'TreeSizeNotGrowing').withArgs(logB, 5, 5);
    });

    it('leaves batches alone: a checkpoint id and a batch id may be equal', async () => {
      const { registry } = await deployFixture();
      const [batchRoot, cpRoot] = [hex32(), hex32()];
      await registry.anchor(logA, batchRoot, 3);
      await registry.anchorCheckpoint(logA, 3, cpRoot);
      expect(await registry.rootOf(logA)).to.equal(batchRoot);
      expect(await registry.checkpointRoot(logA, 3)).to.equal(cpRoot);
    });

    it('indexes log id, tree size and anchorer in the event topics', async () => {
      const { registry, admin } = await deployFixture();
      const root = hex32();
      const rcpt = await (await registry.anchorCheckpoint(logA, 42, root)).wait();
      const log = rcpt!.logs[0];
      expect(log.topics).to.deep.equal([
        registry.interface.getEvent('CheckpointAnchored')!.topicHash,
        logA,
        ethers.toBeHex(42, 32),
        ethers.zeroPadValue(admin.address, 32).toLowerCase(),
      ]);
      expect(log.data).to.equal(root);
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
