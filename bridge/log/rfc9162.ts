/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0), with SHA-256: leaf and node hashes, which subtrees
 * make up inclusion and consistency proofs, and the verification algorithms of §2.1.3.2 and §2.1.4.2. Pure.
 *
 * Proof generation is split in two so proofs can be served from stored tiles: `inclusionRanges` / `consistencyRanges`
 * name the subtrees [start, end) whose hashes (MTH) form the proof, in proof order; tiles.ts computes those hashes.
 * Sizes are plain numbers (exact up to 2^53); arithmetic avoids 32-bit bit operators for that reason.
 */
import { equal } from './bytes';
import { sha256 } from './sha256';

export interface Range {
  start: number;
  end: number;
}

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

/** MTH({}) = SHA-256() (§2.1.1). */
export const EMPTY_ROOT: Uint8Array = sha256();

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (entry: Uint8Array): Uint8Array => sha256(LEAF, entry);

/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(NODE, left, right);

/** The largest power of two smaller than n (n > 1): the k of §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPow2 = (n: number): boolean => n > 0 && splitPoint(n + 1) === n;
const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** MTH over leaf hashes (for tests and small trees; stored trees use tiles.ts). */
export function rootOf(leafHashes: readonly Uint8Array[], start = 0, end = leafHashes.length): Uint8Array {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[start];
  const k = splitPoint(n);
  return nodeHash(rootOf(leafHashes, start, start + k), rootOf(leafHashes, start + k, end));
}

function checkSize(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
}

/** PATH(m, D[n]) of §2.1.3.1 as subtree ranges, from the leaf's sibling up to the root's child. */
export function inclusionRanges(index: number, size: number): Range[] {
  checkSize(index, size);
  const out: Range[] = [];
  const path = (m: number, start: number, end: number): void => {
    if (end - start <= 1) return;
    const k = splitPoint(end - start);
    if (m < start + k) {
      path(m, start, start + k);
      out.push({ start: start + k, end });
    } else {
      path(m, start + k, end);
      out.push({ start, end: start + k });
    }
  };
  path(index, 0, size);
  return out;
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of §2.1.4.1 as subtree ranges (empty when m is 0 or m = n). */
export function consistencyRanges(m: number, n: number): Range[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const out: Range[] = [];
  const sub = (mm: number, start: number, end: number, whole: boolean): void => {
    if (start + mm === end) {
      if (!whole) out.push({ start, end });
      return;
    }
    const k = splitPoint(end - start);
    if (mm <= k) {
      sub(mm, start, start + k, whole);
      out.push({ start: start + k, end });
    } else {
      sub(mm - k, start + k, end, false);
      out.push({ start, end: start + k });
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** The root an inclusion proof leads to (§2.1.3.2 steps 1–4), or null when the proof has the wrong shape. */
export function rootFromInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** §2.1.3.2: the proof leads from the leaf hash at `index` to `root` in a tree of `size`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusion(index, size, leaf, proof);
  return r !== null && equal(r, root);
}

/** §2.1.4.2: the tree of size m with root rootM is a prefix of the tree of size n with root rootN. */
export function verifyConsistency(m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  // Sizes 0 and m = n have empty proofs (every tree extends the empty one, whose root is MTH({}); a tree is
  // consistent only with itself).
  if (m === 0) return proof.length === 0 && equal(rootM, EMPTY_ROOT) && (n > 0 || equal(rootN, EMPTY_ROOT));
  if (m === n) return proof.length === 0 && equal(rootM, rootN);
  if (proof.length === 0) return false;
  const path = isPow2(m) ? [rootM, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return equal(fr, rootM) && equal(sr, rootN) && sn === 0;
}

/** Splits [start, end) into the complete, aligned subtrees its MTH is built from (RFC 9162's recursion), left to right. */
export function completeSubtrees(start: number, end: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  const walk = (s: number, e: number): void => {
    const n = e - s;
    if (isPow2(n) && s % n === 0) {
      out.push({ level: Math.log2(n), index: s / n });
      return;
    }
    const k = splitPoint(n);
    walk(s, s + k);
    walk(s + k, e);
  };
  if (end > start) walk(start, end);
  return out;
}

/** Combines the hashes of completeSubtrees(start, end), in order, into MTH(D[start:end]). */
export function combineSubtrees(start: number, end: number, hashes: readonly Uint8Array[]): Uint8Array {
  let i = 0;
  const walk = (s: number, e: number): Uint8Array => {
    const n = e - s;
    if (isPow2(n) && s % n === 0) return hashes[i++];
    const k = splitPoint(n);
    const left = walk(s, s + k);
    return nodeHash(left, walk(s + k, e));
  };
  return end > start ? walk(start, end) : EMPTY_ROOT;
}

/**
 * PATH(m, D[n]) of §2.1.3.1 for many leaves at once, as text: one descent from the root into only the subtrees that
 * hold a wanted leaf, so a sibling shared by many leaves (every upper one, for a page of neighbours) is visited once
 * and its line is shared, not repeated, by the strings built (`line(range)` + the path above: a rope, not a copy).
 * `indices` must be sorted ascending and unique; `line` is called once per distinct sibling, in a fixed order (the
 * same for the same arguments), so a first pass may collect the ranges and a second emit their text.
 */
export function inclusionPaths(indices: readonly number[], size: number, line: (sibling: Range) => string): string[] {
  const out: string[] = new Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    checkSize(indices[i], size);
    if (i && indices[i] <= indices[i - 1]) throw new RangeError('inclusionPaths: indices must be sorted and unique');
  }
  const walk = (start: number, end: number, lo: number, hi: number, above: string): void => {
    if (end - start <= 1) {
      for (let j = lo; j < hi; j++) out[j] = above;
      return;
    }
    const mid = start + splitPoint(end - start);
    let p = lo;
    while (p < hi && indices[p] < mid) p++;
    if (p > lo) walk(start, mid, lo, p, line({ start: mid, end }) + above);
    if (p < hi) walk(mid, end, p, hi, line({ start, end: mid }) + above);
  };
  if (indices.length) walk(0, size, 0, indices.length, '');
  return out;
}
