import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRpcProvider, ZeroHash } from 'ethers';
import { ChainError, startEmbeddedChain, type EmbeddedChain } from '../../../bridge/anchor/chain';
import { registerAnchorCommands } from '../../../bridge/anchor/commands';
import { buildTree, closeMerkleWorker } from '../../../bridge/anchor/merkle';
import type { Receipt } from '../../../bridge/anchor/receipt';
import { verifyReceipt } from '../../../bridge/anchor/verify';
import { anchorBatch, freePort, hex32, sampleBundle } from '../../helpers/anchor/fixtures';

describe('embedded chain + receipts', () => {
  let chain: EmbeddedChain;
  let receipts: Receipt[];
  const bundles = [sampleBundle(1), sampleBundle(2), sampleBundle(3)];

  beforeAll(async () => {
    chain = await startEmbeddedChain({ port: await freePort(), host: '127.0.0.1' });
    receipts = await anchorBatch(chain, bundles);
  });
  afterAll(async () => {
    await chain?.close();
    await closeMerkleWorker();
  });

  it('anchors a batch readable through rootOf and verifies every receipt', async () => {
    expect(chain.chainId).toBe(31337n);
    expect(await chain.rootOf(receipts[0].batchId)).toBe(receipts[0].root);
    expect(await chain.rootOf(hex32())).toBe(ZeroHash);
    expect(await chain.blockTime(receipts[0].blockNumber)).toBeGreaterThan(0);
    for (const [i, receipt] of receipts.entries()) {
      const r = await verifyReceipt({ bundle: bundles[i], receipt, rpcUrl: chain.rpcUrl });
      expect(r).toMatchObject({ valid: true });
      expect(r.message).toMatch(/^VALID /);
    }
  });

  it('ignores root id/meta but fails step "hash" on a one-byte change', async () => {
    const sameContent = { ...bundles[0], id: 'other', meta: { versionId: '9' } };
    expect((await verifyReceipt({ bundle: sameContent, receipt: receipts[0], rpcUrl: chain.rpcUrl })).valid).toBe(true);
    const changed = JSON.parse(JSON.stringify(bundles[0]).replace('1970-01-01', '1970-01-02')) as Record<string, unknown>;
    expect(await verifyReceipt({ bundle: changed, receipt: receipts[0], rpcUrl: chain.rpcUrl })).toMatchObject({ valid: false, failedStep: 'hash' });
  });

  it('fails step "proof" on a changed proof element or salt', async () => {
    const proof = [...receipts[0].proof];
    proof[0] = hex32();
    expect(await verifyReceipt({ bundle: bundles[0], receipt: { ...receipts[0], proof }, rpcUrl: chain.rpcUrl })).toMatchObject({ failedStep: 'proof' });
    expect(await verifyReceipt({ bundle: bundles[0], receipt: { ...receipts[0], salt: hex32() }, rpcUrl: chain.rpcUrl })).toMatchObject({
      failedStep: 'proof',
    });
  });

  it('fails on another chain id, another contract, an unreachable RPC', async () => {
    const r0 = receipts[0];
    expect(await verifyReceipt({ bundle: bundles[0], receipt: { ...r0, chainId: 1 }, rpcUrl: chain.rpcUrl })).toMatchObject({ failedStep: 'chain' });
    const noCode = { ...r0, contract: '0x000000000000000000000000000000000000dEaD' };
    expect(await verifyReceipt({ bundle: bundles[0], receipt: noCode, rpcUrl: chain.rpcUrl })).toMatchObject({ failedStep: 'wrong-contract' });
    const down = await verifyReceipt({ bundle: bundles[0], receipt: r0, rpcUrl: `http://127.0.0.1:${await freePort()}` });
    expect(down).toMatchObject({ failedStep: 'chain' });
    expect(down.message).toMatch(/unreachable/);
  });

  it('fails step "not-anchored" for a consistent receipt of a batch never anchored', async () => {
    const r = await verifyReceipt({ bundle: bundles[0], receipt: { ...receipts[0], batchId: hex32() }, rpcUrl: chain.rpcUrl });
    expect(r).toMatchObject({ valid: false, failedStep: 'not-anchored' });
  });

  it('fails step "chain" when the anchored root differs from a self-consistent receipt', async () => {
    const r0 = receipts[0];
    const other = await buildTree([
      { bundleHash: r0.bundleHash, salt: r0.salt },
      { bundleHash: hex32(), salt: hex32() },
    ]);
    const forged = { ...r0, root: other.root, proof: other.proofs[0], leafCount: 2 };
    const r = await verifyReceipt({ bundle: bundles[0], receipt: forged, rpcUrl: chain.rpcUrl });
    expect(r).toMatchObject({ valid: false, failedStep: 'chain' });
    expect(r.message).toMatch(/anchored with root/);
  });

  it('still finds the Anchored event when the receipt names another block', async () => {
    const r = await verifyReceipt({ bundle: bundles[0], receipt: { ...receipts[0], blockNumber: 1 }, rpcUrl: chain.rpcUrl });
    expect(r.valid).toBe(true);
  });

  it('reports malformed receipts without a step', async () => {
    const r = await verifyReceipt({ bundle: bundles[0], receipt: { ...receipts[0], extra: 1 }, rpcUrl: chain.rpcUrl });
    expect(r.valid).toBe(false);
    expect(r.failedStep).toBeUndefined();
  });

  it('maps reverts to custom error names', async () => {
    const { batchId, root } = receipts[0];
    await expect(chain.anchor(batchId, root, 3)).rejects.toMatchObject({ kind: 'reverted', revertName: 'BatchAlreadyAnchored' });
    await expect(chain.anchor(hex32(), ZeroHash, 3)).rejects.toThrow(/ZeroRoot/);
    await expect(chain.anchor(hex32(), hex32(), 0)).rejects.toBeInstanceOf(ChainError);
  });

  it('serializes concurrent anchors from one wallet (no nonce clashes)', async () => {
    const ids = [hex32(), hex32(), hex32(), hex32()];
    const results = await Promise.all(ids.map((b) => chain.anchor(b, hex32(), 1)));
    expect(new Set(results.map((r) => r.blockNumber)).size).toBe(ids.length);
  });

  it('refuses a port that is already taken with a clear message', async () => {
    const port = Number(new URL(chain.rpcUrl).port);
    await expect(startEmbeddedChain({ port })).rejects.toThrow(/cannot serve JSON-RPC on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  });

  it('serves read-only JSON-RPC to outside tools', async () => {
    const p = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1 });
    try {
      expect((await p.getNetwork()).chainId).toBe(31337n);
      expect(await p.getCode(chain.contractAddress)).not.toBe('0x');
      await expect(p.send('eth_sendRawTransaction', ['0x00'])).rejects.toThrow(/not allowed/);
      await expect(p.send('evm_mine', [])).rejects.toThrow(/not allowed/);
    } finally {
      p.destroy();
    }
  });

  it('runs `verify` from the CLI: exit 0 with VALID, exit 1 naming the step', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'anchor-cli-'));
    const files = { bundle: path.join(dir, 'b.json'), changed: path.join(dir, 'c.json'), receipt: path.join(dir, 'r.json') };
    writeFileSync(files.bundle, JSON.stringify(bundles[1]));
    writeFileSync(files.changed, JSON.stringify({ ...bundles[1], type: 'batch' }));
    writeFileSync(files.receipt, JSON.stringify(receipts[1]));
    const run = async (bundle: string): Promise<{ code: number | undefined; out: string }> => {
      const out: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
      const err = jest.spyOn(console, 'error').mockImplementation((m: string) => void out.push(m));
      const program = new Command().exitOverride();
      registerAnchorCommands(program);
      process.exitCode = undefined;
      await program.parseAsync(['verify', '--bundle', bundle, '--receipt', files.receipt, '--rpc', chain.rpcUrl], { from: 'user' });
      const code = process.exitCode as number | undefined;
      process.exitCode = undefined;
      log.mockRestore();
      err.mockRestore();
      return { code, out: out.join('\n') };
    };
    const ok = await run(files.bundle);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^VALID /);
    const bad = await run(files.changed);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/INVALID \(hash\)/);
  });

  it('replays into a fresh chain: same contract address, roots, tx hashes and blocks', async () => {
    // A chain of its own, so the history below is the chain's whole history (replay reproduces nonces exactly).
    const first = await startEmbeddedChain({ port: 0 });
    const batches = [await anchorBatch(first, bundles), await anchorBatch(first, [sampleBundle(4)])];
    await first.close();
    const history = batches.map(([r]) => ({ batchId: r.batchId, root: r.root, leafCount: r.leafCount }));
    const again = await startEmbeddedChain({ port: 0 });
    try {
      expect(again.contractAddress).toBe(first.contractAddress);
      expect(await again.rootOf(history[0].batchId)).toBe(ZeroHash);
      const replayed = await again.replay(history);
      expect(replayed).toEqual(batches.map(([r]) => ({ txHash: r.txHash, blockNumber: r.blockNumber })));
      expect(await again.replay(history)).toEqual([]); // idempotent
      expect(await again.rootOf(history[1].batchId)).toBe(history[1].root);
      expect(await verifyReceipt({ bundle: bundles[2], receipt: batches[0][2], rpcUrl: again.rpcUrl })).toMatchObject({ valid: true });
    } finally {
      await again.close();
    }
  });
});
