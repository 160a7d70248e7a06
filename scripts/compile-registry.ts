/**
 * Compiles contracts/AnchorRegistry.sol with the solc npm package (offline, same settings as hardhat.config.ts) and
 * writes the ABI + bytecode the bridge loads at runtime, so `node dist/...` needs neither Hardhat nor a compile step.
 * Run: `npx ts-node --transpile-only scripts/compile-registry.ts` (writes bridge/anchor/AnchorRegistry.artifact.json).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import compiler from '../contracts/compiler.json';

export const ARTIFACT_PATH = path.join(__dirname, '..', 'bridge', 'anchor', 'AnchorRegistry.artifact.json');
const SOURCE = 'contracts/AnchorRegistry.sol';
const ROOT = path.join(__dirname, '..');

/** The runtime artifact: what the bridge needs to deploy and call the registry. */
export interface RegistryArtifact {
  contractName: 'AnchorRegistry';
  sourceName: string;
  compiler: { version: string; settings: unknown };
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Fresh compile of the registry; throws on any compiler error. */
export function compileRegistry(): RegistryArtifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { version(): string; compile(input: string, cb: object): string };
  if (!solc.version().startsWith(compiler.version)) throw new Error(`solc ${solc.version()} != ${compiler.version}`);
  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content: readFileSync(path.join(ROOT, SOURCE), 'utf8') } },
    settings: { ...compiler.settings, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
  };
  const findImports = (p: string): { contents: string } | { error: string } => {
    try {
      return { contents: readFileSync(require.resolve(p, { paths: [ROOT] }), 'utf8') };
    } catch {
      return { error: `not found: ${p}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts[SOURCE].AnchorRegistry;
  return {
    contractName: 'AnchorRegistry',
    sourceName: SOURCE,
    compiler: { version: compiler.longVersion, settings: compiler.settings },
    abi: c.abi,
    bytecode: '0x' + c.evm.bytecode.object,
    deployedBytecode: '0x' + c.evm.deployedBytecode.object,
  };
}

/** Stable JSON text of an artifact (what is committed). */
export function artifactJson(a: RegistryArtifact): string {
  return JSON.stringify(a, null, 2) + '\n';
}

if (require.main === module) {
  writeFileSync(ARTIFACT_PATH, artifactJson(compileRegistry()));
  console.log(`wrote ${path.relative(process.cwd(), ARTIFACT_PATH)}`);
}
