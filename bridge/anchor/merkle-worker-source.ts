/**
 * Source of the Merkle worker, kept as a plain JavaScript string and started with `new Worker(src, { eval: true })`.
 * A string (not a .ts/.js file next to this module) runs the same under ts-jest, ts-node and compiled dist/,
 * and cannot be altered by coverage instrumentation the way `Function.prototype.toString` would be.
 *
 * Protocol: in {id, leaves: ArrayBuffer(n*64)} → out {id, type:'nodes', offset, nodes: hex[]}* then
 * {id, type:'done', order: Int32Array (sorted position → input index)} or {id, type:'error', message}.
 * The tree layout is OpenZeppelin's: array of 2n-1 nodes, leaves sorted by hash stored from the end.
 */
export const MERKLE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createKeccak } = require(workerData.hashWasmPath);
const CHUNK = 32768;
const ready = createKeccak(256);

function hashInto(h, src, out, outOff) {
  h.init(); h.update(src); out.set(h.digest('binary'), outOff);
}

function compare(buf, a, b) {
  // Bytewise comparison of two 32-byte hashes inside buf, as OpenZeppelin's compare() does.
  for (let k = 0; k < 32; k++) {
    const d = buf[a * 32 + k] - buf[b * 32 + k];
    if (d !== 0) return d;
  }
  return 0;
}

async function build(id, leavesAb) {
  const h = await ready;
  const leaves = new Uint8Array(leavesAb);
  const n = leaves.length / 64;
  const inner = new Uint8Array(32);
  const leafHashes = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    hashInto(h, leaves.subarray(i * 64, i * 64 + 64), inner, 0);
    hashInto(h, inner, leafHashes, i * 32);
  }
  // Stable sort by hash (ties keep input order, like Array.prototype.sort in the OZ library).
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const sorted = Array.from(order).sort((a, b) => compare(leafHashes, a, b) || a - b);
  for (let i = 0; i < n; i++) order[i] = sorted[i];
  const size = 2 * n - 1;
  const tree = new Uint8Array(size * 32);
  for (let i = 0; i < n; i++) tree.set(leafHashes.subarray(order[i] * 32, order[i] * 32 + 32), (size - 1 - i) * 32);
  const pair = new Uint8Array(64);
  for (let i = size - 1 - n; i >= 0; i--) {
    const l = 2 * i + 1, r = 2 * i + 2;
    const lFirst = compare(tree, l, r) <= 0; // node hash = keccak(sorted pair)
    pair.set(tree.subarray((lFirst ? l : r) * 32, (lFirst ? l : r) * 32 + 32), 0);
    pair.set(tree.subarray((lFirst ? r : l) * 32, (lFirst ? r : l) * 32 + 32), 32);
    hashInto(h, pair, tree, i * 32);
  }
  const buf = Buffer.from(tree.buffer, tree.byteOffset, tree.byteLength);
  for (let off = 0; off < size; off += CHUNK) {
    const end = Math.min(size, off + CHUNK);
    const nodes = new Array(end - off);
    for (let i = off; i < end; i++) nodes[i - off] = '0x' + buf.toString('hex', i * 32, i * 32 + 32);
    parentPort.postMessage({ id, type: 'nodes', offset: off, nodes });
  }
  parentPort.postMessage({ id, type: 'done', order }, [order.buffer]);
}

parentPort.on('message', (msg) => {
  build(msg.id, msg.leaves).catch((e) => parentPort.postMessage({ id: msg.id, type: 'error', message: String(e && e.message || e) }));
});
`;
