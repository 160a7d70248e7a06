import { b64, b64Portable, fromB64, fromHex, hex, utf8 } from '../../../bridge/log/bytes';
import { randomBytes } from 'node:crypto';
import { randomSeed } from '../../../bridge/log/ed25519';
import { commitment, leafHashOf, parseLeafDoc, resourceHash, type LeafDoc } from '../../../bridge/log/entry';
import {
  cosignatureLine,
  formatCheckpoint,
  parseCheckpoint,
  parseVkey,
  publicKeyOf,
  signNote,
  verifyNote,
  vkey,
  SIG_COSIGNATURE_V1,
} from '../../../bridge/log/note';
import { documentHash, formatTlogProof, logIdOf, parseProof, verifyConsistencyOffline, verifyProofOffline } from '../../../bridge/log/proof';
import { consistencyRanges, EMPTY_ROOT, inclusionRanges, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../../../bridge/log/rfc9162';
import { encodeIndex, parseTilePath, TileTree, tilePath, type TileReader } from '../../../bridge/log/tiles';
import { sha256 } from '../../../bridge/log/sha256';

/** Level-L tiles of a tree over `leaves`, built naively (what the sequencer stores), read by key. */
function memoryTiles(leaves: Uint8Array[]): TileReader {
  const levels: Uint8Array[][] = [leaves];
  while (levels[levels.length - 1].length >= 256) {
    const below = levels[levels.length - 1];
    const up: Uint8Array[] = [];
    for (let i = 0; i + 256 <= below.length; i += 256) up.push(rootOf(below, i, i + 256));
    levels.push(up);
  }
  return async (ids) => {
    const out = new Map<string, Uint8Array>();
    for (const { level, index } of ids) {
      const hs = (levels[level] ?? []).slice(index * 256, index * 256 + 256);
      const buf = new Uint8Array(hs.length * 32);
      hs.forEach((h, i) => buf.set(h, i * 32));
      out.set(`${level}/${index}`, buf);
    }
    return out;
  };
}

const leavesOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => leafHash(utf8(`entry ${i}`)));

describe('RFC 9162 tree', () => {
  it('hashes the empty tree and the CT 8-leaf vector', () => {
    expect(hex(EMPTY_ROOT)).toBe('0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    expect(hex(rootOf(inputs.map((h) => leafHash(fromHex(h)))))).toBe('0x5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('serves every inclusion and consistency proof from tiles, and they verify (and fail when altered)', async () => {
    const all = leavesOf(600);
    const tree = new TileTree(600, memoryTiles(all));
    for (const n of [1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 513, 600]) {
      const t = new TileTree(n, memoryTiles(all.slice(0, n)));
      const root = await t.root();
      expect(hex(root)).toBe(hex(rootOf(all.slice(0, n))));
      for (const i of [0, 1, Math.floor(n / 2), n - 1]) {
        if (i >= n) continue;
        const proof = await t.hashes(inclusionRanges(i, n));
        expect(verifyInclusion(i, n, all[i], proof, root)).toBe(true);
        if (proof.length) {
          const bad = proof.map((p) => Uint8Array.from(p));
          bad[0][0] ^= 1;
          expect(verifyInclusion(i, n, all[i], bad, root)).toBe(false);
        }
        expect(verifyInclusion(i, n, all[(i + 1) % 600], proof, root)).toBe(false);
      }
      for (const m of [1, 2, 3, Math.floor(n / 2), n - 1, n]) {
        if (m < 1 || m > n) continue;
        const proof = await tree.hashes(consistencyRanges(m, n));
        expect(verifyConsistency(m, n, rootOf(all.slice(0, m)), root, proof)).toBe(true);
        if (m < n) expect(verifyConsistency(m, n, rootOf(all.slice(1, m + 1)), root, proof)).toBe(false);
      }
    }
  });
});

describe('tile paths (C2SP tlog-tiles)', () => {
  it('encodes and parses indexes and partial widths', () => {
    expect(encodeIndex(1234067)).toBe('x001/x234/067');
    expect(encodeIndex(5)).toBe('005');
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 'entries', index: 3, width: 17 })).toBe('tile/entries/003.p/17');
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('2/003.p/17')).toEqual({ level: 2, index: 3, width: 17 });
    expect(parseTilePath('entries/x001/000')).toEqual({ level: 'entries', index: 1000, width: 256 });
    for (const bad of ['00/001', '0/1', '0/x000/001', '0/001.p/0', '0/001.p/256', '0/001.p/07', '64/001', '0/001/002', 'x/001', '0/x001'])
      expect(parseTilePath(bad)).toBeNull();
  });
});

describe('signed notes, checkpoints, cosignatures', () => {
  const log = { name: 'example.org/log', seed: randomSeed() };
  const witness = { name: 'witness.example', seed: randomSeed() };
  it('signs and verifies a checkpoint; unknown keys are ignored; a changed text fails', () => {
    const text = formatCheckpoint({ origin: log.name, size: 5, root: sha256(utf8('x')) });
    const note = signNote(text, log);
    const key = parseVkey(vkey(log.name, publicKeyOf(log)));
    expect(verifyNote(note, [key])).toMatchObject({ ok: true, verified: [log.name] });
    expect(verifyNote(note, []).ok).toBe(false);
    expect(verifyNote(note.replace('\n5\n', '\n6\n'), [key]).ok).toBe(false);
    expect(parseCheckpoint(text)).toMatchObject({ origin: log.name, size: 5 });
    const cosigned = note + cosignatureLine(text, witness, 1_700_000_000);
    const wkey = parseVkey(vkey(witness.name, publicKeyOf(witness), SIG_COSIGNATURE_V1));
    expect(verifyNote(cosigned, [key, wkey])).toMatchObject({ ok: true, verified: [log.name, witness.name] });
  });
  it('verifies the signed-note spec example', () => {
    const k = parseVkey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const note =
      'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    expect(verifyNote(note, [k]).ok).toBe(true);
  });
  it("base64 is the same from Node's encoder and the browser's code, for every length and for views into larger buffers", () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = new Uint8Array(randomBytes(n + 5)).subarray(3, 3 + n);
      expect(b64(bytes)).toBe(b64Portable(bytes));
      expect(fromB64(b64(bytes))).toEqual(bytes);
    }
  });
  it('base64 is strict', () => {
    expect(b64(utf8('ab'))).toBe('YWI=');
    expect(() => fromB64('YWJ=')).toThrow();
    expect(() => fromB64('YWI')).toThrow();
  });
});

describe('proofs offline', () => {
  const key = { name: 'example.org/log', seed: randomSeed() };
  const resource = { resourceType: 'Observation', id: '3f8a9a52-6a44-4a51-9a43-1d2a6b6c8e10', meta: { versionId: '2' }, status: 'final' };
  const leaf: LeafDoc = parseLeafDoc({
    log: 'fhir-anchor-log/1',
    kind: 'resource',
    hash: resourceHash(resource),
    salt: hex(sha256(utf8('salt'))),
    clinic: '11111111-2222-4333-8444-555555555555',
    type: 'Observation',
    id: resource.id,
    version: 2,
  });
  async function proofAt(index: number, size: number) {
    const leaves = leavesOf(size);
    leaves[index] = leafHashOf(leaf);
    const t = new TileTree(size, memoryTiles(leaves));
    const checkpoint = signNote(formatCheckpoint({ origin: key.name, size, root: await t.root() }), key);
    return {
      version: 'fhir-anchor-proof/1',
      leaf,
      tlogProof: formatTlogProof({ index, proof: await t.hashes(inclusionRanges(index, size)), checkpoint }),
      anchor: null,
    };
  }
  it('verifies a resource with its proof, and names the reason of each failure', async () => {
    const proof = await proofAt(3, 10);
    const vk = [parseVkey(vkey(key.name, publicKeyOf(key)))];
    expect(verifyProofOffline(proof, resource, vk)).toMatchObject({ ok: true, index: 3, signedBy: [key.name] });
    expect(verifyProofOffline(proof, { ...resource, status: 'amended' }, vk)).toMatchObject({ ok: false, reason: 'document-mismatch' });
    const lines = proof.tlogProof.split('\n');
    lines[2] = b64(sha256(utf8('other')));
    expect(verifyProofOffline({ ...proof, tlogProof: lines.join('\n') }, resource, vk)).toMatchObject({ ok: false, reason: 'inclusion' });
    expect(verifyProofOffline({ ...proof, leaf: { ...leaf, salt: hex(sha256(utf8('guess'))) } }, resource, vk)).toMatchObject({
      ok: false,
      reason: 'inclusion',
    });
    const other = [parseVkey(vkey(key.name, publicKeyOf({ name: key.name, seed: randomSeed() })))];
    expect(verifyProofOffline(proof, resource, other)).toMatchObject({ ok: false, reason: 'checkpoint-signature' });
    expect(verifyProofOffline({ ...proof, extra: 1 }, resource)).toMatchObject({ ok: false, reason: 'malformed' });
    // A witness's key alone never vouches for a checkpoint the log did not sign.
    const witness = { name: 'witness.example', seed: randomSeed() };
    const wkey = parseVkey(vkey(witness.name, publicKeyOf(witness), SIG_COSIGNATURE_V1));
    const cp = proof.tlogProof.slice(proof.tlogProof.indexOf('\n\n') + 2);
    const text = cp.slice(0, cp.indexOf('\n\n') + 1);
    const onlyWitness = { ...proof, tlogProof: proof.tlogProof.replace(cp, `${text}\n${cosignatureLine(text, witness, 1_700_000_000)}`) };
    expect(verifyProofOffline(onlyWitness, resource, [wkey])).toMatchObject({ ok: false, reason: 'checkpoint-signature' });
    expect(verifyProofOffline(onlyWitness, resource, [...vk, wkey])).toMatchObject({ ok: false, reason: 'checkpoint-signature' });
    // A bundle given as text hashes like the object: without its root id and meta.
    expect(documentHash('bundle', JSON.stringify({ resourceType: 'Bundle', id: 'x', meta: { versionId: '1' }, type: 'transaction' }))).toBe(
      documentHash('bundle', { resourceType: 'Bundle', type: 'transaction' }),
    );
    expect(commitment(leaf)).toHaveLength(32);
    expect(logIdOf('example.org/log')).toMatch(/^0x[0-9a-f]{64}$/);
  });
  it('accepts the served forms as-committed, redacted and derived, and no other', async () => {
    const proof = await proofAt(1, 4);
    for (const form of ['as-committed', 'redacted', 'derived']) {
      expect(parseProof({ ...proof, served: { form, note: 'n' } }).served).toEqual({ form, note: 'n' });
      expect(verifyProofOffline({ ...proof, served: { form, note: 'n' } }, resource)).toMatchObject({ ok: true });
    }
    expect(() => parseProof({ ...proof, served: { form: 'summarized', note: 'n' } })).toThrow(/served/);
  });
  it('checks consistency, forks and shrinking', () => {
    const all = leavesOf(20);
    const cp = (n: number, leaves = all) => signNote(formatCheckpoint({ origin: key.name, size: n, root: rootOf(leaves.slice(0, n)) }), key);
    const proofFor = async (m: number, n: number) => (await new TileTree(20, memoryTiles(all)).hashes(consistencyRanges(m, n))).map(b64);
    return (async () => {
      expect(verifyConsistencyOffline({ version: 'fhir-anchor-consistency/1', old: cp(7), new: cp(13), proof: await proofFor(7, 13) })).toMatchObject({
        ok: true,
      });
      const forked = [...all];
      forked[3] = leafHash(utf8('rewritten'));
      expect(verifyConsistencyOffline({ version: 'fhir-anchor-consistency/1', old: cp(7, forked), new: cp(13), proof: await proofFor(7, 13) })).toMatchObject({
        ok: false,
        reason: 'consistency',
      });
      expect(verifyConsistencyOffline({ version: 'fhir-anchor-consistency/1', old: cp(7, forked), new: cp(7), proof: [] })).toMatchObject({
        ok: false,
        reason: 'fork',
      });
      expect(verifyConsistencyOffline({ version: 'fhir-anchor-consistency/1', old: cp(13), new: cp(7), proof: [] })).toMatchObject({
        ok: false,
        reason: 'shrink',
      });
    })();
  });
});

describe('the sequencer’s tree edge', () => {
  it('computes the root of every size and writes the tiles a reader needs', async () => {
    const { TreeEdge, partialTiles } = await import('../../../bridge/log/edge');
    const all = leavesOf(70_000);
    const stored = new Map<string, Uint8Array>();
    let edge = new TreeEdge(0, []);
    const check = [1, 2, 255, 256, 257, 1000, 65_535, 65_536, 65_537, 70_000];
    for (let i = 0; i < all.length; i++) {
      edge.append(all[i]);
      if (check.includes(i + 1)) {
        for (const t of edge.takeDirty()) stored.set(`${t.level}/${t.index}`, t.hashes);
        expect(hex(await edge.root())).toBe(hex(rootOf(all, 0, i + 1)));
        const t = new TileTree(i + 1, async () => stored);
        expect(hex(await t.root())).toBe(hex(rootOf(all, 0, i + 1)));
        // Restarting from the stored partial tiles continues the same tree.
        const partials: Uint8Array[][] = [];
        for (const p of partialTiles(i + 1)) {
          const bytes = stored.get(`${p.level}/${p.index}`) as Uint8Array;
          partials[p.level] = Array.from({ length: p.width }, (_, k) => bytes.subarray(k * 32, k * 32 + 32));
        }
        for (let l = 0; l < partials.length; l++) partials[l] ??= [];
        edge = new TreeEdge(i + 1, partials);
      }
    }
    expect(partialTiles(70_000)).toEqual([
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ]);
  });
});

describe('the canonical text of leaf documents', () => {
  it('is exactly json-canonicalize’s for every shape', async () => {
    const { canonicalLeaf } = await import('../../../bridge/log/entry');
    const { canonicalize } = await import('json-canonicalize');
    const h = (s: string) => hex(sha256(utf8(s)));
    const docs: LeafDoc[] = [
      { log: 'fhir-anchor-log/1', kind: 'bundle', hash: h('a'), salt: h('b') },
      { log: 'fhir-anchor-log/1', kind: 'audit', hash: h('a'), salt: h('b') },
      { log: 'fhir-anchor-log/1', kind: 'audit', hash: h('a'), salt: h('b'), chain: { id: h('c'), seq: 1, prev: null } },
      { log: 'fhir-anchor-log/1', kind: 'audit', hash: h('a'), salt: h('b'), chain: { id: h('c'), seq: 12, prev: h('d') } },
      {
        log: 'fhir-anchor-log/1',
        kind: 'resource',
        hash: h('a'),
        salt: h('b'),
        clinic: '11111111-2222-4333-8444-555555555555',
        type: 'Observation',
        id: '3f8a9a52-6a44-4a51-9a43-1d2a6b6c8e10',
        version: 3,
      },
    ];
    for (const d of docs) expect(canonicalLeaf(d)).toBe(canonicalize(d));
    // Members the fast path does not know go through the reference implementation.
    const odd = { ...docs[0], extra: 'x' } as unknown as LeafDoc;
    expect(canonicalLeaf(odd)).toBe(canonicalize(odd));
  });
});

describe('TileTree batches', () => {
  it('answers a page of inclusion proofs in one call, shared siblings and tiles kept across calls, as the RFC computes them', async () => {
    const n = 70_000; // three tile levels, partial tiles at each
    const all = leavesOf(n);
    const fresh = memoryTiles(all);
    const kept = new Map<string, Uint8Array>(); // the same tile objects every call, as the log service's cache gives them
    let reads = 0;
    const cached: TileReader = async (ids) => {
      reads += 1;
      const missing = ids.filter((t) => !kept.has(`${t.level}/${t.index}`));
      for (const [k, v] of await fresh(missing)) kept.set(k, v);
      return kept;
    };
    const tree = new TileTree(n, cached);
    const root = rootOf(all);
    const leaves = [0, 1, 255, 256, 257, 4000, 4001, 65_535, 65_536, 69_998, 69_999, 4000];
    for (let round = 0; round < 2; round++) {
      const ranges = leaves.map((i) => inclusionRanges(i, n));
      const hashes = await tree.hashes(ranges.flat());
      let at = 0;
      for (const [j, i] of leaves.entries()) {
        const proof = hashes.slice(at, (at += ranges[j].length));
        expect(verifyInclusion(i, n, all[i], proof, root)).toBe(true);
        expect(verifyInclusion(i, n, all[(i + 1) % n], proof, root)).toBe(false);
      }
    }
    expect(reads).toBe(2); // one read per call
    // ranges neither complete nor on the right spine, asked twice, next to complete ones
    const odd = [
      { start: 3, end: 1000 },
      { start: 256, end: 512 },
      { start: 3, end: 1000 },
      { start: 0, end: 0 },
      { start: 70, end: 69_000 },
    ];
    const got = await tree.hashes(odd);
    expect(got.map(hex)).toEqual(odd.map((r) => hex(r.end > r.start ? rootOf(all.slice(r.start, r.end)) : EMPTY_ROOT)));
  });
});
