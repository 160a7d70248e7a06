/**
 * The verifiable log as the rest of the bridge sees it: its identity (origin, key, on-chain log id), the sequencer,
 * and what readers are served: checkpoints, tiles, entry bundles, inclusion and consistency proofs. Who may have
 * which proof is decided in bridge/access/, never here.
 */
import type { Logger } from '../log';
import type { Db } from '../store/db';
import {
  acceptedRefs,
  checkpointAt,
  findLeaves,
  latestCheckpoint,
  latestCheckpoints,
  readCommitments,
  readTiles,
  type CheckpointRow,
  type LeafRow,
  type LogKind,
} from '../store/log';
import { b64, utf8 } from './bytes';
import { ed25519Sign } from './ed25519';
import { leafDocOf, type LeafDoc } from './entry';
import { defaultOrigin, loadOrCreateLogKey } from './key';
import { vkey, type SigningKey } from './note';
import { PAGE_ENTRY_VERSION, PAGE_PROOF_VERSION, type PageEntry, type PageProof } from './page-proof';
import { CONSISTENCY_VERSION, logIdOf, PROOF_VERSION, tlogProofText, type ConsistencyProof, type Proof } from './proof';
import { consistencyRanges, inclusionPaths, type Range } from './rfc9162';
import { createSequencer, type Sequencer } from './sequencer';
import { HASH_SIZE, TILE_WIDTH, TileTree, type TileReader } from './tiles';
import { createWitnessing, type WitnessConfig, type Witnessing, type WitnessStatus } from './witnessing';

export interface LogRef {
  kind: LogKind;
  id: string;
  version?: number | null;
  /** Its leaf, when read with the entry itself (a page's query joins them): null when it had none; else looked up. */
  leaf?: LeafRow | null;
}

export type ProofAnswer = Proof | { pending: true } | null;

/**
 * A proof before it is formatted, for pages that serialize many: `path` is the tlog-proof's hash lines, each base64
 * hash followed by the line end asked for (a string shared with the other proofs of the page where their paths meet).
 */
export interface ProofParts {
  leaf: LeafDoc;
  index: number;
  path: string;
  checkpoint: CheckpointRow;
}

export type PartsAnswer = ProofParts | { pending: true } | null;

/** The newest checkpoint and the newest anchored one (store/log.ts latestCheckpoints). */
export type ProvingCheckpoints = Awaited<ReturnType<typeof latestCheckpoints>>;

/** Proofs of a page with shared siblings (page-proof.ts): one page proof per checkpoint, and each entry's part. */
export interface PageProofs {
  pages: PageProof[];
  entries: (PageEntry | { pending: true } | null)[];
}

export interface LogService {
  readonly origin: string;
  /** C2SP verifier key of the log (`<origin>+<key id>+<key>`). */
  readonly vkey: string;
  readonly publicKey: Uint8Array;
  /** keccak256(origin): the log's id in AnchorRegistry. */
  readonly logId: string;
  checkpoint(): Promise<CheckpointRow | null>;
  checkpointAt(size: number): Promise<CheckpointRow | null>;
  /** Proof of one entry: null when the bridge has no such entry, pending while it waits for the next checkpoint. */
  proof(ref: LogRef): Promise<ProofAnswer>;
  /** Proofs of many entries (one leaf query, one tile read per checkpoint), in the order asked. */
  proofs(refs: readonly LogRef[]): Promise<ProofAnswer[]>;
  /**
   * proofs() unformatted, hash lines ending with `lineEnd` (default a newline; `\\n` for text that goes inside a JSON
   * string), against the checkpoints `at` (default: read now; a page's lookups share one read begun with the page).
   */
  proofParts(refs: readonly LogRef[], lineEnd?: string, at?: Promise<ProvingCheckpoints>): Promise<PartsAnswer[]>;
  /** proofs() of a page with each distinct sibling once (`fhir-anchor-page-proof/1`), against the checkpoints `at` (as proofParts). */
  pageProofs(refs: readonly LogRef[], at?: Promise<ProvingCheckpoints>): Promise<PageProofs>;
  /** The checkpoints proofs are made to (the newest, and the newest anchored), read once for the lookups of one page. */
  provingCheckpoints(): Promise<ProvingCheckpoints>;
  /** RFC 9162 consistency proof between two published checkpoints (null when either was never published). */
  consistency(oldSize: number, newSize: number): Promise<ConsistencyProof | null>;
  /** Hash tile bytes at the given width (null when the tree has no such tile yet). */
  tile(level: number, index: number, width: number): Promise<Uint8Array | null>;
  /** Entry bundle bytes (C2SP tlog-tiles: uint16-length-prefixed entries). */
  entries(index: number, width: number): Promise<Uint8Array | null>;
  /** A signed note over `text` with the log key (C2SP signed-note). */
  signingKey: SigningKey;
  /** Compact JWS (RFC 7515, alg EdDSA) over `payload` with the log key. */
  signJws(payload: Uint8Array, header?: Record<string, unknown>): string;
  /** The log key as a public JWK (RFC 8037, OKP Ed25519), kid = its C2SP key id. */
  jwk(): Record<string, string>;
  /** Resolves when every witness submission in flight has ended. */
  witnessed(): Promise<void>;
  /** Per witness (LOG_WITNESSES), the largest size it cosigned since this process started. */
  witnesses(): WitnessStatus[];
  /** Integrates what is queued now (tests, CLI); the sequencer does it every interval anyway. */
  integrate(): Promise<number | undefined>;
  start(): void;
  close(): Promise<void>;
}

export interface LogServiceOptions {
  db: Db;
  log: Logger;
  keyFile: string;
  origin?: string;
  intervalMs: number;
  onCheckpoint?: (size: number) => void;
  /** Witnesses to submit each checkpoint to (LOG_WITNESSES); their cosignatures are kept with it. */
  witnesses?: readonly WitnessConfig[];
  /** Tiles kept in memory, partial ones too (the hashes a tile holds never change); default 4,096 (up to 32 MiB). */
  tileCacheSize?: number;
}

const b64url = (b: Uint8Array): string => b64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const leafDoc = (l: LeafRow): LeafDoc => leafDocOf(l, l.salt as string, l.chainId ? { id: l.chainId, seq: l.chainSeq as number, prev: l.chainPrev } : null);

/** The on-chain anchor of a checkpoint, null until its anchoring is confirmed. */
export const checkpointAnchor = (c: CheckpointRow): Proof['anchor'] =>
  c.status === 'confirmed' && c.chainId && c.contract && c.logId && c.txHash && c.blockNumber !== null
    ? { chainId: Number(c.chainId), contract: c.contract, logId: c.logId, treeSize: c.size, txHash: c.txHash, blockNumber: c.blockNumber }
    : null;

export function createLogService(o: LogServiceOptions): LogService {
  const key = loadOrCreateLogKey(o.keyFile);
  const origin = o.origin ?? defaultOrigin(key.publicKey);
  const signingKey: SigningKey = { name: origin, seed: key.seed };
  const verifierKey = vkey(origin, key.publicKey);
  const kid = verifierKey.split('+')[1];
  const cacheSize = o.tileCacheSize ?? 4096;
  // Tiles as read, partial ones too: the first W hashes of a tile never change (append-only), so a cached tile
  // answers any request for at most its width; the right-edge tiles every proof needs stay in memory with the node
  // hashes tiles.ts memoizes on them. Map order is recency: a hit moves to the end, the oldest goes first.
  const tileCache = new Map<string, Uint8Array>();

  /** Tiles from the cache and the database, one query for the misses. */
  const readTile: TileReader = async (ids) => {
    const out = new Map<string, Uint8Array>();
    const missing: typeof ids = [];
    for (const id of ids) {
      const key = `${id.level}/${id.index}`;
      const hit = tileCache.get(key);
      if (hit && hit.length >= (id.width ?? TILE_WIDTH) * HASH_SIZE) {
        out.set(key, hit);
        tileCache.delete(key);
        tileCache.set(key, hit);
      } else missing.push(id);
    }
    const read = await readTiles(o.db, missing);
    for (const [k, v] of read) {
      out.set(k, v);
      tileCache.delete(k);
      if (tileCache.size >= cacheSize) tileCache.delete(tileCache.keys().next().value as string);
      tileCache.set(k, v);
    }
    return out;
  };

  let witnessing: Witnessing | undefined;
  const onCheckpoint = (size: number): void => {
    o.onCheckpoint?.(size);
    witnessing?.submit(size);
  };
  const sequencer: Sequencer = createSequencer({ db: o.db, log: o.log, key: signingKey, intervalMs: o.intervalMs, onCheckpoint });

  /**
   * The leaves of `refs`, each with the checkpoint it is proven to (the newest anchored one that holds it, else the
   * newest), grouped by checkpoint with each group's distinct sibling hashes (one descent, one tile read); `pending`
   * for what is accepted but in no checkpoint yet.
   */
  async function prove(refs: readonly LogRef[], at: Promise<ProvingCheckpoints> = latestCheckpoints(o.db)) {
    const unread = refs.filter((r) => r.leaf === undefined);
    const [leaves, shared] = await Promise.all([unread.length ? findLeaves(o.db, unread) : [], at]);
    // Checkpoints read before a leaf was (a page's, shared): a leaf they do not hold may be in a newer one, not pending.
    const beyond = (l: LeafRow | null | undefined) => !!l && l.leafIndex >= (shared.latest?.size ?? 0);
    const { latest, anchored } = leaves.some(beyond) || refs.some((r) => beyond(r.leaf)) ? await latestCheckpoints(o.db) : shared;
    const byRef = new Map(leaves.map((l) => [`${l.kind}/${l.refId}/${l.version ?? 0}`, l]));
    const groups = new Map<number, { cp: CheckpointRow; leaves: Map<number, LeafRow>; indices: number[]; siblings: Uint8Array[] }>();
    const plan = refs.map((r) => {
      const leaf = r.leaf === undefined ? byRef.get(`${r.kind}/${r.id}/${r.version ?? 0}`) : (r.leaf ?? undefined);
      const cp = !leaf ? undefined : anchored && leaf.leafIndex < anchored.size ? anchored : latest && leaf.leafIndex < latest.size ? latest : undefined;
      // Erased salt: nothing left to prove.
      if (leaf?.salt && cp) {
        const g = groups.get(cp.size) ?? { cp, leaves: new Map(), indices: [], siblings: [] };
        g.leaves.set(leaf.leafIndex, leaf);
        groups.set(cp.size, g);
      }
      return { leaf: leaf?.salt ? leaf : undefined, cp, erased: !!leaf && !leaf.salt };
    });
    for (const g of groups.values()) {
      g.indices = [...g.leaves.keys()].sort((x, y) => x - y);
      const ranges: Range[] = [];
      inclusionPaths(g.indices, g.cp.size, (r) => (ranges.push(r), ''));
      g.siblings = await new TileTree(g.cp.size, readTile).hashes(ranges);
    }
    const unlogged = refs.filter((_, i) => !plan[i].leaf && !plan[i].erased);
    const queued = await acceptedRefs(o.db, unlogged);
    const pending = plan.map(
      (p, i) => !p.erased && !(p.leaf && p.cp) && (!!p.leaf || queued.has(`${refs[i].kind}/${refs[i].id.toLowerCase()}/${refs[i].version ?? 0}`)),
    );
    return { plan, groups, pending };
  }

  async function proofParts(refs: readonly LogRef[], lineEnd = '\n', at?: Promise<ProvingCheckpoints>): Promise<PartsAnswer[]> {
    if (!refs.length) return [];
    const { plan, groups, pending } = await prove(refs, at);
    const paths = new Map<string, string>(); // `${size}/${index}` → the proof's hash lines
    for (const g of groups.values()) {
      // The descent again, now emitting each sibling's line: paths that meet share the text above.
      const lines = g.siblings.map((h) => b64(h) + lineEnd);
      let next = 0;
      inclusionPaths(g.indices, g.cp.size, () => lines[next++]).forEach((text, i) => paths.set(`${g.cp.size}/${g.indices[i]}`, text));
    }
    return plan.map(({ leaf, cp }, i) =>
      leaf && cp
        ? { leaf: leafDoc(leaf), index: leaf.leafIndex, path: paths.get(`${cp.size}/${leaf.leafIndex}`) as string, checkpoint: cp }
        : pending[i]
          ? { pending: true }
          : null,
    );
  }

  async function pageProofs(refs: readonly LogRef[], at?: Promise<ProvingCheckpoints>): Promise<PageProofs> {
    if (!refs.length) return { pages: [], entries: [] };
    const { plan, groups, pending } = await prove(refs, at);
    const order = [...groups.keys()];
    return {
      pages: [...groups.values()].map((g) => ({
        version: PAGE_PROOF_VERSION,
        checkpoint: g.cp.note,
        anchor: checkpointAnchor(g.cp),
        indices: g.indices,
        hashes: g.siblings.map(b64),
      })),
      entries: plan.map(({ leaf, cp }, i) =>
        leaf && cp
          ? { version: PAGE_ENTRY_VERSION, leaf: leafDoc(leaf), index: leaf.leafIndex, page: order.indexOf(cp.size) }
          : pending[i]
            ? { pending: true }
            : null,
      ),
    };
  }

  async function proofs(refs: readonly LogRef[]): Promise<ProofAnswer[]> {
    return (await proofParts(refs)).map((p) =>
      p && 'leaf' in p
        ? {
            version: PROOF_VERSION,
            leaf: p.leaf,
            tlogProof: tlogProofText(p.index, p.path, p.checkpoint.note),
            anchor: checkpointAnchor(p.checkpoint),
          }
        : p,
    );
  }

  async function consistency(oldSize: number, newSize: number): Promise<ConsistencyProof | null> {
    const [a, b] = await Promise.all([checkpointAt(o.db, oldSize), checkpointAt(o.db, newSize)]);
    if (!a || !b || oldSize > newSize) return null;
    const hashes = await new TileTree(newSize, readTile).hashes(consistencyRanges(oldSize, newSize));
    return { version: CONSISTENCY_VERSION, old: a.note, new: b.note, proof: hashes.map(b64) };
  }
  if (o.witnesses?.length) witnessing = createWitnessing({ db: o.db, log: o.log, witnesses: o.witnesses, consistency });

  return {
    origin,
    vkey: verifierKey,
    publicKey: key.publicKey,
    logId: logIdOf(origin),
    signingKey,
    checkpoint: () => latestCheckpoint(o.db),
    checkpointAt: (size) => checkpointAt(o.db, size),
    proof: async (ref) => (await proofs([ref]))[0],
    proofs,
    proofParts,
    pageProofs,
    provingCheckpoints: () => latestCheckpoints(o.db),
    consistency,
    async tile(level, index, width) {
      const t = (await readTile([{ level, index, width }])).get(`${level}/${index}`);
      return t && t.length >= width * 32 ? t.subarray(0, width * 32) : null;
    },
    async entries(index, width) {
      const c = await readCommitments(o.db, index * TILE_WIDTH, index * TILE_WIDTH + width);
      if (c.length < width) return null;
      const out = new Uint8Array(width * 34);
      c.forEach((e, i) => {
        out[i * 34] = 0;
        out[i * 34 + 1] = e.length;
        out.set(e, i * 34 + 2);
      });
      return out;
    },
    signJws(payload, header = {}) {
      const h = b64url(utf8(JSON.stringify({ alg: 'EdDSA', kid, ...header })));
      const input = `${h}.${b64url(payload)}`;
      return `${input}.${b64url(ed25519Sign(key.seed, utf8(input)))}`;
    },
    jwk: () => ({ kty: 'OKP', crv: 'Ed25519', x: b64url(key.publicKey), kid, alg: 'EdDSA', use: 'sig' }),
    witnessed: async () => witnessing?.idle(),
    witnesses: () => witnessing?.status() ?? [],
    integrate: () => sequencer.integrate(),
    start: () => sequencer.start(),
    close: async () => {
      await sequencer.stop();
      await witnessing?.idle();
    },
  };
}
