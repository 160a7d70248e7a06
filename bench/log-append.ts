/**
 * Verifiable-log append benchmark: the sequencer's integration throughput (leaves per second) for
 * BENCH_LOG_APPEND_ENTRIES (1,000,000) queued entries on a fresh database. The queue is filled with one
 * INSERT … SELECT over generate_series (a realistic mix: 10% bundles, 60% resource versions, 30% audit records, two
 * thirds of them about one of 20,000 people so person chains grow; ids are version 7 UUIDs in turn, as the bridge
 * makes them); only integration is timed, from the first queued
 * entry to the checkpoint that covers the last, through the sequencer's own integrate() (each transaction: up to
 * BENCH_LOG_APPEND_CHUNK entries, default the sequencer's 20,000, their leaves, tiles, chains and one signed
 * checkpoint). Prints figures; asserts nothing.
 *
 *   npm run bench -- log-append
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_LOG_APPEND_ENTRIES, BENCH_LOG_APPEND_CHUNK,
 * BENCH_LOG_APPEND_SQL=1 (also print the time spent in each SQL statement).
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../bridge/log';
import { randomSeed } from '../bridge/log/ed25519';
import { parseCheckpoint, parseNote } from '../bridge/log/note';
import { leafHash, rootOf } from '../bridge/log/rfc9162';
import { createSequencer } from '../bridge/log/sequencer';
import { TileTree } from '../bridge/log/tiles';
import type { Pool } from 'pg';
import { createPool } from '../bridge/store/db';
import { latestCheckpoint, readTiles } from '../bridge/store/log';
import { runMigrations } from '../bridge/store/migrate';
import { freshDatabase } from './database';
import { pct } from './stats';

const ENTRIES = Number(process.env.BENCH_LOG_APPEND_ENTRIES ?? 1_000_000);
const CHUNK = process.env.BENCH_LOG_APPEND_CHUNK ? Number(process.env.BENCH_LOG_APPEND_CHUNK) : undefined;
const PEOPLE = 20_000;

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds (user + system) of a local process from /proc, or undefined when it is not readable (remote server). */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return undefined;
  }
}

/**
 * BENCH_LOG_APPEND_SQL=1: wall time per SQL statement (first 70 characters), summed over the run. Wraps the query
 * method of each client the pool opens (callback form, used by pool.query, and promise form).
 */
function timeStatements(db: Pool): Map<string, { n: number; ms: number }> {
  const times = new Map<string, { n: number; ms: number }>();
  const record = (sql: unknown, t: number): void => {
    const key = String(typeof sql === 'object' && sql ? (sql as { text?: string }).text : sql)
      .replace(/\s+/g, ' ')
      .slice(0, 70);
    const e = times.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t;
    times.set(key, e);
  };
  db.on('connect', (client) => {
    const target = client as unknown as { query: (...a: unknown[]) => unknown };
    const query = target.query.bind(target);
    target.query = (...a: unknown[]) => {
      const t = performance.now();
      const cb = typeof a[a.length - 1] === 'function' ? (a.pop() as (...r: unknown[]) => void) : undefined;
      if (cb) return query(...a, (...r: unknown[]) => (record(a[0], t), cb(...r)));
      const out = query(...a);
      if (out instanceof Promise)
        out.then(
          () => record(a[0], t),
          () => undefined,
        );
      return out;
    };
  });
  return times;
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  // One connection: the sequencer is one transaction at a time, and its backend's CPU can be read from /proc.
  const db = createPool(database.url, 1);
  const sqlTimes = process.env.BENCH_LOG_APPEND_SQL ? timeStatements(db) : undefined;
  try {
    await runMigrations(db);
    const t0 = performance.now();
    await db.query(
      `INSERT INTO log_queue (kind, ref_id, version, doc_hash, clinic_id, resource_type, person_id)
       SELECT CASE WHEN g % 10 = 0 THEN 'bundle' WHEN g % 10 <= 6 THEN 'resource' ELSE 'audit' END,
              -- Version 7 UUIDs in turn, as the bridge's ids are (bridge/model/ids.ts): the leaves' ref index grows at its right edge.
              (substr(t, 1, 8) || '-' || substr(t, 9, 4) || '-7' || substr(r, 14, 3) || '-' || substr(r, 17, 4) || '-' || substr(r, 21, 12))::uuid,
              CASE WHEN g % 10 BETWEEN 1 AND 6 THEN 1 + g % 3 END,
              sha256(int8send(g)),
              CASE WHEN g % 10 BETWEEN 1 AND 6 THEN '6f1c1f4e-34a5-4d36-9d9c-0b8f3f6a2b10'::uuid END,
              CASE WHEN g % 10 BETWEEN 1 AND 6 THEN (ARRAY['Observation', 'Condition', 'Encounter'])[1 + g % 3] END,
              CASE WHEN g % 10 >= 8 THEN md5('person/' || (g % $2))::uuid END
       FROM generate_series(1, $1::bigint) g,
         LATERAL (SELECT lpad(to_hex(1764547200000 + g), 12, '0') AS t, replace(gen_random_uuid()::text, '-', '') AS r) id`,
      [ENTRIES, PEOPLE],
    );
    await db.query('VACUUM ANALYZE log_queue');
    const queuedMs = performance.now() - t0;

    const backendPid = (await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const checkpoints: number[] = [];
    let last = performance.now();
    const sequencer = createSequencer({
      db,
      log: createLogger('silent'),
      key: { name: 'bench.example/log', seed: randomSeed() },
      intervalMs: 3_600_000,
      ...(CHUNK ? { maxLeaves: CHUNK } : {}),
      onCheckpoint: () => {
        const now = performance.now();
        checkpoints.push(now - last);
        last = now;
      },
    });
    const pgCpu0 = procCpuSeconds(backendPid);
    sqlTimes?.clear();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    last = start;
    const size = await sequencer.integrate();
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const pgCpu1 = procCpuSeconds(backendPid);
    await sequencer.stop();

    console.log(
      `${database.label}, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; ${fmt(ENTRIES)} entries queued in ${fmt(queuedMs / 1000, 1)} s (not timed); chunk ${fmt(CHUNK ?? 20_000)} entries a checkpoint`,
    );
    console.log(
      `log append     ${fmt((ENTRIES * 1000) / ms)} leaves/s   (${fmt(ms / 1000, 1)} s for ${fmt(size ?? 0)} leaves, ${checkpoints.length} checkpoints)`,
    );
    const sorted = [...checkpoints].sort((a, b) => a - b);
    console.log(
      `per checkpoint mean ${fmt(ms / Math.max(1, checkpoints.length), 1)} ms   p50 ${fmt(pct(sorted, 50), 1)} ms   p99 ${fmt(pct(sorted, 99), 1)} ms   (one transaction: leaves, tiles, chains, signed note)`,
    );
    const nodeCpu = (cpu.user + cpu.system) / 1e6;
    const pgCpu = pgCpu0 !== undefined && pgCpu1 !== undefined ? pgCpu1 - pgCpu0 : undefined;
    console.log(
      `CPU            node ${fmt(nodeCpu, 1)} s (${fmt((ENTRIES / nodeCpu) | 0)} leaves per node CPU second)` +
        (pgCpu !== undefined ? `, PostgreSQL backend ${fmt(pgCpu, 1)} s` : ', PostgreSQL backend not readable (remote server)') +
        `; wall ${fmt(ms / 1000, 1)} s`,
    );

    for (const [k, v] of [...(sqlTimes ?? [])].sort((a, b) => b[1].ms - a[1].ms))
      console.log(`sql ${fmt(v.ms).padStart(8)} ms ${String(v.n).padStart(5)}×  ${k}`);
    // Not an assertion: a check that what was timed built the right tree (tiles and commitments agree with the checkpoint).
    const cp = await latestCheckpoint(db);
    const parsed = parseCheckpoint(parseNote(cp!.note).text);
    const fromTiles = await new TileTree(parsed.size, (ids) => readTiles(db, ids)).root();
    const commitments = (await db.query('SELECT commitment FROM log_leaf ORDER BY leaf_index')).rows.map((r) => leafHash(new Uint8Array(r.commitment)));
    const same = Buffer.from(fromTiles).equals(Buffer.from(parsed.root)) && Buffer.from(rootOf(commitments)).equals(Buffer.from(parsed.root));
    const queueLeft = (await db.query('SELECT count(*)::int AS n FROM log_queue')).rows[0].n as number;
    console.log(
      `check          checkpoint size ${fmt(parsed.size)}; root from stored tiles and from log_leaf commitments ${same ? 'matches' : 'DIFFERS'}; ${queueLeft} entries left in the queue`,
    );
  } finally {
    await db.end();
    await database.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
