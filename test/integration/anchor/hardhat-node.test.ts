import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { connectChain, deployRegistry, DEV_PRIVATE_KEY, probeChainId, type AnchorChain } from '../../../bridge/anchor/chain';
import { registerAnchorCommands } from '../../../bridge/anchor/commands';
import { closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { verifyReceipt } from '../../../bridge/anchor/verify';
import { anchorBatch, freePort, sampleBundle } from '../../helpers/anchor/fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Polls eth_chainId until the node answers (or the deadline passes). */
async function waitForRpc(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}`);
    try {
      await probeChainId(url, 1000);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`hardhat node not answering at ${url} after ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('external chain: `hardhat node` process', () => {
  let node: ChildProcess | undefined;
  let chain: AnchorChain | undefined;
  let rpcUrl: string;
  let log = '';

  beforeAll(async () => {
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    node = spawn(process.execPath, [require.resolve('hardhat/internal/cli/cli.js'), 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
    });
    node.stdout?.on('data', (d: Buffer) => void (log += d.toString()));
    node.stderr?.on('data', (d: Buffer) => void (log += d.toString()));
    await waitForRpc(rpcUrl, node, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.slice(-2000)}`);
    });
  }, 30_000);

  afterAll(async () => {
    await chain?.close();
    await closeMerkleWorker();
    if (node && node.exitCode === null) {
      const exited = new Promise((r) => node?.once('exit', r));
      node.kill('SIGTERM');
      await exited;
    }
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
