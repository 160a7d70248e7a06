/**
 * bridge/log/rfc9162.ts and bridge/log/tiles.ts checked against the independent RFC 9162 reference
 * (test/helpers/rfc9162-reference.ts): the same roots, the same proofs (subtree ranges and hashes, from leaf hashes and
 * from C2SP tiles), each side's verifier accepting the other's proofs and both refusing the same tampered ones; and the
 * C2SP tlog-tiles paths against the spec's text.
 */
import { randomBytes } from 'node:crypto';
import {
  EMPTY_ROOT,
  completeSubtrees,
  combineSubtrees,
  consistencyRanges,
  inclusionPaths,
  inclusionRanges,
  leafHash,
  nodeHash,
  rootFromInclusion,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type Range,
} from '../../../bridge/log/rfc9162';
import { TreeEdge, partialTiles } from '../../../bridge/log/edge';
import { TileTree, encodeIndex, parseTilePath, partialWidth, tilePath, type TileReader } from '../../../bridge/log/tiles';
import {
  HASH,
  ReferenceTree,
  hashesOf,
  leafHashOf,
  nodeHashOf,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
  type Node,
} from '../../helpers/rfc9162-reference';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const LARGE = 100_000;

/** A deterministic pseudo-random integer in [lo, hi]. */
function pick(lo: number, hi: number, ...salt: (number | string)[]): number {
  const x = HASH(Buffer.from(`crosscheck/${salt.join('/')}`)).reduce((acc, b) => (acc * 256 + b) % 2 ** 40, 0);
  return lo + (x % (hi - lo + 1));
}

// One tree of 100,000 pseudo-random leaves; every smaller tree is a prefix of it.
const leaves = Array.from({ length: LARGE }, (_, i) => HASH(Buffer.from(`leaf/${i}`)));
const ref = ReferenceTree.fromLeafHashes(leaves);

/**
 * The C2SP tlog-tiles hash tiles of the tree of `size` leaves, built from the reference's MTH: tile (L, N) holds
 * MTH(D[(N*256 + i) * 256^L : (N*256 + i + 1) * 256^L]) for i below its width, the partial tile of level L is
 * floor(size / 256^L) mod 256 wide, and tiles that do not exist at that size are absent. Records every read.
 */
function tileSource(size: number): { read: TileReader; calls: string[][] } {
  const calls: string[][] = [];
  const read: TileReader = async (wanted) => {
    calls.push(wanted.map((t) => `${t.level}/${t.index}`));
    const out = new Map<string, Uint8Array>();
    for (const { level, index } of wanted) {
      const span = 256 ** level;
      const hashesAtLevel = Math.floor(size / span);
      const width = Math.min(256, hashesAtLevel - index * 256);
      if (width <= 0) continue;
      const tile = new Uint8Array(width * 32);
      for (let i = 0; i < width; i++) {
        const j = index * 256 + i;
        tile.set(ref.MTH(j * span, (j + 1) * span), i * 32);
      }
      out.set(`${level}/${index}`, tile);
    }
    return out;
  };
  return { read, calls };
}

const rangesOf = (nodes: Node[]): Range[] => nodes.map(({ start, end }) => ({ start, end }));

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

/** Tampered copies of a proof that must never verify: a flipped bit in each element, each element dropped, extras. */
function tamperings(proof: Uint8Array[], salt: string): [string, Uint8Array[]][] {
  const out: [string, Uint8Array[]][] = [];
  proof.forEach((_, i) => {
    out.push([`bit in ${i}`, proof.map((p, j) => (j === i ? flipBit(p, pick(0, 255, salt, i)) : p))]);
    out.push([`dropped ${i}`, proof.filter((__, j) => j !== i)]);
  });
  out.push(['extra at end', [...proof, HASH(Buffer.from(salt))]]);
  out.push(['extra at start', [HASH(Buffer.from(salt)), ...proof]]);
  if (proof.length > 0) out.push(['last repeated', [...proof, proof[proof.length - 1]]]);
  return out;
}

interface Disagreement {
  what: string;
  bridge: boolean;
  reference: boolean;
}

/** Both inclusion verifiers on one claim; a disagreement, or acceptance of something that must fail, is recorded. */
function inclusionVerdicts(
  bad: Disagreement[],
  what: string,
  claim: { index: number; size: number; leaf: Uint8Array; proof: Uint8Array[]; root: Uint8Array },
  mustFail: boolean,
): void {
  const bridge = verifyInclusion(claim.index, claim.size, claim.leaf, claim.proof, claim.root);
  const reference = verifyInclusionProof(claim.index, claim.size, claim.leaf, claim.proof, claim.root);
  const fromBridge = rootFromInclusion(claim.index, claim.size, claim.leaf, claim.proof);
  const fromReference = rootFromInclusionProof(claim.index, claim.size, claim.leaf, claim.proof);
  const sameRoot = (fromBridge && hex(fromBridge)) === (fromReference && hex(fromReference));
  if (bridge !== reference || (mustFail && bridge) || !sameRoot) bad.push({ what, bridge, reference });
}

function consistencyVerdicts(
  bad: Disagreement[],
  what: string,
  c: { m: number; n: number; rootM: Uint8Array; rootN: Uint8Array; proof: Uint8Array[] },
  mustFail: boolean,
): void {
  const bridge = verifyConsistency(c.m, c.n, c.rootM, c.rootN, c.proof);
  const reference = verifyConsistencyProof(c.m, c.n, c.rootM, c.rootN, c.proof);
  if (bridge !== reference || (mustFail && bridge)) bad.push({ what, bridge, reference });
}

/**
 * Whether to run every tampering on (m, n) too: all of them in trees up to 40 leaves, then the edges and a sample
 * (the tampering loops cost most of this file's time; the proofs themselves are compared for every pair).
 */
const tamperAll = (m: number, n: number): boolean => n <= 40 || [0, 1, Math.floor(n / 2), n - 2, n - 1].includes(m) || m % 16 === 5;

/** Checks one inclusion proof both ways, recording disagreements in `bad`. */
async function crossInclusion(m: number, n: number, tree: TileTree, bad: Disagreement[]): Promise<void> {
  const expected = ref.PATH(m, 0, n);
  const ranges = inclusionRanges(m, n);
  if (JSON.stringify(ranges) !== JSON.stringify(rangesOf(expected))) {
    bad.push({ what: `ranges of PATH(${m}, ${n})`, bridge: false, reference: true });
    return;
  }
  const fromTiles = await tree.hashes(ranges);
  // rootOf recomputes a subtree from its leaves: affordable in small trees only.
  const fromLeaves = n <= 130 ? ranges.map((r) => rootOf(leaves, r.start, r.end)) : fromTiles;
  const refProof = hashesOf(expected);
  if (fromTiles.map(hex).join() !== refProof.map(hex).join() || fromLeaves.map(hex).join() !== refProof.map(hex).join()) {
    bad.push({ what: `hashes of PATH(${m}, ${n})`, bridge: false, reference: true });
  }
  const root = ref.MTH(0, n);
  const leaf = leaves[m];
  // The bridge's proof (from tiles) verifies with the reference and the reference's with the bridge.
  if (!verifyInclusionProof(m, n, leaf, fromTiles, root)) bad.push({ what: `reference refuses bridge PATH(${m}, ${n})`, bridge: true, reference: false });
  if (!verifyInclusion(m, n, leaf, refProof, root)) bad.push({ what: `bridge refuses reference PATH(${m}, ${n})`, bridge: false, reference: true });
  if (!tamperAll(m, n)) return;
  for (const [how, proof] of tamperings(fromTiles, `${m}/${n}`))
    inclusionVerdicts(bad, `PATH(${m}, ${n}) ${how}`, { index: m, size: n, leaf, proof, root }, true);
  inclusionVerdicts(bad, `PATH(${m}, ${n}) flipped leaf`, { index: m, size: n, leaf: flipBit(leaf, 7), proof: fromTiles, root }, true);
  inclusionVerdicts(bad, `PATH(${m}, ${n}) flipped root`, { index: m, size: n, leaf, proof: fromTiles, root: flipBit(root, 200) }, true);
  // Another index or size: the RFC's path does not always commit to them, so both sides must agree, whatever it is.
  for (const [index, size] of [
    [m - 1, n],
    [m + 1, n],
    [m, n - 1],
    [m, n + 1],
    [m, 2 * n],
    [n, n],
  ]) {
    inclusionVerdicts(bad, `PATH(${m}, ${n}) as (${index}, ${size})`, { index, size, leaf, proof: fromTiles, root }, false);
  }
}

/** Checks one consistency proof both ways, recording disagreements in `bad`. */
async function crossConsistency(m: number, n: number, tree: TileTree, bad: Disagreement[]): Promise<void> {
  const expected = ref.PROOF(m, n);
  const ranges = consistencyRanges(m, n);
  if (JSON.stringify(ranges) !== JSON.stringify(rangesOf(expected))) {
    bad.push({ what: `ranges of PROOF(${m}, ${n})`, bridge: false, reference: true });
    return;
  }
  const fromTiles = await tree.hashes(ranges);
  const refProof = hashesOf(expected);
  if (fromTiles.map(hex).join() !== refProof.map(hex).join()) bad.push({ what: `hashes of PROOF(${m}, ${n})`, bridge: false, reference: true });
  const [rootM, rootN] = [ref.MTH(0, m), ref.MTH(0, n)];
  if (!verifyConsistencyProof(m, n, rootM, rootN, fromTiles)) bad.push({ what: `reference refuses bridge PROOF(${m}, ${n})`, bridge: true, reference: false });
  if (!verifyConsistency(m, n, rootM, rootN, refProof)) bad.push({ what: `bridge refuses reference PROOF(${m}, ${n})`, bridge: false, reference: true });
  if (!tamperAll(m, n)) return;
  for (const [how, proof] of tamperings(fromTiles, `c${m}/${n}`)) consistencyVerdicts(bad, `PROOF(${m}, ${n}) ${how}`, { m, n, rootM, rootN, proof }, true);
  consistencyVerdicts(bad, `PROOF(${m}, ${n}) flipped old root`, { m, n, rootM: flipBit(rootM, 3), rootN, proof: fromTiles }, true);
  consistencyVerdicts(bad, `PROOF(${m}, ${n}) flipped new root`, { m, n, rootM, rootN: flipBit(rootN, 99), proof: fromTiles }, true);
  consistencyVerdicts(bad, `PROOF(${m}, ${n}) swapped roots`, { m, n, rootM: rootN, rootN: rootM, proof: fromTiles }, true);
  consistencyVerdicts(bad, `PROOF(${m}, ${n}) empty`, { m, n, rootM, rootN, proof: [] }, true);
  for (const [a, b] of [
    [m - 1, n],
    [m + 1, n],
    [m, n - 1],
    [m, n + 1],
    [m, 2 * n],
  ]) {
    if (a <= 0 || a >= b) continue; // sizes outside 0 < m < n: see the edge-case test
    consistencyVerdicts(bad, `PROOF(${m}, ${n}) as (${a}, ${b})`, { m: a, n: b, rootM, rootN, proof: fromTiles }, false);
  }
}

describe('leaf and node hashes, MTH', () => {
  it('the same leaf hash, node hash and empty root as the reference', () => {
    for (const input of [new Uint8Array(), Uint8Array.of(0), randomBytes(32), randomBytes(1000)]) {
      expect(hex(leafHash(input))).toBe(hex(leafHashOf(input)));
    }
    expect(hex(nodeHash(leaves[0], leaves[1]))).toBe(hex(nodeHashOf(leaves[0], leaves[1])));
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootOf([]))).toBe(hex(EMPTY_ROOT));
  });

  it('the CT 8-leaf test vector root (5dc9da79…)', () => {
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const hashes = inputs.map((h) => leafHash(new Uint8Array(Buffer.from(h, 'hex'))));
    expect(hex(rootOf(hashes))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('rootOf and TileTree.root equal the reference MTH for every size 1..600 (tiles as served at that size and at 100,000)', async () => {
    const wrong: number[] = [];
    const newest = tileSource(LARGE);
    for (let n = 1; n <= 600; n++) {
      const expected = hex(ref.MTH(0, n));
      const exact = tileSource(n);
      const fromExact = hex(await new TileTree(n, exact.read).root());
      const fromNewest = hex(await new TileTree(n, newest.read).root());
      if (hex(rootOf(leaves.slice(0, n))) !== expected || fromExact !== expected || fromNewest !== expected) wrong.push(n);
      if (exact.calls.length !== 1) wrong.push(-n);
    }
    expect(wrong).toEqual([]);
    expect(hex(await new TileTree(0, tileSource(0).read).root())).toBe(hex(EMPTY_ROOT));
  });

  const LARGE_SIZES = [65_535, 65_536, 65_537, 65_536 + 256, 65_536 + 257, 99_999, LARGE, ...[1, 2, 3, 4, 5].map((i) => pick(601, LARGE, 'size', i))];
  it.each(LARGE_SIZES)('TileTree.root equals the reference MTH for %i leaves, from tiles built in memory', async (n) => {
    const source = tileSource(n);
    const tree = new TileTree(n, source.read);
    expect(hex(await tree.root())).toBe(hex(ref.MTH(0, n)));
    expect(source.calls).toHaveLength(1);
    expect(new Set(source.calls[0]).size).toBe(source.calls[0].length);
  });

  it('rootOf over 100,000 leaf hashes equals the reference', () => {
    expect(hex(rootOf(leaves))).toBe(hex(ref.MTH()));
  });

  it('MTH of arbitrary ranges D[a:b] (completeSubtrees + combineSubtrees, and TileTree) equals the reference', async () => {
    const tree = new TileTree(LARGE, tileSource(LARGE).read);
    const ranges: Range[] = [];
    for (let i = 0; i < 300; i++) {
      const a = pick(0, LARGE - 1, 'a', i);
      const b = pick(a, Math.min(LARGE, a + (i % 50 === 0 ? 70_000 : 600)), 'b', i);
      ranges.push({ start: a, end: b });
    }
    const got = await tree.hashes(ranges);
    // Unaligned ranges share few subtrees: a tree of its own keeps their memo out of the shared reference.
    const unaligned = ReferenceTree.fromLeafHashes(leaves);
    const expected = ranges.map((r) => hex(unaligned.MTH(r.start, r.end)));
    expect(got.map(hex)).toEqual(expected);
    const combined = ranges.map((r) =>
      hex(
        combineSubtrees(
          r.start,
          r.end,
          completeSubtrees(r.start, r.end).map((s) => ref.MTH(s.index * 2 ** s.level, (s.index + 1) * 2 ** s.level)),
        ),
      ),
    );
    expect(combined).toEqual(expected);
  });

  it('TileTree refuses ranges outside the tree and fails when a tile it needs is missing', async () => {
    const tree = new TileTree(300, tileSource(300).read);
    await expect(tree.hash({ start: 0, end: 301 })).rejects.toThrow(RangeError);
    await expect(tree.hash({ start: 5, end: 4 })).rejects.toThrow(RangeError);
    // A source that has only 256 leaves cannot give the root of 300.
    await expect(new TileTree(300, tileSource(256).read).root()).rejects.toThrow(/missing or too short/);
  });
});

describe('inclusion proofs (§2.1.3)', () => {
  it('identical ranges and hashes and each verifier accepting the other for all (m, n) with n <= 130; the same refusals of tampered proofs', async () => {
    const bad: Disagreement[] = [];
    let proofs = 0;
    for (let n = 1; n <= 130; n++) {
      const tree = new TileTree(n, tileSource(n).read);
      for (let m = 0; m < n; m++, proofs++) await crossInclusion(m, n, tree, bad);
    }
    expect(bad).toEqual([]);
    expect(proofs).toBe((130 * 131) / 2);
  });

  it('the same for 400 random (m, n) with n up to 100,000 and for the edges of tiles', async () => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < 400; i++) {
      const n = pick(131, LARGE, 'incl-n', i);
      pairs.push([pick(0, n - 1, 'incl-m', i), n]);
    }
    for (const n of [256, 257, 65_536, 65_537, LARGE]) for (const m of [0, 255, 256, n - 2, n - 1]) if (m < n) pairs.push([m, n]);
    const bad: Disagreement[] = [];
    for (const [m, n] of pairs) {
      const source = tileSource(n);
      const tree = new TileTree(n, source.read);
      await crossInclusion(m, n, tree, bad);
      if (source.calls.length !== 1) bad.push({ what: `PATH(${m}, ${n}) took ${source.calls.length} tile reads`, bridge: false, reference: true });
    }
    expect(bad).toEqual([]);
  });

  it('inclusionPaths (a page of proofs in one descent) gives each leaf the reference PATH, for clustered, scattered and edge sets', async () => {
    const bad: string[] = [];
    const sets: [number[], number][] = [];
    for (let i = 0; i < 60; i++) {
      const n = pick(1, i < 30 ? 600 : LARGE, 'paths-n', i);
      const wanted = new Set<number>();
      const count = pick(1, 40, 'paths-count', i);
      // Half the sets are neighbours (an $everything page of one person), half scattered over the tree.
      const base = pick(0, n - 1, 'paths-base', i);
      for (let j = 0; j < count; j++) wanted.add(i % 2 ? pick(0, n - 1, 'paths-m', i, j) : Math.min(n - 1, base + pick(0, 60, 'paths-d', i, j)));
      sets.push([[...wanted].sort((a, b) => a - b), n]);
    }
    sets.push([[0], 1], [[0, 255, 256, 65_535, 65_536, LARGE - 1], LARGE], [Array.from({ length: 300 }, (_, j) => j), 300]);
    for (const [indices, n] of sets) {
      const tree = new TileTree(n, tileSource(n).read);
      const siblings: Range[] = [];
      inclusionPaths(indices, n, (r) => (siblings.push(r), ''));
      const lines = (await tree.hashes(siblings)).map((h) => hex(h) + ';');
      let next = 0;
      const texts = inclusionPaths(indices, n, () => lines[next++]);
      indices.forEach((m, j) => {
        const expected = hashesOf(ref.PATH(m, 0, n))
          .map((h) => hex(h) + ';')
          .join('');
        if (texts[j] !== expected) bad.push(`PATH(${m}, ${n})`);
      });
      // Each distinct sibling once: never more lines than the separate proofs would hold.
      if (siblings.length > indices.reduce((t, m) => t + inclusionRanges(m, n).length, 0)) bad.push(`siblings of ${n}`);
      if (new Set(siblings.map((r) => `${r.start}-${r.end}`)).size !== siblings.length) bad.push(`a sibling repeated in ${n}`);
    }
    expect(bad).toEqual([]);
    expect(() => inclusionPaths([3, 2], 10, () => '')).toThrow(RangeError);
    expect(() => inclusionPaths([10], 10, () => '')).toThrow(RangeError);
  });

  it('inclusionRanges refuses an index outside the tree; both verifiers refuse such indices', () => {
    for (const [m, n] of [
      [0, 0],
      [5, 5],
      [6, 5],
      [-1, 5],
      [0.5, 5],
    ]) {
      expect(() => inclusionRanges(m, n)).toThrow(RangeError);
      expect(verifyInclusion(m, n, leaves[0], [], leaves[0])).toBe(false);
      expect(verifyInclusionProof(m, n, leaves[0], [], leaves[0])).toBe(false);
    }
    expect(inclusionRanges(0, 1)).toEqual([]);
    expect(verifyInclusion(0, 1, leaves[0], [], leaves[0])).toBe(true);
  });
});

describe('consistency proofs (§2.1.4)', () => {
  it('identical ranges and hashes and each verifier accepting the other for all 0 < m < n <= 130; the same refusals of tampered proofs', async () => {
    const bad: Disagreement[] = [];
    let proofs = 0;
    for (let n = 2; n <= 130; n++) {
      const tree = new TileTree(n, tileSource(n).read);
      for (let m = 1; m < n; m++, proofs++) await crossConsistency(m, n, tree, bad);
    }
    expect(bad).toEqual([]);
    expect(proofs).toBe((130 * 129) / 2);
  });

  it('the same for 400 random pairs up to 100,000 and for the edges of tiles', async () => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < 400; i++) {
      const n = pick(131, LARGE, 'cons-n', i);
      pairs.push([pick(1, n - 1, 'cons-m', i), n]);
    }
    for (const n of [257, 65_536, 65_537, LARGE]) for (const m of [1, 255, 256, 257, 65_535, 65_536, n - 1]) if (m < n) pairs.push([m, n]);
    const bad: Disagreement[] = [];
    for (const [m, n] of pairs) {
      const source = tileSource(n);
      await crossConsistency(m, n, new TileTree(n, source.read), bad);
      if (source.calls.length !== 1) bad.push({ what: `PROOF(${m}, ${n}) took ${source.calls.length} tile reads`, bridge: false, reference: true });
    }
    expect(bad).toEqual([]);
  });

  it('a proof between trees that differ in an old leaf (a fork) fails on both sides', () => {
    for (const [m, n] of [
      [3, 8],
      [7, 130],
      [64, 129],
      [1000, 4097],
    ]) {
      const forked = leaves.slice(0, n);
      forked[pick(0, m - 1, 'fork', m)] = HASH(Buffer.from('rewritten'));
      const other = ReferenceTree.fromLeafHashes(forked);
      const proof = consistencyRanges(m, n).map((r) => rootOf(forked, r.start, r.end));
      expect(verifyConsistency(m, n, ref.MTH(0, m), other.MTH(), proof)).toBe(false);
      expect(verifyConsistencyProof(m, n, ref.MTH(0, m), other.MTH(), proof)).toBe(false);
    }
  });

  // Outside 0 < m < n the RFC defines no proof; the bridge extends it: m = n and m = 0 have empty proofs.
  it('sizes outside 0 < m < n: m = n with equal roots and an empty proof, m > n refused', () => {
    const r5 = ref.MTH(0, 5);
    expect(consistencyRanges(5, 5)).toEqual([]);
    expect(consistencyRanges(0, 5)).toEqual([]);
    expect(() => consistencyRanges(6, 5)).toThrow(RangeError);
    expect(() => consistencyRanges(-1, 5)).toThrow(RangeError);
    expect(verifyConsistency(5, 5, r5, r5, [])).toBe(true);
    expect(verifyConsistency(5, 5, r5, ref.MTH(0, 6), [])).toBe(false);
    expect(verifyConsistency(5, 5, r5, r5, [r5])).toBe(false);
    expect(verifyConsistency(6, 5, ref.MTH(0, 6), r5, [])).toBe(false);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, r5, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, r5, [r5])).toBe(false);
    // A size-0 tree has one root, MTH({}) = SHA-256(): a size-0 checkpoint naming another root is consistent with nothing.
    expect(verifyConsistency(0, 5, r5, r5, [])).toBe(false);
    expect(verifyConsistency(0, 0, r5, r5, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
  });
});

describe("the sequencer's tree edge (bridge/log/edge.ts) against the reference", () => {
  /** Every tile of the tree of `size` as tlog-tiles defines it, from the reference (key level/index → bytes). */
  async function allTiles(size: number): Promise<Map<string, string>> {
    const wanted: { level: number; index: number }[] = [];
    for (let level = 0; 256 ** level <= size; level++) {
      const count = Math.ceil(Math.floor(size / 256 ** level) / 256);
      for (let index = 0; index < count; index++) wanted.push({ level, index });
    }
    const tiles = await tileSource(size).read(wanted);
    return new Map([...tiles].map(([k, v]) => [k, hex(v)]));
  }

  it('appends in batches write exactly the tiles of each size, and its root is the reference MTH', async () => {
    const stored = new Map<string, string>();
    const edge = new TreeEdge(0, []);
    const wrong: string[] = [];
    let size = 0;
    // Batches that end just before and on tile edges at levels 0, 1 and 2 (255, 256, 65,535, 65,536 leaves), up to the
    // spec's example of 70,000.
    for (const batch of [1, 1, 253, 1, 1, 254, 1, 256, 1000, 7, 30_000, 33_760, 1, 4, 4_200, 260]) {
      for (let i = 0; i < batch; i++) edge.append(leaves[size + i]);
      size += batch;
      for (const t of edge.takeDirty()) {
        const before = stored.get(`${t.level}/${t.index}`);
        // A tile only grows: what a mirror fetched earlier stays a prefix of it.
        if (before && !hex(t.hashes).startsWith(before)) wrong.push(`tile ${t.level}/${t.index} rewritten at ${size}`);
        stored.set(`${t.level}/${t.index}`, hex(t.hashes));
      }
      const expected = await allTiles(size);
      if (JSON.stringify([...stored].sort()) !== JSON.stringify([...expected].sort())) wrong.push(`tiles at ${size}`);
      if (edge.size !== size || hex(await edge.root()) !== hex(ref.MTH(0, size))) wrong.push(`root at ${size}`);
    }
    expect(size).toBe(70_000);
    expect(wrong).toEqual([]);
  });

  it('resumes from the partial tiles of a stored tree (a restart) and keeps growing the same tree', async () => {
    for (const start of [0, 1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000]) {
      const tiles = await tileSource(start).read(partialTiles(start));
      const partials: Uint8Array[][] = [];
      for (const p of partialTiles(start)) {
        const bytes = tiles.get(`${p.level}/${p.index}`)!;
        partials[p.level] = Array.from({ length: p.width }, (_, i) => bytes.slice(i * 32, (i + 1) * 32));
      }
      for (let l = 0; l < partials.length; l++) partials[l] ??= [];
      const edge = new TreeEdge(start, partials);
      expect(hex(await edge.root())).toBe(hex(ref.MTH(0, start)));
      for (let i = 0; i < 300; i++) edge.append(leaves[start + i]);
      expect(hex(await edge.root())).toBe(hex(ref.MTH(0, start + 300)));
      const expected = await tileSource(start + 300).read(edge.takeDirty().map(({ level, index }) => ({ level, index })));
      const again = new TreeEdge(start, partials);
      for (let i = 0; i < 300; i++) again.append(leaves[start + i]);
      for (const t of again.takeDirty()) expect(hex(t.hashes)).toBe(hex(expected.get(`${t.level}/${t.index}`)!));
    }
  });
});

describe('C2SP tlog-tiles paths', () => {
  it('encodes <N> as zero-padded 3-digit elements, all but the last prefixed with x (the spec: 1234067 → x001/x234/067)', () => {
    expect(encodeIndex(1234067)).toBe('x001/x234/067');
    expect(encodeIndex(0)).toBe('000');
    expect(encodeIndex(5)).toBe('005');
    expect(encodeIndex(999)).toBe('999');
    expect(encodeIndex(1000)).toBe('x001/000');
    expect(encodeIndex(2 ** 53 - 1)).toBe('x009/x007/x199/x254/x740/991');
    expect(() => encodeIndex(-1)).toThrow(RangeError);
    expect(() => encodeIndex(1.5)).toThrow(RangeError);
  });

  it('tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>]; .p only for widths 1..255', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 0, index: 1234067, width: 5 })).toBe('tile/0/x001/x234/067.p/5');
    expect(tilePath({ level: 2, index: 0, width: 1 })).toBe('tile/2/000.p/1');
    expect(tilePath({ level: 'entries', index: 67, width: 255 })).toBe('tile/entries/067.p/255');
    expect(tilePath({ level: 'entries', index: 1000, width: 256 })).toBe('tile/entries/x001/000');
    for (const width of [0, 257, 1.5, -1]) expect(() => tilePath({ level: 0, index: 1, width })).toThrow(RangeError);
  });

  it('parses every path it prints back to the same tile', () => {
    const ids = [];
    for (const level of [0, 1, 5, 63, 'entries'] as const)
      for (const index of [0, 1, 999, 1000, 1234067, 2 ** 53 - 1]) for (const width of [1, 112, 255, 256]) ids.push({ level, index, width });
    for (const id of ids) expect(parseTilePath(tilePath(id).slice('tile/'.length))).toEqual(id);
  });

  it.each([
    ['00/000', 'level with a leading zero'],
    ['01/000', 'level with a leading zero'],
    ['64/000', 'level above 63'],
    ['-1/000', 'negative level'],
    ['1.0/000', 'non-integer level'],
    ['/000', 'empty level'],
    ['x/000', 'non-numeric level'],
    ['0', 'no index'],
    ['0/', 'empty index'],
    ['0/0', 'index element not 3 digits'],
    ['0/00', 'index element not 3 digits'],
    ['0/0000', 'index element not 3 digits'],
    ['0/x001', 'last element prefixed with x'],
    ['0/001/234', 'non-last element without x'],
    ['0/x1/234', 'x element not 3 digits'],
    ['0/x000/005', 'index with a leading zero element (005 is the only encoding of 5)'],
    ['0/x001/x234/067/', 'trailing slash'],
    ['0/+01', 'sign in an element'],
    ['0/ 01', 'space in an element'],
    ['0/000.p/0', 'width 0'],
    ['0/000.p/256', 'width 256 (a full tile has no .p)'],
    ['0/000.p/300', 'width above 256'],
    ['0/000.p/007', 'width with leading zeros'],
    ['0/000.p/', 'empty width'],
    ['0/000.p', '.p without a width'],
    ['0/000.p/5/6', 'something after the width'],
    ['0/000.q/5', 'not .p'],
    ['entries', 'entries without an index'],
    ['entries/x001', 'entries, last element prefixed with x'],
    ['Entries/000', 'entries in capitals'],
    ['0/x010/x000/x000/x000/x000/000', 'index above 2^53'],
    ['', 'empty path'],
  ])('refuses %j (%s)', (path) => {
    expect(parseTilePath(path)).toBeNull();
  });

  it('accepts the spec example paths', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('0/x001/x234/067.p/8')).toEqual({ level: 0, index: 1234067, width: 8 });
    expect(parseTilePath('entries/x001/x234/067.p/255')).toEqual({ level: 'entries', index: 1234067, width: 255 });
    expect(parseTilePath('63/000')).toEqual({ level: 63, index: 0, width: 256 });
  });

  it('partial widths are floor(s / 256^l) mod 256 (the spec: 70,000 → 112, 17, 1; 256 → full level 0, level 1 of width 1)', () => {
    expect([0, 1, 2, 3].map((l) => partialWidth(l, 70_000))).toEqual([112, 17, 1, 0]);
    expect(Math.floor(70_000 / 256)).toBe(273); // 273 full level-0 tiles
    expect([0, 1].map((l) => partialWidth(l, 256))).toEqual([0, 1]);
    expect(partialWidth(0, 0)).toBe(0);
  });

  it('level-0 tiles hold the leaf hashes, level 1 the MTH of each full level-0 tile (tile contents, spec formula)', async () => {
    const size = 70_000;
    const source = tileSource(size);
    const got = await source.read([
      { level: 0, index: 0 },
      { level: 0, index: 273 },
      { level: 1, index: 1 },
      { level: 2, index: 0 },
      { level: 0, index: 274 },
    ]);
    expect(got.get('0/0')!.length).toBe(256 * 32);
    expect(hex(got.get('0/0')!.subarray(32, 64))).toBe(hex(leaves[1]));
    expect(got.get('0/273')!.length).toBe(112 * 32);
    expect(got.get('1/1')!.length).toBe(17 * 32);
    // MTH(D[(n*256 + i) * 256^l : (n*256 + i + 1) * 256^l]) with l = 1, n = 1, i = 0: the bridge's rootOf agrees.
    expect(hex(got.get('1/1')!.subarray(0, 32))).toBe(hex(rootOf(leaves, 256 * 256, 257 * 256)));
    expect(hex(got.get('2/0')!)).toBe(hex(rootOf(leaves, 0, 65_536)));
    expect(got.has('0/274')).toBe(false);
  });
});
