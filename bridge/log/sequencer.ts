/**
 * The sequencer (Trillian Tessera's "integration" step): takes queued entries in order, gives them the next leaf
 * indexes, builds their leaf documents (linking audit entries into each person's hash chain), updates the hash
 * tiles and publishes one signed checkpoint per integration, all in one transaction under the sequencer lock.
 * Runs every CHECKPOINT_INTERVAL_MS while entries wait, so a checkpoint follows an append within that interval.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../log';
import {
  claimQueued,
  logSize,
  queuedCount,
  readPersonChains,
  readTiles,
  saveIntegration,
  withSequencer,
  type IntegratedLeaf,
  type PersonChain,
  type QueueRow,
} from '../store/log';
import type { Db, Tx } from '../store/db';
import { hex } from './bytes';
import { partialTiles, TreeEdge } from './edge';
import { commitment, leafDocOf, type LeafDoc } from './entry';
import { formatCheckpoint, signNote, type SigningKey } from './note';
import { leafHash } from './rfc9162';
import { HASH_SIZE } from './tiles';

/** Leaves built between two turns of the event loop (about 5 ms of work). */
const YIELD_EVERY = 512;

export interface SequencerOptions {
  db: Db;
  log: Logger;
  key: SigningKey;
  intervalMs: number;
  /** Most entries per integration transaction (default 20,000). */
  maxLeaves?: number;
  /** Called after each published checkpoint (e.g. to wake the anchorer). */
  onCheckpoint?: (size: number) => void;
}

export interface Sequencer {
  start(): void;
  stop(): Promise<void>;
  /** Integrates everything queued now; resolves with the tree size (undefined when another process holds the lock). */
  integrate(): Promise<number | undefined>;
}

/**
 * The leaf document of a queued entry with its salt; an audit entry about a person gets the next link of that
 * person's chain in `chains`, which this advances.
 */
export function queuedLeafDoc(q: QueueRow, salt: string, chains: Map<string, PersonChain>): { doc: LeafDoc; chain: IntegratedLeaf['chain'] } {
  if (q.kind !== 'audit' || !q.personId) return { doc: leafDocOf(q, salt), chain: null };
  let c = chains.get(q.personId);
  if (!c) {
    c = { personId: q.personId, chainId: randomBytes(32), seq: 0, head: Buffer.alloc(0) };
    chains.set(q.personId, c);
  }
  const link = { id: c.chainId, seq: c.seq + 1, prev: c.seq ? c.head : null };
  return { doc: leafDocOf(q, salt, { id: hex(link.id), seq: link.seq, prev: link.prev ? hex(link.prev) : null }), chain: link };
}

async function loadEdge(tx: Tx, size: number): Promise<TreeEdge> {
  const wanted = partialTiles(size);
  const tiles = await readTiles(tx, wanted);
  const partials: Uint8Array[][] = [];
  for (const p of wanted) {
    const bytes = tiles.get(`${p.level}/${p.index}`);
    if (!bytes || bytes.length < p.width * HASH_SIZE) throw new Error(`log tile ${p.level}/${p.index} is missing: the tree cannot grow`);
    partials[p.level] = Array.from({ length: p.width }, (_, i) => bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }
  for (let l = 0; l < partials.length; l++) partials[l] ??= [];
  return new TreeEdge(size, partials);
}

export function createSequencer(o: SequencerOptions): Sequencer {
  const maxLeaves = o.maxLeaves ?? 20_000;
  let edge: TreeEdge | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopping = false;

  /** One transaction: up to maxLeaves entries, their tiles and chains, one checkpoint. */
  async function integrateChunk(): Promise<{ size: number; added: number } | undefined> {
    return withSequencer(o.db, async (tx) => {
      const size = await logSize(tx);
      // Another process may have integrated since: the cached edge is only good for the size it was built at.
      if (!edge || edge.size !== size) edge = await loadEdge(tx, size);
      const queued = await claimQueued(tx, maxLeaves);
      if (!queued.length) return { size, added: 0 };
      const chains = await readPersonChains(tx, [...new Set(queued.flatMap((q) => (q.kind === 'audit' && q.personId ? [q.personId] : [])))]);
      const touched = new Set<string>();
      const leaves: IntegratedLeaf[] = [];
      const working = edge;
      try {
        // One draw for the salts of every entry queued without one (all but those from before migration 025).
        const drawnSalts = randomBytes(32 * queued.length);
        const salts = drawnSalts.toString('hex');
        for (let i = 0; i < queued.length; i++) {
          // The sequencer runs on the HTTP thread: a chunk of 20,000 leaves is ~200 ms of hashing, so it lets the
          // event loop receive and answer requests between slices instead of stalling every push for that long.
          if (i % YIELD_EVERY === YIELD_EVERY - 1) await nextTurn();
          const q = queued[i];
          const drawn = q.salt ? undefined : salts.slice(i * 64, i * 64 + 64);
          const { doc, chain } = queuedLeafDoc(q, q.salt ?? `0x${drawn}`, chains);
          const entry = commitment(doc);
          if (chain && q.personId) {
            const c = chains.get(q.personId) as PersonChain;
            c.seq = chain.seq;
            c.head = Buffer.from(entry);
            touched.add(q.personId);
          }
          working.append(leafHash(entry));
          leaves.push({ entry: q, commitment: entry, chain });
        }
        const root = await working.root();
        const note = signNote(formatCheckpoint({ origin: o.key.name, size: working.size, root }), o.key);
        await saveIntegration(tx, {
          firstLeafIndex: size,
          leaves,
          drawnSalts,
          tiles: working.takeDirty(),
          chains: [...touched].map((p) => chains.get(p) as PersonChain),
          checkpoint: { size: working.size, root, note },
        });
        return { size: working.size, added: leaves.length };
      } catch (e) {
        edge = undefined; // half-applied in memory: rebuild from the database next time
        throw e;
      }
    }).catch((e: unknown) => {
      edge = undefined;
      throw e;
    });
  }

  async function integrate(): Promise<number | undefined> {
    let size: number | undefined;
    for (;;) {
      const started = performance.now();
      const r = await integrateChunk();
      if (!r) return size;
      size = r.size;
      if (!r.added) return size;
      o.log.debug({ size: r.size, added: r.added, ms: Math.round(performance.now() - started) }, 'log checkpoint published');
      o.onCheckpoint?.(r.size);
      if (r.added < maxLeaves || stopping) return size;
    }
  }

  const tick = (): void => {
    running = (async () => {
      try {
        if (await queuedCount(o.db)) await integrate();
      } catch (e) {
        o.log.error({ err: (e as Error).message }, 'log integration failed; retrying');
      }
    })().finally(() => {
      if (!stopping) timer = setTimeout(tick, o.intervalMs);
    });
  };

  return {
    start() {
      if (timer || stopping) return;
      timer = setTimeout(tick, o.intervalMs);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    integrate: () => {
      const run = running.then(integrate, integrate);
      running = run.catch(() => undefined);
      return run;
    },
  };
}
