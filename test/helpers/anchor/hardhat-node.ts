import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { probeChainId } from '../../../bridge/anchor/chain';
import { freePort } from '../net';

const ROOT = path.join(__dirname, '..', '..', '..');

export interface HardhatNode {
  rpcUrl: string;
  /** SIGSTOP / SIGCONT of the node process: it keeps its port and accepted connections but answers nothing meanwhile. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

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

/** A real `hardhat node` process on a free port: an external EVM chain. Stopped by `stop()` (only the process started here). */
export async function startHardhatNode(): Promise<HardhatNode> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  let log = '';
  const node = spawn(process.execPath, [require.resolve('hardhat/internal/cli/cli.js'), 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
  });
  node.stdout?.on('data', (d: Buffer) => void (log += d.toString()));
  node.stderr?.on('data', (d: Buffer) => void (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (node.exitCode !== null) return;
    const exited = new Promise((r) => node.once('exit', r));
    node.kill('SIGCONT'); // a paused node would not act on SIGTERM
    node.kill('SIGTERM');
    await exited;
  };
  await waitForRpc(rpcUrl, node, 20_000).catch(async (e: Error) => {
    await stop();
    throw new Error(`${e.message}\n${log.slice(-2000)}`);
  });
  return { rpcUrl, pause: () => void node.kill('SIGSTOP'), resume: () => void node.kill('SIGCONT'), stop };
}
