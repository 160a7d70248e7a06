import { Worker } from 'node:worker_threads';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { concat, keccak256 } from 'ethers';
import { MERKLE_WORKER_SOURCE } from './merkle-worker-source';

/** One tree leaf: a bundle hash and its salt, each `0x` + 64 hex digits. */
export interface MerkleLeaf {
  bundleHash: string;
  salt: string;
}

/** A built tree: root and one proof per input leaf, in input order (OpenZeppelin StandardMerkleTree-compatible). */
export interface MerkleTreeResult {
  root: string;
  proofs: string[][];
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
/** Leaves handled per main-thread slice, so no single task holds the event loop for long. */
const SLICE = 4096;

function assertBytes32(value: string, what: string): void {
  if (typeof value !== 'string' || !BYTES32.test(value)) throw new Error(`${what} must be 0x + 64 hex digits`);
}

/** StandardMerkleTree leaf of `(bytes32 bundleHash, bytes32 salt)`: keccak256(keccak256(abi.encode(h, s))). */
export function leafHash(bundleHash: string, salt: string): string {
  assertBytes32(bundleHash, 'bundleHash');
  assertBytes32(salt, 'salt');
  return keccak256(keccak256(concat([bundleHash, salt])));
}

/** OpenZeppelin node hash: keccak256 of the two children in ascending byte order. */
function nodeHash(a: string, b: string): string {
  const [x, y] = a.toLowerCase() <= b.toLowerCase() ? [a, b] : [b, a];
  return keccak256(concat([x, y]));
}

/** True when `proof` leads from `leaf` (a leaf hash, see {@link leafHash}) to `root`; same rule as MerkleProof.verify. */
export function verifyProof(leaf: string, proof: readonly string[], root: string): boolean {
  if (!BYTES32.test(leaf) || !BYTES32.test(root) || !proof.every((p) => BYTES32.test(p))) return false;
  return proof.reduce(nodeHash, leaf).toLowerCase() === root.toLowerCase();
}

interface WorkerResult {
  tree: Uint8Array;
  order: Int32Array;
}

interface Job {
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

let worker: Worker | undefined;
let nextId = 1;
const jobs = new Map<number, Job>();

function failAll(err: Error): void {
  for (const job of jobs.values()) job.reject(err);
  jobs.clear();
  worker = undefined;
}

/** One long-lived worker; unref'd while idle so it never keeps the process alive. */
function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(MERKLE_WORKER_SOURCE, {
    eval: true,
    // Resolved here, not in the worker: an eval worker resolves modules from the cwd, not from this file.
    workerData: { hashWasmPath: require.resolve('hash-wasm') },
  });
  w.on('message', (msg: { id: number; type: string; tree?: Uint8Array; order?: Int32Array; message?: string }) => {
    const job = jobs.get(msg.id);
    if (!job) return;
    jobs.delete(msg.id);
    if (jobs.size === 0) w.unref();
    if (msg.type === 'done') job.resolve({ tree: msg.tree as Uint8Array, order: msg.order as Int32Array });
    else job.reject(new Error(`merkle worker: ${msg.message}`));
  });
  w.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`merkle worker exited with code ${code}`));
  });
  w.unref();
  worker = w;
  return w;
}

/** Stops the Merkle worker (tests, graceful shutdown); the next build starts a new one. */
export async function closeMerkleWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  for (const job of jobs.values()) job.reject(new Error('merkle worker closed'));
  jobs.clear();
  if (w) await w.terminate();
}

function isHex32(v: unknown): v is string {
  return typeof v === 'string' && v.length === 66 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 32) === 120;
}

/** Leaves [start, end) as one hex string (bundleHash‖salt, no 0x); shape checked here, hex digits in the worker. */
function sliceHex(leaves: readonly MerkleLeaf[], start: number, end: number): string {
  const parts = new Array<string>(2 * (end - start));
  for (let i = start; i < end; i++) {
    const { bundleHash, salt } = leaves[i] ?? ({} as MerkleLeaf);
    if (!isHex32(bundleHash)) assertBytes32(bundleHash, `leaves[${i}].bundleHash`);
    if (!isHex32(salt)) assertBytes32(salt, `leaves[${i}].salt`);
    parts[2 * (i - start)] = bundleHash.slice(2);
    parts[2 * (i - start) + 1] = salt.slice(2);
  }
  return parts.join('');
}

/** Hex strings for all tree nodes: one native conversion per slice, then cheap substrings. */
async function nodeHexes(tree: Uint8Array): Promise<string[]> {
  const size = tree.length / 32;
  const nodes = new Array<string>(size);
  const buf = Buffer.from(tree.buffer, tree.byteOffset, tree.byteLength);
  for (let start = 0; start < size; start += 4 * SLICE) {
    if (start > 0) await yieldToLoop();
    const end = Math.min(size, start + 4 * SLICE);
    const hex = buf.toString('hex', start * 32, end * 32);
    for (let i = start; i < end; i++) nodes[i] = '0x' + hex.substring((i - start) * 64, (i - start + 1) * 64);
  }
  return nodes;
}

/**
 * Builds the StandardMerkleTree of `leaves` (same root and proofs as
 * `StandardMerkleTree.of(leaves.map(l => [l.bundleHash, l.salt]), ['bytes32','bytes32'])`).
 * Parsing and hashing run in a worker thread (hash-wasm keccak); the main thread only posts input and
 * assembles proofs in slices, so the event loop keeps turning during large builds.
 */
export async function buildTree(leaves: readonly MerkleLeaf[]): Promise<MerkleTreeResult> {
  if (leaves.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const id = nextId++;
  const w = getWorker();
  const done = new Promise<WorkerResult>((resolve, reject) => jobs.set(id, { resolve, reject }));
  done.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  w.ref();
  w.postMessage({ id, type: 'begin', n: leaves.length });
  try {
    for (let start = 0; start < leaves.length; start += SLICE) {
      if (start > 0) await yieldToLoop();
      w.postMessage({ id, type: 'leaves', offset: start, hex: sliceHex(leaves, start, Math.min(leaves.length, start + SLICE)) });
    }
  } catch (e) {
    jobs.delete(id);
    w.postMessage({ id, type: 'abort' });
    if (jobs.size === 0) w.unref();
    throw e;
  }
  w.postMessage({ id, type: 'end' });
  const { tree, order } = await done;
  const nodes = await nodeHexes(tree);
  const n = leaves.length;
  const proofs = new Array<string[]>(n);
  for (let start = 0; start < n; start += SLICE) {
    if (start > 0) await yieldToLoop();
    const end = Math.min(n, start + SLICE);
    for (let pos = start; pos < end; pos++) {
      const proof: string[] = [];
      // OZ getProof: walk from the leaf's tree index to the root, collecting siblings.
      for (let i = nodes.length - 1 - pos; i > 0; i = (i - 1) >> 1) proof.push(nodes[i % 2 === 1 ? i + 1 : i - 1]);
      proofs[order[pos]] = proof;
    }
  }
  return { root: nodes[0], proofs };
}
