/**
 * Gas of anchoring log checkpoints (printed, never asserted): AnchorRegistry.anchorCheckpoint for the first checkpoint
 * of a log id and in steady state, next to anchor() of a batch, and gas per day at one checkpoint a minute
 * (CHECKPOINT_ANCHOR_INTERVAL_MS=60000) and at one per CHECKPOINT_INTERVAL_MS default (5 s).
 * Run: npx ts-node --transpile-only bench/log-gas.ts
 */
import { randomBytes } from 'node:crypto';
import { id, JsonRpcProvider } from 'ethers';
import { startEmbeddedChain } from '../bridge/anchor/chain';

const hex32 = (): string => '0x' + randomBytes(32).toString('hex');
const median = (xs: bigint[]): bigint => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)];
const fmt = (n: bigint | number): string => Number(n).toLocaleString('en-US');
/** ETH at a gas price in gwei. */
const eth = (gas: bigint, gwei: number): string => ((Number(gas) * gwei) / 1e9).toFixed(6);

async function main(): Promise<void> {
  const chain = await startEmbeddedChain({ port: 0 });
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { cacheTimeout: -1 });
  const gasOf = async (tx: Promise<{ txHash: string }>): Promise<bigint> => (await provider.getTransactionReceipt((await tx).txHash))!.gasUsed;
  try {
    const batch = median(await Promise.all([0, 1, 2].map(() => gasOf(chain.anchor(hex32(), hex32(), 1000)))));
    const logId = id(`fhir-anchor-bridge/${randomBytes(8).toString('hex')}`);
    let size = 1_000_000;
    const first = await gasOf(chain.anchorCheckpoint(logId, size, hex32()));
    const steadyRuns: bigint[] = [];
    for (let i = 0; i < 20; i++) steadyRuns.push(await gasOf(chain.anchorCheckpoint(logId, (size += 1 + Math.floor(Math.random() * 5000)), hex32())));
    const steady = median(steadyRuns);
    const perMinute = steady * 1440n;
    const perFiveSeconds = steady * 17_280n;
    console.log(`anchor() of a batch:                         ${fmt(batch)} gas`);
    console.log(`anchorCheckpoint(), first of a log id:       ${fmt(first)} gas`);
    console.log(
      `anchorCheckpoint(), steady state (median/20): ${fmt(steady)} gas  (${((Number(steady) / Number(batch)) * 100).toFixed(0)}% of a batch anchor)`,
    );
    console.log(
      `per day, one checkpoint a minute (1,440):    ${fmt(perMinute)} gas  = ${eth(perMinute, 1)} ETH at 1 gwei, ${eth(perMinute, 0.01)} ETH at 0.01 gwei`,
    );
    console.log(
      `per day, one every 5 s (17,280):             ${fmt(perFiveSeconds)} gas  = ${eth(perFiveSeconds, 1)} ETH at 1 gwei, ${eth(perFiveSeconds, 0.01)} ETH at 0.01 gwei`,
    );
    console.log(`per day, batches of today at one a minute:   ${fmt(batch * 1440n)} gas (for comparison)`);
  } finally {
    provider.destroy();
    await chain.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
