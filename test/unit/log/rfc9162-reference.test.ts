/**
 * The RFC 9162 reference implementation (test/helpers/rfc9162-reference.ts) on its own: published known-answer
 * vectors, and for every tree of 1..64 leaves, that each inclusion and consistency proof it generates verifies with its
 * own verifier, and that a changed bit, a dropped or extra element, or other sizes fail unless the RFC's algorithm
 * cannot tell them apart (same proof shape).
 */
import {
  HASH,
  Node,
  ReferenceTree,
  hashesOf,
  largestPowerOfTwoSmallerThan,
  leafHashOf,
  nodeHashOf,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../../helpers/rfc9162-reference';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

// The 8 inputs of the RFC 6962 test vectors used by Certificate Transparency implementations (Google's C++ and Go
// merkle tree tests); MTH of the first n of them for n = 1..8.
const CT_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Inclusion paths and consistency proofs of the same test vectors: [index or old size, tree size, hashes].
const CT_PATHS: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CT_CONSISTENCY: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];

const ct = new ReferenceTree(CT_INPUTS.map(bytes));

/** Distinct pseudo-random inputs, the same on every run. */
function inputs(n: number, seed = 'reference'): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => HASH(Buffer.from(`${seed}/${i}`)));
}

/** A deterministic pseudo-random integer in [0, bound). */
function pick(bound: number, ...salt: number[]): number {
  return HASH(Buffer.from(`pick/${salt.join('/')}`)).reduce((acc, b) => (acc * 256 + b) % 2 ** 40, 0) % bound;
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

function log2ceil(n: number): number {
  let l = 0;
  while (2 ** l < n) l++;
  return l;
}

/** Which side each PATH element sits on: 'L' left of d(m) (hashed first), 'R' right of it. */
function inclusionShape(m: number, path: Node[]): string {
  return path.map((p) => (p.end <= m ? 'L' : 'R')).join('');
}

/**
 * What the §2.1.4.2 verifier does with a PROOF(m, n): whether the proof starts with the old tree's node holding
 * d(m-1) (it does not when m is a power of two, when the verifier prepends first_hash), then for each later element
 * 'L' (inside the old tree: enters fr and sr) or 'R' (new leaves only: enters sr).
 */
function consistencyShape(m: number, proof: Node[]): string {
  const startsWithOldNode = proof.length > 0 && proof[0].start < m && proof[0].end === m;
  const rest = startsWithOldNode ? proof.slice(1) : proof;
  return (startsWithOldNode ? 'f' : 'p') + rest.map((p) => (p.start < m ? 'L' : 'R')).join('');
}

const SIZES = Array.from({ length: 64 }, (_, i) => i + 1);
const big = new ReferenceTree(inputs(130));

describe('RFC 9162 §2.1.1 Merkle Tree Hash', () => {
  it('MTH({}) = SHA-256() = e3b0c442…', () => {
    expect(hex(new ReferenceTree([]).MTH())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('leaf and node hashes use the 0x00 and 0x01 prefixes', () => {
    expect(hex(leafHashOf(new Uint8Array()))).toBe(hex(HASH(Uint8Array.of(0))));
    expect(hex(ct.leafHash(0))).toBe(CT_ROOTS[0]);
    expect(hex(nodeHashOf(ct.leafHash(0), ct.leafHash(1)))).toBe(CT_ROOTS[1]);
  });

  it.each(CT_ROOTS.map((root, i) => [i + 1, root]))('the CT test vector root of the first %i inputs', (n, root) => {
    expect(hex(ct.MTH(0, n as number))).toBe(root);
  });

  it('k is the largest power of two smaller than n (k < n <= 2k)', () => {
    for (let n = 2; n <= 1100; n++) {
      const k = largestPowerOfTwoSmallerThan(n);
      expect(k < n && n <= 2 * k && Number.isInteger(Math.log2(k))).toBe(true);
    }
    expect(largestPowerOfTwoSmallerThan(2 ** 40 + 1)).toBe(2 ** 40);
    expect(() => largestPowerOfTwoSmallerThan(1)).toThrow(RangeError);
  });

  it('equals the bottom-up form (pair each level, carry an odd last node up) for 1..130 leaves', () => {
    for (let n = 1; n <= 130; n++) {
      let level = Array.from({ length: n }, (_, i) => big.leafHash(i));
      while (level.length > 1) {
        const up: Uint8Array[] = [];
        for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHashOf(level[i], level[i + 1]));
        if (level.length % 2 === 1) up.push(level[level.length - 1]);
        level = up;
      }
      expect(hex(big.MTH(0, n))).toBe(hex(level[0]));
    }
  });

  it('fromLeafHashes builds the same tree as the inputs', () => {
    const t = ReferenceTree.fromLeafHashes(Array.from({ length: 8 }, (_, i) => ct.leafHash(i)));
    expect(hex(t.MTH())).toBe(CT_ROOTS[7]);
  });

  it('refuses lists outside the tree', () => {
    expect(() => ct.MTH(0, 9)).toThrow(RangeError);
    expect(() => ct.MTH(3, 2)).toThrow(RangeError);
    expect(() => ct.leafHash(8)).toThrow(RangeError);
  });
});

describe('RFC 9162 §2.1.3 inclusion proofs', () => {
  it.each(CT_PATHS)('CT test vector: PATH(%i, D_%i)', (m, n, expected) => {
    const path = ct.PATH(m, 0, n);
    expect(hashesOf(path).map(hex)).toEqual(expected);
    expect(verifyInclusionProof(m, n, ct.leafHash(m), expected.map(bytes), bytes(CT_ROOTS[n - 1]))).toBe(true);
  });

  it('refuses PATH for m outside 0 <= m < n', () => {
    expect(() => ct.PATH(8)).toThrow(RangeError);
    expect(() => ct.PATH(-1)).toThrow(RangeError);
    expect(() => new ReferenceTree([]).PATH(0)).toThrow(RangeError);
  });

  it('every proof of every leaf in trees of 1..64 leaves verifies, at most ceil(log2 n) long', () => {
    let checked = 0;
    for (const n of SIZES) {
      const root = big.MTH(0, n);
      for (let m = 0; m < n; m++) {
        const path = big.PATH(m, 0, n);
        expect(path.length).toBeLessThanOrEqual(log2ceil(n));
        expect(verifyInclusionProof(m, n, big.leafHash(m), hashesOf(path), root)).toBe(true);
        expect(hex(rootFromInclusionProof(m, n, big.leafHash(m), hashesOf(path))!)).toBe(hex(root));
        checked++;
      }
    }
    expect(checked).toBe((64 * 65) / 2);
  });

  it('any flipped bit in the leaf, a proof element or the root fails (every bit for n <= 8, one per hash above)', () => {
    const accepted: string[] = [];
    for (const n of SIZES) {
      const root = big.MTH(0, n);
      for (let m = 0; m < n; m++) {
        const proof = hashesOf(big.PATH(m, 0, n));
        const leaf = big.leafHash(m);
        const bits = n <= 8 ? Array.from({ length: 256 }, (_, b) => b) : [pick(256, n, m)];
        for (const bit of bits) {
          if (verifyInclusionProof(m, n, flipBit(leaf, bit), proof, root)) accepted.push(`${m}/${n} leaf bit ${bit}`);
          if (verifyInclusionProof(m, n, leaf, proof, flipBit(root, bit))) accepted.push(`${m}/${n} root bit ${bit}`);
          proof.forEach((_, i) => {
            const bad = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            if (verifyInclusionProof(m, n, leaf, bad, root)) accepted.push(`${m}/${n} element ${i} bit ${bit}`);
          });
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('a dropped, extra, duplicated or reordered element fails', () => {
    for (const n of SIZES) {
      const root = big.MTH(0, n);
      for (let m = 0; m < n; m++) {
        const proof = hashesOf(big.PATH(m, 0, n));
        const leaf = big.leafHash(m);
        const variants: Uint8Array[][] = [
          [...proof, root],
          [...proof, leaf],
          [HASH(Buffer.from('extra')), ...proof],
        ];
        proof.forEach((_, i) => variants.push(proof.filter((__, j) => j !== i)));
        if (proof.length > 0) variants.push([...proof, proof[proof.length - 1]]);
        if (proof.length > 1) variants.push([...proof].reverse());
        for (const v of variants) expect(verifyInclusionProof(m, n, leaf, v, root)).toBe(false);
      }
    }
  });

  it('another index or size fails unless its path has the same shape (the RFC path does not commit to them)', () => {
    const shapes = new ReferenceTree(inputs(160, 'shape'));
    let accepted = 0;
    let refused = 0;
    for (const n of SIZES) {
      const root = big.MTH(0, n);
      for (let m = 0; m < n; m++) {
        const path = big.PATH(m, 0, n);
        const shape = inclusionShape(m, path);
        const others: [number, number][] = [
          [m - 1, n],
          [m + 1, n],
          [pick(n, n, m, 1), n],
          [m, n - 1],
          [m, n + 1],
          [m, 2 * n],
          [m, n + 1 + pick(64, n, m, 2)],
          [m + 1, n + 1],
        ];
        for (const [i, s] of others) {
          if (i === m && s === n) continue;
          const ok = verifyInclusionProof(i, s, big.leafHash(m), hashesOf(path), root);
          const same = i >= 0 && i < s && inclusionShape(i, shapes.PATH(i, 0, s)) === shape;
          expect({ m, n, i, s, ok }).toEqual({ m, n, i, s, ok: same });
          if (ok) accepted++;
          else refused++;
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(accepted);
  });

  it('refuses an index at or past the tree size, a negative index, and a non-empty path for n = 1', () => {
    const leaf = big.leafHash(0);
    expect(verifyInclusionProof(1, 1, leaf, [], leaf)).toBe(false);
    expect(verifyInclusionProof(-1, 1, leaf, [], leaf)).toBe(false);
    expect(verifyInclusionProof(0, 0, leaf, [], HASH())).toBe(false);
    expect(verifyInclusionProof(0, 1, leaf, [leaf], leaf)).toBe(false);
    expect(verifyInclusionProof(0, 1, leaf, [], leaf)).toBe(true);
  });
});

describe('RFC 9162 §2.1.4 consistency proofs', () => {
  it.each(CT_CONSISTENCY)('CT test vector: PROOF(%i, D_%i)', (m, n, expected) => {
    expect(hashesOf(ct.PROOF(m, n)).map(hex)).toEqual(expected);
    const ok = verifyConsistencyProof(m, n, bytes(CT_ROOTS[m - 1]), bytes(CT_ROOTS[n - 1]), expected.map(bytes));
    expect(ok).toBe(true);
  });

  it('refuses PROOF outside 0 < m < n and the verifier fails there', () => {
    expect(() => ct.PROOF(0, 8)).toThrow(RangeError);
    expect(() => ct.PROOF(8, 8)).toThrow(RangeError);
    expect(() => ct.PROOF(3, 9)).toThrow(RangeError);
    const r = ct.MTH();
    expect(verifyConsistencyProof(8, 8, r, r, [r])).toBe(false);
    expect(verifyConsistencyProof(0, 8, HASH(), r, [r])).toBe(false);
    expect(verifyConsistencyProof(5, 3, ct.MTH(0, 5), ct.MTH(0, 3), [r])).toBe(false);
  });

  it('every PROOF(m, n) for 0 < m < n <= 64 verifies, at most ceil(log2 n) + 1 long', () => {
    let checked = 0;
    for (const n of SIZES) {
      for (let m = 1; m < n; m++) {
        const proof = big.PROOF(m, n);
        expect(proof.length).toBeGreaterThan(0);
        expect(proof.length).toBeLessThanOrEqual(log2ceil(n) + 1);
        expect(verifyConsistencyProof(m, n, big.MTH(0, m), big.MTH(0, n), hashesOf(proof))).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((64 * 63) / 2);
  });

  it('when m is a power of two the proof omits MTH(D[0:m]) (the verifier prepends it), otherwise it does not', () => {
    for (const n of SIZES) {
      for (let m = 1; m < n; m++) {
        const proof = big.PROOF(m, n);
        const starts = proof[0].start === 0 && proof[0].end === m;
        expect(starts).toBe(false);
        expect(consistencyShape(m, proof)[0]).toBe(Number.isInteger(Math.log2(m)) ? 'p' : 'f');
      }
    }
  });

  it('any flipped bit in either root or a proof element fails (every bit for n <= 8, one per hash above)', () => {
    const accepted: string[] = [];
    for (const n of SIZES) {
      for (let m = 1; m < n; m++) {
        const proof = hashesOf(big.PROOF(m, n));
        const [rm, rn] = [big.MTH(0, m), big.MTH(0, n)];
        const bits = n <= 8 ? Array.from({ length: 256 }, (_, b) => b) : [pick(256, n, m)];
        for (const bit of bits) {
          if (verifyConsistencyProof(m, n, flipBit(rm, bit), rn, proof)) accepted.push(`${m}/${n} old root bit ${bit}`);
          if (verifyConsistencyProof(m, n, rm, flipBit(rn, bit), proof)) accepted.push(`${m}/${n} new root bit ${bit}`);
          proof.forEach((_, i) => {
            const bad = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            if (verifyConsistencyProof(m, n, rm, rn, bad)) accepted.push(`${m}/${n} element ${i} bit ${bit}`);
          });
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('a dropped, extra or duplicated element, swapped roots or an empty proof fail', () => {
    for (const n of SIZES) {
      for (let m = 1; m < n; m++) {
        const proof = hashesOf(big.PROOF(m, n));
        const [rm, rn] = [big.MTH(0, m), big.MTH(0, n)];
        const variants: Uint8Array[][] = [[], [...proof, rn], [rm, ...proof], [...proof, proof[proof.length - 1]]];
        proof.forEach((_, i) => variants.push(proof.filter((__, j) => j !== i)));
        if (proof.length > 1) variants.push([...proof].reverse());
        for (const v of variants) expect(verifyConsistencyProof(m, n, rm, rn, v)).toBe(false);
        expect(verifyConsistencyProof(m, n, rn, rm, proof)).toBe(false);
      }
    }
  });

  it('other sizes fail unless their proof has the same shape (the RFC proof does not commit to them)', () => {
    const shapes = new ReferenceTree(inputs(160, 'shape'));
    let accepted = 0;
    let refused = 0;
    for (const n of SIZES) {
      for (let m = 1; m < n; m++) {
        const proof = big.PROOF(m, n);
        const shape = consistencyShape(m, proof);
        const [rm, rn] = [big.MTH(0, m), big.MTH(0, n)];
        const others: [number, number][] = [
          [m - 1, n],
          [m + 1, n],
          [m, n - 1],
          [m, n + 1],
          [m, 2 * n],
          [1 + pick(n, n, m, 3), n],
          [m + 1, n + 1],
        ];
        for (const [a, b] of others) {
          if (a === m && b === n) continue;
          const ok = verifyConsistencyProof(a, b, rm, rn, hashesOf(proof));
          const same = a > 0 && a < b && consistencyShape(a, shapes.PROOF(a, b)) === shape;
          expect({ m, n, a, b, ok }).toEqual({ m, n, a, b, ok: same });
          if (ok) accepted++;
          else refused++;
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(accepted);
  });

  it('a proof between two trees that differ in an old leaf fails', () => {
    for (const n of [5, 8, 13, 33, 64]) {
      for (const m of [1, 2, 3, n - 1]) {
        const changed = inputs(n);
        changed[pick(m, n, m)] = HASH(Buffer.from('rewritten'));
        const forked = new ReferenceTree(changed);
        const proof = hashesOf(forked.PROOF(m, n));
        expect(verifyConsistencyProof(m, n, big.MTH(0, m), forked.MTH(0, n), proof)).toBe(false);
      }
    }
  });
});
