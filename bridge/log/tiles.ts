/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile paths, and Merkle Tree Hashes of any subtree computed from
 * stored hash tiles. Pure apart from the tile reader it is given.
 *
 * Tile (L, N) holds MTH(D[(N*256 + i) * 256^L : (N*256 + i + 1) * 256^L]) for i < width: the hashes of tree level 8L.
 * A complete subtree of height h = 8L + r is rebuilt from 2^r consecutive hashes of one level-L tile.
 */
import { combineSubtrees, completeSubtrees, EMPTY_ROOT, nodeHash, type Range } from './rfc9162';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const HASH_SIZE = 32;

export interface TileId {
  /** Level, or 'entries' for an entry bundle. */
  level: number | 'entries';
  index: number;
  /** 1–256; 256 is a full tile. */
  width: number;
}

export const tileKey = (level: number, index: number): string => `${level}/${index}`;

/** `<N>` of a tile path: zero-padded 3-digit elements, all but the last prefixed with `x` (1234067 → x001/x234/067). */
export function encodeIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad tile index ${index}`);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`. */
export function tilePath(t: TileId): string {
  if (!Number.isInteger(t.width) || t.width < 1 || t.width > TILE_WIDTH) throw new RangeError(`bad tile width ${t.width}`);
  return `tile/${t.level}/${encodeIndex(t.index)}${t.width < TILE_WIDTH ? `.p/${t.width}` : ''}`;
}

const ELEMENT = /^x\d{3}$/;

/** Parses the part of a URL after `tile/`; null for anything the spec does not allow (leading zeros, width 0 or 256, level > 63 …). */
export function parseTilePath(path: string): TileId | null {
  const parts = path.split('/');
  const levelText = parts.shift() ?? '';
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (/^(0|[1-9]\d?)$/.test(levelText) && Number(levelText) <= 63) level = Number(levelText);
  else return null;
  let width = TILE_WIDTH;
  // A partial tile ends `<last element>.p/<W>`.
  if (parts.length >= 2 && parts[parts.length - 2].endsWith('.p')) {
    const w = parts.pop() as string;
    if (!/^[1-9]\d{0,2}$/.test(w) || Number(w) > 255) return null;
    width = Number(w);
    parts[parts.length - 1] = parts[parts.length - 1].slice(0, -2);
  }
  if (!parts.length || parts.length > 6) return null;
  for (let i = 0; i < parts.length - 1; i++) if (!ELEMENT.test(parts[i])) return null;
  if (!/^\d{3}$/.test(parts[parts.length - 1])) return null;
  // Canonical: no leading `x000` group (index 5 is `005`, never `x000/005`).
  if (parts.length > 1 && parts[0] === 'x000') return null;
  const index = Number(parts.map((e) => e.replace('x', '')).join(''));
  return Number.isSafeInteger(index) ? { level, index, width } : null;
}

/** Width of the partial tile of `level` in a tree of `size` (0: no partial tile): floor(size / 256^level) mod 256. */
export function partialWidth(level: number, size: number): number {
  return Math.floor(size / TILE_WIDTH ** level) % TILE_WIDTH;
}

/**
 * Reads tiles by key `level/index`; a tile may be wider than asked (a later, wider partial or the full tile).
 * `width` is how many hashes the caller needs (a cache may answer with any tile at least that wide: the first W hashes
 * of a tile never change once written, the log being append-only).
 */
export type TileReader = (tiles: { level: number; index: number; width?: number }[]) => Promise<Map<string, Uint8Array>>;

/** Where the hashes of a complete subtree (tree level h, index k) come from: one level-L tile and a hash span in it. */
function source(h: number, k: number): { level: number; index: number; first: number; count: number } {
  const level = Math.floor(h / TILE_HEIGHT);
  const r = h - level * TILE_HEIGHT;
  const first = k * 2 ** r; // index among the level-8L hashes
  return { level, index: Math.floor(first / TILE_WIDTH), first: first % TILE_WIDTH, count: 2 ** r };
}

/**
 * Node hashes inside tiles, memoized on the tile object itself: node (r, i) = MTH of the tile's hashes
 * [i·2^r, (i+1)·2^r), r = 1..7, kept in one flat array per tile (254 nodes) with a byte per node saying whether it is
 * computed. Complete subtrees never change in an append-only log, so a tile the caller keeps (the log service's tile
 * cache) keeps its nodes, and a page of proofs folds each shared sibling once instead of once per proof. One buffer
 * per tile, not a WeakMap of hundreds of small arrays: the collector sees two objects where it would trace many.
 */
const NODES = Symbol('tile nodes');
type MemoTile = Uint8Array & { [NODES]?: { hashes: Uint8Array; done: Uint8Array } };
const MEMO_NODES = TILE_WIDTH - 2; // 128 + 64 + … + 2 nodes for r = 1..7
/** Index of node (r, i) in the flat memo: the nodes of r = 1 first, then r = 2 … */
const memoIndex = (r: number, i: number): number => TILE_WIDTH - (TILE_WIDTH >> (r - 1)) + i;

/** MTH of the `count` (a power of two) consecutive hashes of `tile` starting at `first` (a multiple of `count`). */
function subtreeOf(tile: MemoTile, first: number, count: number): Uint8Array {
  const memo = (tile[NODES] ??= { hashes: new Uint8Array(MEMO_NODES * HASH_SIZE), done: new Uint8Array(MEMO_NODES) });
  const node = (r: number, i: number): Uint8Array => {
    if (r === 0) return tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    const at = memoIndex(r, i);
    const slot = memo.hashes.subarray(at * HASH_SIZE, (at + 1) * HASH_SIZE);
    if (!memo.done[at]) {
      slot.set(nodeHash(node(r - 1, 2 * i), node(r - 1, 2 * i + 1)));
      memo.done[at] = 1;
    }
    return slot;
  };
  return node(Math.log2(count), first / count);
}

/**
 * A cheap key per range: a complete subtree (height h, index k) is k·64 + h; a range ending at the tree size (the
 * right spine, where proofs' other ranges lie) is −1 − start; anything else its text.
 */
function rangeKey(r: Range, size: number): number | string {
  const n = r.end - r.start;
  const h = Math.log2(n);
  if (Number.isInteger(h) && 2 ** h === n && r.start % n === 0) return (r.start / n) * 64 + h;
  return r.end === size ? -1 - r.start : `${r.start}-${r.end}`;
}

/** Merkle Tree Hashes of subtrees of a tree of `size`, computed from tiles fetched in one read per call. */
export class TileTree {
  constructor(
    readonly size: number,
    private readonly read: TileReader,
  ) {}

  /**
   * MTH(D[start:end]) for each range, in order (every tile needed is read once, in a single reader call; a range
   * asked for twice, as the upper siblings of a page of inclusion proofs are, is computed once and answered with the
   * same array).
   */
  async hashes(ranges: readonly Range[]): Promise<Uint8Array[]> {
    const keys: (number | string)[] = new Array(ranges.length);
    const unique = new Map<number | string, { range: Range; plan: ReturnType<typeof source>[]; hash?: Uint8Array }>();
    for (const [i, r] of ranges.entries()) {
      if (r.start < 0 || r.end > this.size || r.start > r.end) throw new RangeError(`range [${r.start}, ${r.end}) outside a tree of ${this.size}`);
      const key = rangeKey(r, this.size);
      keys[i] = key;
      if (!unique.has(key)) unique.set(key, { range: r, plan: completeSubtrees(r.start, r.end).map((t) => source(t.level, t.index)) });
    }
    const wanted = new Map<string, { level: number; index: number; width: number }>();
    for (const u of unique.values())
      for (const t of u.plan) {
        const key = tileKey(t.level, t.index);
        const w = wanted.get(key);
        if (!w) wanted.set(key, { level: t.level, index: t.index, width: t.first + t.count });
        else if (w.width < t.first + t.count) w.width = t.first + t.count;
      }
    const tiles = wanted.size ? await this.read([...wanted.values()]) : new Map<string, Uint8Array>();
    for (const u of unique.values()) {
      const subtrees = u.plan.map((t) => {
        const tile = tiles.get(tileKey(t.level, t.index));
        if (!tile || tile.length < (t.first + t.count) * HASH_SIZE) throw new Error(`tile ${tileKey(t.level, t.index)} is missing or too short`);
        return subtreeOf(tile, t.first, t.count);
      });
      u.hash = combineSubtrees(u.range.start, u.range.end, subtrees);
    }
    return keys.map((k) => unique.get(k)?.hash as Uint8Array);
  }

  async hash(range: Range): Promise<Uint8Array> {
    return (await this.hashes([range]))[0];
  }

  async root(): Promise<Uint8Array> {
    return this.size === 0 ? EMPTY_ROOT : this.hash({ start: 0, end: this.size });
  }
}
