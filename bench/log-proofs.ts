/**
 * Verifiable-log proof benchmark: inclusion and consistency proof generation latency against a log of
 * BENCH_LOG_PROOFS_LEAVES (10,000,000) leaves stored in PostgreSQL. Integrating 10M real entries would take minutes,
 * so the hash tiles are written directly with a binary COPY: random level-0 (leaf) hashes, the upper levels computed
 * from them as C2SP tlog-tiles defines them; that is exactly what proof generation reads. The leaves proven are real:
 * BENCH_LOG_PROOFS_ROUNDS (1,000) + 1,000 random indices and a run of 1,000 consecutive ones get a leaf document, a log_leaf row and its leaf hash in the
 * tile, and checkpoints are signed at 10M and at 1,000 random sizes, so every proof timed verifies offline.
 * Times the service (LogService.proof / proofs / consistency; cold = a fresh service, its full-tile cache empty; warm =
 * the same requests again) and the proof code alone (TileTree over store readTiles, no cache). Prints p50/p99;
 * asserts nothing.
 *
 *   npm run bench -- log-proofs
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_LOG_PROOFS_LEAVES, BENCH_LOG_PROOFS_ROUNDS.
 */
import { createHash, randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger } from '../bridge/log';
import { hex } from '../bridge/log/bytes';
import { commitment, LOG_FORMAT, type ResourceLeaf } from '../bridge/log/entry';
import { defaultOrigin, loadOrCreateLogKey } from '../bridge/log/key';
import { formatCheckpoint, parseVkey, signNote } from '../bridge/log/note';
import { verifyConsistencyOffline, verifyProofOffline, type Proof } from '../bridge/log/proof';
import { consistencyRanges, inclusionRanges, leafHash } from '../bridge/log/rfc9162';
import { createLogService, type LogService } from '../bridge/log/service';
import { TileTree, type TileReader } from '../bridge/log/tiles';
import { createPool } from '../bridge/store/db';
import { readTiles } from '../bridge/store/log';
import { runMigrations } from '../bridge/store/migrate';
import { freshDatabase } from './database';
import { pct } from './stats';

const LEAVES = Number(process.env.BENCH_LOG_PROOFS_LEAVES ?? 10_000_000);
const ROUNDS = Number(process.env.BENCH_LOG_PROOFS_ROUNDS ?? 1_000);
const CHECKPOINTS = 1_000;
const PAGE = 1_000;
const W = 256;

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const randomInt = (n: number): number => randomBytes(6).readUIntBE(0, 6) % n;

/** The hashes of one tree level as one buffer (32 bytes each). */
type Level = Buffer;

/** MTH of 256 consecutive hashes (a full tile), pairwise (RFC 9162 §2.1.1 over a power of two). */
function fullTileRoot(tile: Buffer): Buffer {
  let layer: Buffer[] = [];
  for (let i = 0; i < W; i++) layer.push(tile.subarray(i * 32, i * 32 + 32));
  while (layer.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 2)
      next.push(
        createHash('sha256')
          .update(Buffer.of(1))
          .update(layer[i])
          .update(layer[i + 1])
          .digest(),
      );
    layer = next;
  }
  return layer[0];
}

/** Tile levels of the tree: level L holds MTH of each full 256^L-leaf subtree (C2SP tlog-tiles). */
function buildLevels(level0: Level): Level[] {
  const levels = [level0];
  for (;;) {
    const below = levels[levels.length - 1];
    const fullTiles = Math.floor(below.length / 32 / W);
    if (fullTiles === 0) return levels;
    const up = Buffer.alloc(fullTiles * 32);
    for (let t = 0; t < fullTiles; t++) fullTileRoot(below.subarray(t * W * 32, (t + 1) * W * 32)).copy(up, t * 32);
    levels.push(up);
  }
}

/** Binary COPY rows of log_tile (level int2, idx int8, hashes bytea), 64 tiles a chunk. */
function* copyChunks(levels: Level[]): Generator<Buffer> {
  const header = Buffer.alloc(19);
  header.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  yield header; // flags and header-extension length are 0
  for (const [level, hashes] of levels.entries()) {
    const tiles = Math.ceil(hashes.length / 32 / W);
    for (let first = 0; first < tiles; first += 64) {
      const parts: Buffer[] = [];
      for (let idx = first; idx < Math.min(tiles, first + 64); idx++) {
        const data = hashes.subarray(idx * W * 32, Math.min(hashes.length, (idx + 1) * W * 32));
        const row = Buffer.alloc(2 + 4 + 2 + 4 + 8 + 4);
        row.writeInt16BE(3, 0);
        row.writeInt32BE(2, 2);
        row.writeInt16BE(level, 6);
        row.writeInt32BE(8, 8);
        row.writeBigInt64BE(BigInt(idx), 12);
        row.writeInt32BE(data.length, 20);
        parts.push(row, data);
      }
      yield Buffer.concat(parts);
    }
  }
  yield Buffer.from([0xff, 0xff]);
}

function summary(name: string, times: number[]): void {
  const s = [...times].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  console.log(
    `${name.padEnd(46)} p50 ${fmt(pct(s, 50), 2).padStart(7)} ms   p99 ${fmt(pct(s, 99), 2).padStart(7)} ms   mean ${fmt(mean, 2).padStart(7)} ms   (${s.length})`,
  );
}

async function timeEach<T>(items: readonly T[], f: (x: T) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (const x of items) {
    const t = performance.now();
    await f(x);
    times.push(performance.now() - t);
  }
  return times;
}

/** The tree's levels (random level-0 hashes but for the leaves proven, which are real leaf documents) and those leaves. */
function buildTree(): { levels: Level[]; leafRows: { index: number; doc: ResourceLeaf; commitment: Uint8Array }[] } {
  // Level-0 hashes: random, except the leaves proven below, which are real leaf documents.
  const level0 = Buffer.alloc(LEAVES * 32);
  for (let at = 0; at < level0.length; at += 1 << 26) randomFillSync(level0, at, Math.min(1 << 26, level0.length - at));
  // ROUNDS + 1,000 random leaves, then 1,000 consecutive ones (a patient's page: resources arrive in bundles).
  const runStart = randomInt(LEAVES - PAGE);
  const proven = new Set<number>();
  while (proven.size < ROUNDS + PAGE) {
    const i = randomInt(LEAVES);
    if (i < runStart || i >= runStart + PAGE) proven.add(i);
  }
  for (let i = runStart; i < runStart + PAGE; i++) proven.add(i);
  const clinic = randomUUID();
  const leafRows = [...proven].map((index) => {
    const doc: ResourceLeaf = {
      log: LOG_FORMAT,
      kind: 'resource',
      hash: hex(randomBytes(32)),
      salt: hex(randomBytes(32)),
      clinic,
      type: 'Observation',
      id: randomUUID(),
      version: 1,
    };
    const c = commitment(doc);
    Buffer.from(leafHash(c)).copy(level0, index * 32);
    return { index, doc, commitment: c };
  });
  return { levels: buildLevels(level0), leafRows };
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 4);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-bench-log-proofs-'));
  let service: LogService | undefined;
  try {
    await runMigrations(db);
    const keyFile = path.join(dir, 'log-key.pem');
    const key = loadOrCreateLogKey(keyFile);
    const origin = defaultOrigin(key.publicKey);
    const signing = { name: origin, seed: key.seed };

    let t = performance.now();
    const { levels, leafRows } = buildTree();
    const built = performance.now() - t;

    t = performance.now();
    const client = await db.connect();
    try {
      await pipeline(Readable.from(copyChunks(levels)), client.query(copyFrom('COPY log_tile (level, idx, hashes) FROM STDIN (FORMAT binary)')));
    } finally {
      client.release();
    }
    await db.query(
      `INSERT INTO log_leaf (leaf_index, kind, ref_id, version, doc_hash, salt, clinic_id, resource_type, commitment, queued_at)
       SELECT i, 'resource', r, 1, h, s, $5, 'Observation', c, now() FROM unnest($1::bigint[], $2::uuid[], $3::bytea[], $4::bytea[], $6::bytea[]) AS u(i, r, h, s, c)`,
      [
        leafRows.map((l) => l.index),
        leafRows.map((l) => l.doc.id),
        leafRows.map((l) => Buffer.from(l.doc.hash.slice(2), 'hex')),
        leafRows.map((l) => Buffer.from(l.doc.salt.slice(2), 'hex')),
        leafRows[0].doc.clinic,
        leafRows.map((l) => Buffer.from(l.commitment)),
      ],
    );
    // Signed checkpoints at 10M and at random earlier sizes, roots from the tiles in memory.
    const memory: TileReader = async (ids) =>
      new Map(ids.map(({ level, index }) => [`${level}/${index}`, new Uint8Array(levels[level].subarray(index * W * 32, (index + 1) * W * 32))]));
    const sizes = new Set<number>([LEAVES]);
    while (sizes.size < Math.min(LEAVES, CHECKPOINTS + 1)) sizes.add(1 + randomInt(LEAVES - 1));
    const checkpoints = await Promise.all(
      [...sizes].map(async (size) => {
        const root = await new TileTree(size, memory).root();
        return { size, root, note: signNote(formatCheckpoint({ origin, size, root }), signing) };
      }),
    );
    await db.query('INSERT INTO log_checkpoint (tree_size, root, note) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[])', [
      checkpoints.map((c) => c.size),
      checkpoints.map((c) => Buffer.from(c.root)),
      checkpoints.map((c) => c.note),
    ]);
    await db.query('VACUUM ANALYZE log_tile, log_leaf, log_checkpoint');
    const stored = performance.now() - t;
    const tileBytes = (await db.query(`SELECT pg_total_relation_size('log_tile') AS n`)).rows[0].n as number;
    console.log(
      `${database.label}, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; ${fmt(LEAVES)}-leaf log: hash tiles written directly (random level-0 hashes, ${levels.length - 1} upper levels computed; ` +
        `${fmt(leafRows.length)} real leaves; ${fmt(checkpoints.length)} signed checkpoints), built in ${fmt(built / 1000, 1)} s, ` +
        `COPY + index in ${fmt(stored / 1000, 1)} s; log_tile ${fmt(tileBytes / 2 ** 20)} MiB`,
    );

    const newService = (): LogService => createLogService({ db, log: createLogger('silent'), keyFile, origin, intervalMs: 3_600_000 });
    const refs = leafRows.slice(0, ROUNDS).map((l) => ({ kind: 'resource' as const, id: l.doc.id, version: 1 }));
    const olds = checkpoints.filter((c) => c.size !== LEAVES).map((c) => c.size);
    const pairs = Array.from({ length: ROUNDS }, () => {
      const a = olds[randomInt(olds.length)];
      const b = olds[randomInt(olds.length)];
      return [Math.min(a, b), Math.max(a, b)] as const;
    });

    // The proof code alone, first, while the whole tree is still in memory: TileTree over the store's tile reads (one
    // query a proof, no cache), and its two halves: hashing only (tiles from memory), reading the tiles (database only).
    const fromStore = (size: number): TileTree => new TileTree(size, (ids) => readTiles(db, ids));
    summary(
      'inclusion  TileTree + readTiles, no cache',
      await timeEach(leafRows.slice(0, ROUNDS), (l) => fromStore(LEAVES).hashes(inclusionRanges(l.index, LEAVES))),
    );
    summary(
      'inclusion  TileTree over tiles in memory',
      await timeEach(leafRows.slice(0, ROUNDS), (l) => new TileTree(LEAVES, memory).hashes(inclusionRanges(l.index, LEAVES))),
    );
    const tilesNeeded: { level: number; index: number }[][] = [];
    for (const l of leafRows.slice(0, ROUNDS)) {
      await new TileTree(LEAVES, async (wanted) => (tilesNeeded.push(wanted), memory(wanted))).hashes(inclusionRanges(l.index, LEAVES));
    }
    summary('inclusion  readTiles of the tiles it needs', await timeEach(tilesNeeded, (ids) => readTiles(db, ids)));
    // A bridge never holds its whole tree: the 330 MB built above goes before the service is timed (its external
    // memory would otherwise drive the collector through every measurement below).
    levels.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Inclusion: the service, cold then warm.
    service = newService();
    const s = service;
    const proofs: Proof[] = [];
    summary('inclusion  LogService.proof, cold cache', await timeEach(refs, async (r) => proofs.push((await s.proof(r)) as Proof)));
    summary('inclusion  LogService.proof, warm cache', await timeEach(refs, (r) => s.proof(r)));
    const asRefs = (rows: typeof leafRows) => rows.map((l) => ({ kind: 'resource' as const, id: l.doc.id, version: 1 }));
    const tenTimes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for (const [what, page] of [
      ['random', asRefs(leafRows.slice(ROUNDS, ROUNDS + PAGE))],
      ['consecutive', asRefs(leafRows.slice(ROUNDS + PAGE))],
    ] as const) {
      summary(
        `inclusion  LogService.proofs of ${fmt(page.length)} ${what}, fresh`,
        await timeEach(tenTimes, async () => {
          const fresh = newService();
          await fresh.proofs(page);
          await fresh.close();
        }),
      );
      summary(`inclusion  LogService.proofs of ${fmt(page.length)} ${what}, warm`, await timeEach(tenTimes, () => s.proofs(page)));
    }

    // Consistency: to the newest checkpoint and between two random ones, cold then warm.
    service = newService();
    const c = service;
    const consistency: unknown[] = [];
    summary(
      'consistency LogService.consistency(m, 10M), cold',
      await timeEach(olds.slice(0, ROUNDS), async (m) => consistency.push(await c.consistency(m, LEAVES))),
    );
    summary('consistency LogService.consistency(m, 10M), warm', await timeEach(olds.slice(0, ROUNDS), (m) => c.consistency(m, LEAVES)));
    service = newService();
    const c2 = service;
    summary('consistency LogService.consistency(m, n), cold', await timeEach(pairs, async ([m, n]) => consistency.push(await c2.consistency(m, n))));
    summary('consistency TileTree + readTiles, no cache', await timeEach(pairs, ([m, n]) => fromStore(n).hashes(consistencyRanges(m, n))));

    // Not an assertion: every proof timed verifies offline against its signed checkpoint.
    const keys = [parseVkey(s.vkey)];
    const inclusionOk = proofs.filter((p) => verifyProofOffline(p, undefined, keys).ok).length;
    const consistencyOk = consistency.filter((p) => p && verifyConsistencyOffline(p, keys).ok).length;
    console.log(
      `check: ${fmt(inclusionOk)}/${fmt(proofs.length)} inclusion proofs and ${fmt(consistencyOk)}/${fmt(consistency.length)} consistency proofs verify offline (leaf document, tlog-proof, checkpoint signature)`,
    );
  } finally {
    await service?.close();
    await db.end();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
