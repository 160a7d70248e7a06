import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { deployRegistry } from './chain';
import { verifyReceipt } from './verify';

/** Default RPC for `verify`: deliberately not taken from the receipt, so a forged receipt cannot pick its own chain. */
export const DEFAULT_VERIFY_RPC = 'http://127.0.0.1:8545';
export const DEFAULT_DEPLOYMENT_FILE = path.join('.data', 'deployment.json');

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** Adds `verify` and `deploy` to the `fhir-bridge` CLI. Exit codes: 0 valid/deployed, 1 invalid/failed. */
export function registerAnchorCommands(program: Command): void {
  program
    .command('verify')
    .description('verify a bundle against its anchoring receipt: hash → Merkle proof → chain')
    .requiredOption('--bundle <file>', 'FHIR Bundle JSON as sent by the clinic')
    .requiredOption('--receipt <file>', 'receipt JSON (fhir-anchor-receipt/1)')
    .option('--rpc <url>', 'JSON-RPC URL of the chain to check against', DEFAULT_VERIFY_RPC)
    .action(async (opts: { bundle: string; receipt: string; rpc: string }) => {
      try {
        const bundle = readJson(opts.bundle, 'bundle');
        if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) throw new Error(`bundle ${opts.bundle} is not a JSON object`);
        const result = await verifyReceipt({ bundle: bundle as Record<string, unknown>, receipt: readJson(opts.receipt, 'receipt'), rpcUrl: opts.rpc });
        if (result.valid) {
          console.log(result.message);
          process.exitCode = 0;
        } else {
          console.error(`INVALID (${result.failedStep ?? 'receipt'}): ${result.message}`);
          process.exitCode = 1;
        }
      } catch (e) {
        console.error(`INVALID (input): ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });

  program
    .command('deploy')
    .description("deploy AnchorRegistry (admin and anchorer: the key's account) and record where")
    .requiredOption('--rpc <url>', 'JSON-RPC URL of the target chain')
    .option('--key <hex>', 'deployer private key (default: $ANCHOR_PRIVATE_KEY; prefer it, argv is visible in ps)')
    .option('--out <file>', 'deployment record', DEFAULT_DEPLOYMENT_FILE)
    .action(async (opts: { rpc: string; key?: string; out: string }) => {
      const key = opts.key ?? process.env.ANCHOR_PRIVATE_KEY;
      if (!key) {
        console.error('deploy: --key or ANCHOR_PRIVATE_KEY is required');
        process.exitCode = 1;
        return;
      }
      try {
        const d = await deployRegistry({ rpcUrl: opts.rpc, privateKey: key });
        const record = {
          contract: 'AnchorRegistry',
          address: d.address,
          chainId: Number(d.chainId),
          blockNumber: d.blockNumber,
          deployedAt: new Date().toISOString(),
        };
        mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(record, null, 2) + '\n');
        console.log(`deployed AnchorRegistry at ${d.address} on chain ${d.chainId}, block ${d.blockNumber} → ${opts.out}`);
        process.exitCode = 0;
      } catch (e) {
        console.error(`deploy failed: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
