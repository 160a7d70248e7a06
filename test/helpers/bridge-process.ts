import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './anchor/bundles';

const CLI = path.resolve(__dirname, '../../bridge/cli.ts');
const ROOT = path.resolve(__dirname, '../..');

/** The `fhir-bridge` command from source, as `node bin/fhir-bridge.js` runs it from dist (no build needed). */
function cliArgs(args: string[]): string[] {
  return ['-r', 'ts-node/register/transpile-only', CLI, ...args];
}

/**
 * Environment of a bridge on its embedded defaults under `dataDir`: free ports, quick batches, no DATABASE_URL (the
 * point is the embedded PostgreSQL, also when the suite runs against DATABASE_URL).
 */
export function embeddedEnv(dataDir: string, pgPort: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    CHAIN_PORT: '0',
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'warn',
    BATCH_MAX_WAIT_MS: '200',
    BATCH_MAX_BUNDLES: '4',
    INGEST_WORKERS: '0',
    TS_NODE_TRANSPILE_ONLY: 'true',
    ...extra,
  };
  delete env.DATABASE_URL;
  return env;
}

export interface BridgeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * Starts `fhir-bridge start` in its own process group (so a test can SIGKILL the whole group) and waits for the
 * banner with its URL; rejects with the output if it exits first.
 */
export async function startBridgeProcess(env: NodeJS.ProcessEnv): Promise<BridgeProcess> {
  const child = spawn(process.execPath, cliArgs(['start']), { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  let ended: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve((ended = code ?? signal ?? -1))));
  const url = await waitFor(
    async () => {
      if (ended !== undefined) throw new Error(`fhir-bridge start exited (${ended}):\n${out}`);
      return /listening on (http:\/\/\S+)/.exec(out)?.[1];
    },
    180_000,
    'the bridge banner',
  );
  return { child, url, output: () => out, exited };
}

/** Runs one `fhir-bridge` command to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(args), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
