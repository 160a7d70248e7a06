/**
 * Source of the Merkle worker, kept as a plain JavaScript string and started with `new Worker(src, { eval: true })`.
 * A string (not a .ts/.js file next to this module) runs the same under ts-jest, ts-node and compiled dist/,
 * and cannot be altered by coverage instrumentation the way `Function.prototype.toString` would be.
 *
 * Protocol (all messages carry the job id):
 *   in  {type:'begin', n} · {type:'leaves', offset, hex: string (bundleHash‖salt per leaf, no 0x)}* · {type:'end'|'abort'}
 *   out {type:'done', tree: Uint8Array((2n-1)*32), order: Int32Array (sorted position → input index)} | {type:'error', message}
 * Leaves arrive in slices so the main thread never holds the loop for long, and each slice is decoded and
 * hashed on arrival (overlapping with the main thread). Results are transferred, not copied.
 * The tree layout is OpenZeppelin's: 2n-1 nodes, leaves sorted by hash stored from the end, node = keccak(sorted pair).
 */
export const MERKLE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createKeccak } = require(workerData.hashWasmPath);
const ready = createKeccak(256);
const jobs = new Map();

function hashInto(h, src, out, outOff) {
  h.init(); h.update(src); out.set(h.digest('binary'), outOff);
}

// Bytewise comparison of two 32-byte nodes inside buf, as OpenZeppelin's compare() does.
function compare(buf, a, b) {
  for (let k = 0; k < 32; k++) {
    const d = buf[a * 32 + k] - buf[b * 32 + k];
    if (d !== 0) return d;
  }
  return 0;
}

// A slice arrives as one hex string (64 bytes per leaf, no 0x): one native decode instead of a clone per object.
function addLeaves(h, job, offset, hex) {
  const bytes = Buffer.from(hex, 'hex'); // stops at the first non-hex digit
  const count = hex.length / 128;
  if (bytes.length !== count * 64) {
    const bad = Math.floor(bytes.length / 64), field = bytes.length % 64 < 32 ? 'bundleHash' : 'salt';
    throw new Error('leaves[' + (offset + bad) + '].' + field + ' must be 0x + 64 hex digits');
  }
  const inner = new Uint8Array(32);
  for (let i = 0; i < count; i++) {
    hashInto(h, bytes.subarray(i * 64, i * 64 + 64), inner, 0);
    hashInto(h, inner, job.leafHashes, (offset + i) * 32);
  }
}

function finish(h, job) {
  const n = job.n, leafHashes = job.leafHashes;
  // Stable sort by hash (ties keep input order, like Array.prototype.sort in the OZ library).
  const sorted = Array.from({ length: n }, (_, i) => i).sort((a, b) => compare(leafHashes, a, b) || a - b);
  const order = Int32Array.from(sorted);
  const size = 2 * n - 1;
  const tree = new Uint8Array(size * 32);
  for (let i = 0; i < n; i++) tree.set(leafHashes.subarray(order[i] * 32, order[i] * 32 + 32), (size - 1 - i) * 32);
  const pair = new Uint8Array(64);
  for (let i = size - 1 - n; i >= 0; i--) {
    const l = 2 * i + 1, r = 2 * i + 2;
    const lo = compare(tree, l, r) <= 0 ? l : r, hi = lo === l ? r : l;
    pair.set(tree.subarray(lo * 32, lo * 32 + 32), 0);
    pair.set(tree.subarray(hi * 32, hi * 32 + 32), 32);
    hashInto(h, pair, tree, i * 32);
  }
  return { tree, order };
}

async function onMessage(msg) {
  const h = await ready;
  if (msg.type === 'begin') { jobs.set(msg.id, { n: msg.n, leafHashes: new Uint8Array(msg.n * 32), failed: false }); return; }
  if (msg.type === 'abort') { jobs.delete(msg.id); return; }
  const job = jobs.get(msg.id);
  if (!job || job.failed) { if (msg.type === 'end') jobs.delete(msg.id); return; }
  try {
    if (msg.type === 'leaves') { addLeaves(h, job, msg.offset, msg.hex); return; }
    jobs.delete(msg.id);
    const { tree, order } = finish(h, job);
    parentPort.postMessage({ id: msg.id, type: 'done', tree, order }, [tree.buffer, order.buffer]);
  } catch (e) {
    job.failed = true;
    if (msg.type === 'end') jobs.delete(msg.id);
    parentPort.postMessage({ id: msg.id, type: 'error', message: String((e && e.message) || e) });
  }
}

// Messages are handled strictly in order: each waits for the previous one.
let chain = Promise.resolve();
parentPort.on('message', (msg) => {
  chain = chain.then(() => onMessage(msg)).catch((e) => parentPort.postMessage({ id: msg.id, type: 'error', message: String((e && e.message) || e) }));
});
`;
