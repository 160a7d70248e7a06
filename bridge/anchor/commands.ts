import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { deployRegistry } from './chain';
import { parseVkey, type VerifierKey } from '../log/note';
import { CONSISTENCY_VERSION, PROOF_VERSION } from '../log/proof';
import { verifyLogConsistency, verifyLogPage, verifyLogProof, type LogVerifyResult } from './log-verify';
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

interface VerifyOptions {
  bundle?: string;
  document?: string;
  receipt?: string;
  proof?: string;
  checkpoint?: string;
  page?: string;
  rpc: string;
  contract?: string;
  key?: string;
  keyFile?: string;
  witness: string[];
}

function usage(message: string): number {
  console.error(`fhir-bridge verify: ${message}`);
  return 2;
}

function report(result: LogVerifyResult): number {
  for (const c of result.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
  if (result.valid) {
    console.log(`VALID ${result.message}`);
    return 0;
  }
  console.error(`INVALID (${result.reason}): ${result.message}`);
  return 1;
}

/** The log's key and the witnesses' keys given, or the usage exit code when one does not parse. */
function verifierKeys(opts: VerifyOptions): { logKey?: VerifierKey; witnesses: VerifierKey[] } | number {
  try {
    const keyText = opts.key ?? (opts.keyFile ? readFileSync(opts.keyFile, 'utf8').trim() : undefined);
    return { logKey: keyText ? parseVkey(keyText) : undefined, witnesses: opts.witness.map((w) => parseVkey(w)) };
  } catch (e) {
    return usage(`bad verifier key: ${(e as Error).message}`);
  }
}

/** The verify command: exit code 0 valid, 1 invalid, 2 usage. */
async function runVerify(opts: VerifyOptions): Promise<number> {
  if (opts.page) {
    if (opts.proof || opts.receipt || opts.document || opts.bundle) return usage('a page carries its own proofs: give --page alone');
    const keys = verifierKeys(opts);
    if (typeof keys === 'number') return keys;
    return report(await verifyLogPage(readJson(opts.page, 'page'), { rpcUrl: opts.rpc, contract: opts.contract, ...keys }));
  }
  const proofFile = opts.proof ?? opts.receipt;
  if (!proofFile) return usage('give --receipt, --proof or --page');
  if (opts.proof && opts.receipt) return usage('give one of --receipt, --proof');
  const docFile = opts.document ?? opts.bundle;
  if (opts.document && opts.bundle) return usage('give one of --bundle, --document');
  const proof = readJson(proofFile, 'proof');
  const version = (proof as { version?: unknown } | null)?.version;
  if (version !== PROOF_VERSION && version !== CONSISTENCY_VERSION) {
    // fhir-anchor-receipt/1: exactly the checks and output of before.
    if (!opts.bundle) return usage('a receipt needs --bundle');
    const bundle = readJson(opts.bundle, 'bundle');
    if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) throw new Error(`bundle ${opts.bundle} is not a JSON object`);
    const result = await verifyReceipt({ bundle: bundle as Record<string, unknown>, receipt: proof, rpcUrl: opts.rpc });
    if (result.valid) {
      console.log(result.message);
      return 0;
    }
    console.error(`INVALID (${result.failedStep ?? 'receipt'}): ${result.message}`);
    return 1;
  }
  const keys = verifierKeys(opts);
  if (typeof keys === 'number') return keys;
  const o = { rpcUrl: opts.rpc, contract: opts.contract, ...keys };
  if (version === PROOF_VERSION) {
    if (!docFile) return usage('a log proof needs --document (or --bundle)');
    return report(await verifyLogProof(readJson(docFile, 'document'), proof, o));
  }
  if (!opts.checkpoint) return usage('a consistency proof needs --checkpoint');
  let note: string;
  try {
    note = readFileSync(opts.checkpoint, 'utf8');
  } catch (e) {
    throw new Error(`cannot read checkpoint ${opts.checkpoint}: ${(e as Error).message}`);
  }
  return report(await verifyLogConsistency(note, proof, o));
}

/** Adds `verify` and `deploy` to the `fhir-bridge` CLI. Exit codes: 0 valid/deployed, 1 invalid/failed. */
export function registerAnchorCommands(program: Command): void {
  program
    .command('verify')
    .description(
      'verify against the chain: a bundle with its receipt (fhir-anchor-receipt/1), a resource, bundle or audit record with its ' +
        'log proof (fhir-anchor-proof/1), a checkpoint with a consistency proof to a later one (fhir-anchor-consistency/1), ' +
        'or a saved $everything page with its proofs',
    )
    .option('--bundle <file>', 'FHIR Bundle JSON as sent by the clinic (with --receipt or --proof)')
    .option('--document <file>', 'the resource, bundle or audit record JSON a log proof is for')
    .option('--receipt <file>', 'receipt or proof JSON (kind detected by its version field)')
    .option('--proof <file>', 'fhir-anchor-proof/1 or fhir-anchor-consistency/1 JSON (same as --receipt)')
    .option('--checkpoint <file>', 'a checkpoint note (with --proof: a consistency proof from it)')
    .option('--page <file>', 'a saved $everything page asked with _proofs=true or _proofs=page: every entry and its checkpoint')
    .option('--rpc <url>', 'JSON-RPC URL of the chain to check against', DEFAULT_VERIFY_RPC)
    .option('--contract <address>', 'AnchorRegistry address (log proofs: overrides the proof’s; consistency: required)')
    .option('--key <vkey>', 'the log’s verifier key (C2SP note key): also check the checkpoint signature')
    .option('--key-file <file>', 'file holding the log’s verifier key')
    .option('--witness <vkey>', 'a witness verifier key whose cosignature is required (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (opts: VerifyOptions) => {
      try {
        process.exitCode = await runVerify(opts);
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
