import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../log/run-cli';

/**
 * Runs `fhir-bridge verify` in process (the same commander command the CLI registers) on a bundle and a receipt
 * written to `dir`; returns the exit code it set and what it printed.
 */
export async function runVerifyCommand(dir: string, bundle: unknown, receipt: unknown, rpcUrl: string): Promise<{ code: number | undefined; out: string }> {
  const bundleFile = path.join(dir, `bundle-${process.hrtime.bigint()}.json`);
  const receiptFile = path.join(dir, `receipt-${process.hrtime.bigint()}.json`);
  fs.writeFileSync(bundleFile, typeof bundle === 'string' ? bundle : JSON.stringify(bundle));
  fs.writeFileSync(receiptFile, JSON.stringify(receipt));
  return runCli(['verify', '--bundle', bundleFile, '--receipt', receiptFile, '--rpc', rpcUrl]);
}
