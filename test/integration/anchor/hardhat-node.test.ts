import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { connectChain, deployRegistry, DEV_PRIVATE_KEY, type AnchorChain } from '../../../bridge/anchor/chain';
import { registerAnchorCommands } from '../../../bridge/anchor/commands';
import { closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { verifyReceipt } from '../../../bridge/anchor/verify';
import { anchorBatch, freePort, sampleBundle } from '../../helpers/anchor/fixtures';
import { startHardhatNode, type HardhatNode } from '../../helpers/anchor/hardhat-node';

describe('external chain: `hardhat node` process', () => {
  let node: HardhatNode | undefined;
  let chain: AnchorChain | undefined;
  let rpcUrl: string;

  beforeAll(async () => {
    node = await startHardhatNode();
    rpcUrl = node.rpcUrl;
  }, 30_000);

  afterAll(async () => {
    await chain?.close();
    await closeMerkleWorker();
    await node?.stop();
  });

  it('deploys with deployRegistry, anchors through connectChain, verifies a receipt', async () => {
    const deployed = await deployRegistry({ rpcUrl, privateKey: DEV_PRIVATE_KEY });
    expect(deployed.chainId).toBe(31337n);
    chain = await connectChain({ rpcUrl, privateKey: DEV_PRIVATE_KEY, contract: deployed.address, confirmations: 1 });
    const bundles = [sampleBundle(11), sampleBundle(12)];
    const receipts = await anchorBatch(chain, bundles);
    // Back-to-back transactions (cacheTimeout: -1 keeps nonces fresh).
    await anchorBatch(chain, [sampleBundle(13)]);
    expect(await chain.rootOf(receipts[0].batchId)).toBe(receipts[0].root);
    expect(await verifyReceipt({ bundle: bundles[1], receipt: receipts[1], rpcUrl })).toMatchObject({ valid: true });
    await expect(chain.anchor(receipts[0].batchId, receipts[0].root, 2)).rejects.toThrow(/BatchAlreadyAnchored/);
  });

  it('records a deployment with the `deploy` command', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'anchor-deploy-')), 'deployment.json');
    const program = new Command().exitOverride();
    registerAnchorCommands(program);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.exitCode = undefined;
    await program.parseAsync(['deploy', '--rpc', rpcUrl, '--key', DEV_PRIVATE_KEY, '--out', out], { from: 'user' });
    log.mockRestore();
    expect(process.exitCode).toBe(0);
    process.exitCode = undefined;
    const record = JSON.parse(readFileSync(out, 'utf8')) as { address: string; chainId: number; blockNumber: number };
    expect(record.chainId).toBe(31337);
    expect(record.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(record.blockNumber).toBeGreaterThan(0);
  });

  it('fails fast with a clear message when the RPC is unreachable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(connectChain({ rpcUrl: dead, privateKey: DEV_PRIVATE_KEY, confirmations: 1 })).rejects.toThrow(`RPC unreachable at ${dead}`);
  });
});
