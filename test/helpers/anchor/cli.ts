import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { registerAnchorCommands } from '../../../bridge/anchor/commands';

/**
 * Runs `fhir-bridge verify` in process (the same commander command the CLI registers) on a bundle and a receipt
 * written to `dir`; returns the exit code it set and what it printed.
 */
export async function runVerifyCommand(dir: string, bundle: unknown, receipt: unknown, rpcUrl: string): Promise<{ code: number | undefined; out: string }> {
  const bundleFile = path.join(dir, `bundle-${process.hrtime.bigint()}.json`);
  const receiptFile = path.join(dir, `receipt-${process.hrtime.bigint()}.json`);
  fs.writeFileSync(bundleFile, typeof bundle === 'string' ? bundle : JSON.stringify(bundle));
  fs.writeFileSync(receiptFile, JSON.stringify(receipt));
  const out: string[] = [];
  const l = jest.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
  const e = jest.spyOn(console, 'error').mockImplementation((m: string) => void out.push(m));
  try {
    const program = new Command().exitOverride();
    registerAnchorCommands(program);
    process.exitCode = undefined;
    await program.parseAsync(['verify', '--bundle', bundleFile, '--receipt', receiptFile, '--rpc', rpcUrl], { from: 'user' });
    return { code: process.exitCode as number | undefined, out: out.join('\n') };
  } finally {
    process.exitCode = undefined;
    l.mockRestore();
    e.mockRestore();
  }
}
