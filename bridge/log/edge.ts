/**
 * The right edge of the tree as the sequencer keeps it in memory: at each tile level, the hashes of the partial tile
 * (C2SP tlog-tiles). Appending leaf hashes fills level 0; a full tile's root goes up a level. That is everything
 * needed to compute the root of the current size, and the tiles each integration must write back. Pure.
 */
import { rootOf } from './rfc9162';
import { HASH_SIZE, partialWidth, TileTree, TILE_WIDTH, tileKey } from './tiles';

export interface TileWrite {
  level: number;
  index: number;
  hashes: Uint8Array;
}

const pack = (hs: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(hs.length * HASH_SIZE);
  hs.forEach((h, i) => out.set(h, i * HASH_SIZE));
  return out;
};

export class TreeEdge {
  private levels: Uint8Array[][];
  private dirty = new Map<string, TileWrite>();

  /** `partials[L]`: the hashes of the partial tile of level L at `size` (see {@link partialTiles}). */
  constructor(
    public size: number,
    partials: Uint8Array[][],
  ) {
    this.levels = partials.map((p) => [...p]);
    for (let l = 0; TILE_WIDTH ** l <= Math.max(size, 1); l++) {
      if ((this.levels[l]?.length ?? 0) !== partialWidth(l, size))
        throw new Error(`tile level ${l}: ${this.levels[l]?.length ?? 0} hashes, expected ${partialWidth(l, size)}`);
    }
  }

  /** Index of the tile at `level` that holds that level's next hash (the hash number floor(size / 256^level)). */
  private tileIndex(level: number): number {
    return Math.floor(Math.floor(this.size / TILE_WIDTH ** level) / TILE_WIDTH);
  }

  append(leafHash: Uint8Array): void {
    let h = leafHash;
    for (let level = 0; ; level++) {
      const tiles = (this.levels[level] ??= []);
      const index = this.tileIndex(level);
      tiles.push(h);
      if (tiles.length < TILE_WIDTH) {
        this.dirty.set(tileKey(level, index), { level, index, hashes: pack(tiles) });
        break;
      }
      this.dirty.set(tileKey(level, index), { level, index, hashes: pack(tiles) });
      h = rootOf(tiles);
      this.levels[level] = [];
      // The full tile's root is the next hash of the level above (tileIndex still counts with the size before this leaf).
    }
    this.size += 1;
  }

  /** Tiles changed since the last call (full tiles once, partial ones at their current width). */
  takeDirty(): TileWrite[] {
    const out = [...this.dirty.values()];
    this.dirty.clear();
    return out;
  }

  /** MTH of the current size, from the partial tiles only (they hold every subtree of the size's decomposition). */
  async root(): Promise<Uint8Array> {
    const tiles = new Map<string, Uint8Array>();
    this.levels.forEach((hs, level) => {
      if (hs.length) tiles.set(tileKey(level, this.tileIndex(level)), pack(hs));
    });
    return new TileTree(this.size, async () => tiles).root();
  }
}

/** Which partial tiles a tree of `size` has: `{ level, index, width }` for each level with one. */
export function partialTiles(size: number): { level: number; index: number; width: number }[] {
  const out: { level: number; index: number; width: number }[] = [];
  for (let l = 0; TILE_WIDTH ** l <= size; l++) {
    const width = partialWidth(l, size);
    if (width) out.push({ level: l, index: Math.floor(size / TILE_WIDTH ** (l + 1)), width });
  }
  return out;
}
