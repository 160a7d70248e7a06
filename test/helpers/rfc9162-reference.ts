/**
 * An independent implementation of the Merkle tree algorithms of RFC 9162 §2.1 (the same as RFC 6962 §2.1), written
 * from the RFC's text and nothing else, to check bridge/log against. It follows the recursive definitions literally
 * (k = the largest power of two smaller than n, lists split at k) and favours obviousness over speed: the only
 * concession is a memo of MTH per subtree, so that trees of 100,000 leaves stay usable in tests.
 *
 * Notation as in the RFC: D_n = {d(0), ..., d(n-1)} is the list of inputs, D[k1:k2] is the list
 * {d(k1), ..., d(k2-1)}, ":" is list concatenation. Numbers stay below 2^53, so plain arithmetic (no bit operators,
 * which JavaScript limits to 32 bits) implements LSB and right shifts.
 */
import { createHash } from 'node:crypto';

/** HASH of §2.1: SHA-256 over the concatenation of its arguments. */
export function HASH(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** §2.1.1: the hash of a leaf, SHA-256(0x00 || d(m)). */
export function leafHashOf(input: Uint8Array): Uint8Array {
  return HASH(LEAF_PREFIX, input);
}

/** §2.1.1: the hash of an interior node, SHA-256(0x01 || left || right). */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  return HASH(NODE_PREFIX, left, right);
}

/** §2.1.1: "let k be the largest power of two smaller than n (i.e., k < n <= 2k)". Defined for n > 1. */
export function largestPowerOfTwoSmallerThan(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`k is defined for n > 1, not ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A subtree named by the inputs it covers, D[start:end], with its MTH. */
export interface Node {
  start: number;
  end: number;
  hash: Uint8Array;
}

/**
 * The Merkle tree of one input list D_n. Subtrees are D[a:b] for 0 <= a <= b <= n; the functions below take the
 * bounds of the list they work on instead of copying it.
 */
export class ReferenceTree {
  private readonly leafHashes: Uint8Array[];
  private readonly memo = new Map<string, Uint8Array>();

  /** `inputs` are the d(i); or give their leaf hashes directly with ReferenceTree.fromLeafHashes. */
  constructor(inputs: readonly Uint8Array[]) {
    this.leafHashes = inputs.map(leafHashOf);
  }

  static fromLeafHashes(hashes: readonly Uint8Array[]): ReferenceTree {
    const t = new ReferenceTree([]);
    t.leafHashes.push(...hashes);
    return t;
  }

  get size(): number {
    return this.leafHashes.length;
  }

  leafHash(m: number): Uint8Array {
    this.checkList(m, m + 1);
    return this.leafHashes[m];
  }

  /**
   * §2.1.1 Merkle Tree Hash of D[a:b]:
   *   MTH({}) = SHA-256()
   *   MTH({d(0)}) = SHA-256(0x00 || d(0))
   *   MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) for n > 1, k the largest power of two smaller than n.
   */
  MTH(a = 0, b = this.size): Uint8Array {
    this.checkList(a, b);
    const n = b - a;
    if (n === 0) return HASH();
    if (n === 1) return this.leafHashes[a];
    const key = `${a}:${b}`;
    const known = this.memo.get(key);
    if (known) return known;
    const k = largestPowerOfTwoSmallerThan(n);
    const hash = nodeHashOf(this.MTH(a, a + k), this.MTH(a + k, b));
    this.memo.set(key, hash);
    return hash;
  }

  /**
   * §2.1.3.1 PATH(m, D_n), the inclusion proof for the (m+1)th input d(m), 0 <= m < n, as the subtrees whose MTH
   * form it, in order:
   *   PATH(0, {d(0)}) = {}
   *   PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k
   *   PATH(m, D_n) = PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k
   * Here D_n is D[a:b] and m counts from a; the subtrees name absolute input positions.
   */
  PATH(m: number, a = 0, b = this.size): Node[] {
    this.checkList(a, b);
    const n = b - a;
    if (!Number.isSafeInteger(m) || m < 0 || m >= n) throw new RangeError(`PATH needs 0 <= m < n (m ${m}, n ${n})`);
    if (n === 1) return [];
    const k = largestPowerOfTwoSmallerThan(n);
    if (m < k) return [...this.PATH(m, a, a + k), this.node(a + k, b)];
    return [...this.PATH(m - k, a + k, b), this.node(a, a + k)];
  }

  /**
   * §2.1.4.1 PROOF(m, D_n) = SUBPROOF(m, D_n, true), the consistency proof for the previous MTH(D[0:m]), 0 < m < n.
   */
  PROOF(m: number, n = this.size): Node[] {
    this.checkList(0, n);
    if (!Number.isSafeInteger(m) || m <= 0 || m >= n) throw new RangeError(`PROOF needs 0 < m < n (m ${m}, n ${n})`);
    return this.SUBPROOF(m, 0, n, true);
  }

  /**
   * §2.1.4.1 SUBPROOF(m, D_n, b) over D[a:c] (m counts from a; `known` is the RFC's boolean b: whether the subtree
   * D[0:m] is a complete subtree of the tree PROOF was asked for, so that its MTH is known to the verifier):
   *   SUBPROOF(m, D[m], true) = {}
   *   SUBPROOF(m, D[m], false) = {MTH(D[m])}
   *   for m < n, k the largest power of two smaller than n:
   *   if m <= k: SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
   *   if m > k:  SUBPROOF(m, D_n, b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
   */
  SUBPROOF(m: number, a: number, c: number, known: boolean): Node[] {
    this.checkList(a, c);
    const n = c - a;
    if (!Number.isSafeInteger(m) || m <= 0 || m > n) throw new RangeError(`SUBPROOF needs 0 < m <= n (m ${m}, n ${n})`);
    if (m === n) return known ? [] : [this.node(a, c)];
    const k = largestPowerOfTwoSmallerThan(n);
    if (m <= k) return [...this.SUBPROOF(m, a, a + k, known), this.node(a + k, c)];
    return [...this.SUBPROOF(m - k, a + k, c, false), this.node(a, a + k)];
  }

  private node(start: number, end: number): Node {
    return { start, end, hash: this.MTH(start, end) };
  }

  private checkList(a: number, b: number): void {
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || a > b || b > this.size) {
      throw new RangeError(`D[${a}:${b}] is not a sublist of D_${this.size}`);
    }
  }
}

/** LSB(x) of §2.1.3.2 and §2.1.4.2: whether the least significant bit of x is set. */
function LSB(x: number): boolean {
  return x % 2 === 1;
}

/** A right shift by one bit, for non-negative integers of any safe size. */
function shift(x: number): number {
  return Math.floor(x / 2);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * §2.1.3.2 Verifying an inclusion proof, step by step. `hash` is the leaf hash of the input (§2.1.1).
 * Returns the root it leads to, or null where the RFC says "fail the proof verification" before the comparison.
 */
export function rootFromInclusionProof(leafIndex: number, treeSize: number, hash: Uint8Array, inclusionPath: readonly Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0) return null;
  // 1. If leaf_index is greater than or equal to tree_size, then fail the proof verification.
  if (leafIndex >= treeSize) return null;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = leafIndex;
  let sn = treeSize - 1;
  // 3. Set r to hash.
  let r = hash;
  // 4. For each value p in the inclusion_path array:
  for (const p of inclusionPath) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return null;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (LSB(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHashOf(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if (!LSB(fn)) {
        while (!LSB(fn) && fn !== 0) {
          fn = shift(fn);
          sn = shift(sn);
        }
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = nodeHashOf(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = shift(fn);
    sn = shift(sn);
  }
  // 5. Compare sn to 0. ... If sn is equal to 0 and r and the root_hash are equal, the log has proven the inclusion.
  return sn === 0 ? r : null;
}

/** §2.1.3.2: true when the inclusion path leads from `hash` at `leafIndex` to `rootHash` of a tree of `treeSize`. */
export function verifyInclusionProof(
  leafIndex: number,
  treeSize: number,
  hash: Uint8Array,
  inclusionPath: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  const r = rootFromInclusionProof(leafIndex, treeSize, hash, inclusionPath);
  return r !== null && sameBytes(r, rootHash);
}

/**
 * §2.1.4.2 Verifying consistency proofs, step by step: first_hash for tree size `first`, second_hash for tree size
 * `second`, where 0 < first < second (the RFC defines the proof for those sizes only; anything else fails here).
 */
export function verifyConsistencyProof(
  first: number,
  second: number,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first <= 0 || first >= second) return false;
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (consistencyPath.length === 0) return false;
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isExactPowerOfTwo(first) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = first - 1;
  let sn = second - 1;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  if (LSB(fn)) {
    while (LSB(fn)) {
      fn = shift(fn);
      sn = shift(sn);
    }
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0];
  let sr = path[0];
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (LSB(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
      fr = nodeHashOf(c, fr);
      sr = nodeHashOf(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if (!LSB(fn)) {
        while (!LSB(fn) && fn !== 0) {
          fn = shift(fn);
          sn = shift(sn);
        }
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHashOf(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = shift(fn);
    sn = shift(sn);
  }
  // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
  return sameBytes(fr, firstHash) && sameBytes(sr, secondHash) && sn === 0;
}

function isExactPowerOfTwo(x: number): boolean {
  let p = 1;
  while (p < x) p *= 2;
  return p === x;
}

/** The hashes of a list of subtrees, in order: the proof as sent on the wire. */
export function hashesOf(nodes: readonly Node[]): Uint8Array[] {
  return nodes.map((n) => n.hash);
}
