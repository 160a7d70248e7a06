/**
 * `fhir-bridge monitor` and `fhir-bridge witness`: the verifiable log's outside observers. Exit codes: 0 ok,
 * 1 an inconsistency (the message names fork, shrink or consistency) or a failure, 2 usage.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Command } from 'commander';
import { latestCheckpointOnChain } from './anchor/checkpoint-view';
import { ed25519PublicKey } from './log/ed25519';
import { monitorOnce, MonitorError, type ChainLog, type MonitorState } from './log/monitor';
import { parseVkey, vkey, SIG_COSIGNATURE_V1, type VerifierKey } from './log/note';
import { remoteLog } from './log/remote';
import { addCheckpoint, type WitnessState } from './log/witness';
import { loadOrCreateLogKey } from './log/key';

function readState<T>(file: string | undefined): T | null {
  if (!file || !existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Written to a temporary file then renamed: a crash never leaves half a state. */
function writeState(file: string | undefined, state: unknown): void {
  if (!file) return;
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function keyOf(text: string | undefined, file: string | undefined): VerifierKey | undefined {
  const t = text ?? (file ? readFileSync(file, 'utf8').trim() : undefined);
  return t ? parseVkey(t) : undefined;
}

interface MonitorOptions {
  log: string;
  rpc?: string;
  contract?: string;
  key?: string;
  keyFile?: string;
  state?: string;
  once?: boolean;
  intervalMs: string;
}

async function runMonitor(opts: MonitorOptions): Promise<number> {
  if (!!opts.rpc !== !!opts.contract) {
    console.error('fhir-bridge monitor: --rpc and --contract go together');
    return 2;
  }
  const interval = Number(opts.intervalMs);
  if (!Number.isInteger(interval) || interval < 100) {
    console.error('fhir-bridge monitor: --interval-ms must be a whole number ≥ 100');
    return 2;
  }
  let key: VerifierKey | undefined;
  try {
    key = keyOf(opts.key, opts.keyFile);
  } catch (e) {
    console.error(`fhir-bridge monitor: bad --key: ${(e as Error).message}`);
    return 2;
  }
  const log = remoteLog(opts.log);
  const chain: ChainLog | undefined =
    opts.rpc && opts.contract ? { latestCheckpoint: (logId) => latestCheckpointOnChain(opts.rpc as string, opts.contract as string, logId) } : undefined;
  let state = readState<MonitorState>(opts.state);
  for (;;) {
    try {
      const step = await monitorOnce(log, state, { key, chain });
      for (const l of step.lines) console.log(`monitor: ${l}`);
      state = step.state;
      writeState(opts.state, state);
    } catch (e) {
      if (e instanceof MonitorError) {
        console.error(`monitor: ${e.reason.toUpperCase()}: ${e.message}`);
        return 1;
      }
      console.error(`monitor: cannot check the log: ${(e as Error).message}`);
      if (opts.once) return 1;
    }
    if (opts.once) return 0;
    await new Promise((r) => setTimeout(r, interval));
  }
}

interface WitnessOptions {
  port: string;
  keyFile: string;
  logOrigin: string;
  logKey: string;
  name?: string;
  state?: string;
}

/** Starts the witness HTTP server (127.0.0.1); resolves with it once listening. */
export async function startWitness(opts: WitnessOptions): Promise<{ server: http.Server; url: string; vkey: string }> {
  const seed = loadOrCreateLogKey(opts.keyFile).seed;
  const name = opts.name ?? `witness/${Buffer.from(ed25519PublicKey(seed)).toString('hex').slice(0, 16)}`;
  const witnessKey = { name, seed };
  const logKey = parseVkey(opts.logKey);
  let state = readState<WitnessState>(opts.state);
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => void res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') return send(404, 'text/plain; charset=utf-8', 'not found\n');
    let body = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else body += c;
    });
    req.on('end', () => {
      // Synchronous from check to persist: requests cannot interleave (tlog-witness: atomic update).
      const a = addCheckpoint(body, { origin: opts.logOrigin, logKey, witnessKey, state, now: () => Math.floor(Date.now() / 1000) });
      if (a.state) {
        writeState(opts.state, a.state);
        state = a.state;
      }
      send(a.status, a.contentType, a.body);
    });
  });
  await new Promise<void>((r) => server.listen(Number(opts.port), '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, vkey: vkey(name, ed25519PublicKey(seed), SIG_COSIGNATURE_V1) };
}

export function registerLogCommands(program: Command): void {
  program
    .command('monitor')
    .description('follow a bridge’s log (and its anchors on chain): fail loudly on a fork, a shrink or an inconsistency')
    .requiredOption('--log <url>', 'bridge base URL (its /log is read)')
    .option('--rpc <url>', 'JSON-RPC URL of the chain the log is anchored on')
    .option('--contract <address>', 'AnchorRegistry address (with --rpc)')
    .option('--key <vkey>', 'the log’s verifier key: every checkpoint must be signed by it')
    .option('--key-file <file>', 'file holding the log’s verifier key')
    .option('--state <file>', 'JSON state kept across runs (last size and root)')
    .option('--once', 'check once and exit')
    .option('--interval-ms <n>', 'between checks', '10000')
    .action(async (opts: MonitorOptions) => {
      process.exitCode = await runMonitor(opts);
    });

  program
    .command('witness')
    .description('cosign a log’s checkpoints after checking their consistency (C2SP tlog-witness add-checkpoint)')
    .requiredOption('--port <port>', 'port on 127.0.0.1')
    .requiredOption('--key-file <file>', 'the witness’s Ed25519 key (PKCS#8 PEM; created when absent)')
    .requiredOption('--log-origin <origin>', 'the origin line of the log it witnesses')
    .requiredOption('--log-key <vkey>', 'the log’s verifier key')
    .option('--name <name>', 'the witness key name (default witness/<key hex>)')
    .option('--state <file>', 'JSON state: the last cosigned size and root')
    .action(async (opts: WitnessOptions) => {
      try {
        const w = await startWitness(opts);
        console.log(`witness listening on ${w.url}; verifier key ${w.vkey}`);
      } catch (e) {
        console.error(`fhir-bridge witness: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
}
