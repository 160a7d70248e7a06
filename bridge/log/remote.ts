/**
 * A client of a remote log served in the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles): its checkpoint and
 * the hash tiles a tree of a given size needs, so monitors and tests recompute roots and proofs themselves instead
 * of trusting a server's proof. Outbound HTTP only (global fetch), with a timeout.
 */
import { tilePath, TILE_WIDTH, partialWidth, tileKey, type TileReader } from './tiles';

export interface RemoteLog {
  /** The latest checkpoint note (with cosignatures). */
  checkpoint(): Promise<string>;
  /** The published checkpoint of `size`, or null when the log has none (404). */
  checkpointAt(size: number): Promise<string | null>;
  /** A tile reader for the tree of `size`: each tile at the width that tree has (tlog-tiles §Partial tiles). */
  tiles(size: number): TileReader;
}

/** Width of tile (level, index) in a tree of `size`: 256 when full, else the partial width (0: the tree has none). */
export function tileWidth(level: number, index: number, size: number): number {
  const full = Math.floor(size / TILE_WIDTH ** (level + 1));
  return index < full ? TILE_WIDTH : index === full ? partialWidth(level, size) : 0;
}

export function remoteLog(baseUrl: string, timeoutMs = 10_000): RemoteLog {
  const base = baseUrl.replace(/\/+$/, '');
  const get = async (path: string): Promise<Response> => {
    const res = await fetch(`${base}/log/${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`GET ${base}/log/${path}: HTTP ${res.status}`);
    return res;
  };
  return {
    checkpoint: async () => (await get('checkpoint')).text(),
    checkpointAt: async (size) => {
      const res = await fetch(`${base}/log/checkpoint/${size}`, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`GET ${base}/log/checkpoint/${size}: HTTP ${res.status}`);
      return res.text();
    },
    tiles: (size) => async (ids) => {
      const out = new Map<string, Uint8Array>();
      await Promise.all(
        ids.map(async (id) => {
          const width = tileWidth(id.level, id.index, size);
          if (!width) throw new Error(`a tree of ${size} has no tile ${tileKey(id.level, id.index)}`);
          const bytes = new Uint8Array(await (await get(tilePath({ level: id.level, index: id.index, width }))).arrayBuffer());
          if (bytes.length !== width * 32) throw new Error(`tile ${tileKey(id.level, id.index)} has ${bytes.length} bytes, expected ${width * 32}`);
          out.set(tileKey(id.level, id.index), bytes);
        }),
      );
      return out;
    },
  };
}
