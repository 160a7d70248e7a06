/**
 * Cost of proofs on a `$everything` page (issue 11: "proofs for a 1,000-entry `$everything` page add under 20 ms p99"):
 * one person with ≈ 1,300 resources across 3 clinics (bench/generate.ts, consents from the two home clinics), inside a
 * log of ≥ BENCH_LOG_EVERYTHING_LEAVES (1,000,000) leaves; times `GET /fhir/Patient/{id}/$everything?_count=1000`
 * without proofs, with `_proofs=true` (a proof in each entry) and with `_proofs=page` (page proofs, each sibling once)
 * over the real HTTP app with a clinic key, warm, interleaved (so all see the same machine load), from a client in its
 * own process (bench/log-everything-client.ts). Prints p50/p99 of each, of the per-round difference, and the page sizes;
 * and the per-round difference of the plain request with itself, asked twice a round: what the machine's noise alone
 * puts in a difference's p99. Asserts nothing.
 *
 *   npm run bench -- log-everything
 *
 * Padding: the log's other leaves are synthetic bundle entries (random hash; the sequencer draws their salts) queued straight into log_queue
 * by one INSERT … generate_series, half before and half after the person's real entries, and then integrated by the
 * bridge's own sequencer like any entry (real leaf rows, tiles and checkpoints; nothing is written around it).
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_LOG_EVERYTHING_ROUNDS=1000,
 * BENCH_LOG_EVERYTHING_LEAVES=1000000 (padding leaves), BENCH_LOG_EVERYTHING_BACKGROUND=30 (other patients' bundles).
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { fork } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '../bridge/log';
import { LOG_PAGE_LEAVES_EXTENSION, LOG_PROOF_EXTENSION } from '../bridge/log/proof';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { seedSharedPerson } from './shared-person';
import type { EverythingRounds, EverythingTimes } from './log-everything-client';
import { pct } from './stats';

// 1,000 rounds: a p99 of 200 is their second-largest value, which one stall on this shared machine decides.
const ROUNDS = Number(process.env.BENCH_LOG_EVERYTHING_ROUNDS ?? 1000);
const PADDING = Number(process.env.BENCH_LOG_EVERYTHING_LEAVES ?? 1_000_000);
const BACKGROUND = Number(process.env.BENCH_LOG_EVERYTHING_BACKGROUND ?? 30);
const WARMUP = 20;

const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1).padStart(6)} ms   p99 ${pct(s, 99).toFixed(1).padStart(6)} ms`;
};

/** Runs the timed rounds in the client's own process (bench/log-everything-client.ts), as a real reader would. */
async function clientRounds(rounds: EverythingRounds): Promise<EverythingTimes> {
  const child = fork(path.join(__dirname, 'log-everything-client.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: 'inherit' });
  try {
    return await new Promise<EverythingTimes>((resolve, reject) => {
      child.on('message', (m: { ready?: true; times?: EverythingTimes; error?: string }) => {
        if (m.ready) child.send(rounds);
        else if (m.times) resolve(m.times);
        else reject(new Error(m.error));
      });
      child.on('exit', (code) => reject(new Error(`the client process exited (${code})`)));
    });
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    connectionsPerWorker: 1,
    log: createLogger('silent'),
    adminToken: undefined,
    maxBodyBytes: 100 * 1024 * 1024,
    maxEntries: 100_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    version: 'bench',
    logIntervalMs: 3_600_000, // integrated below, on purpose
  });
  const url = served.url;

  const pad = async (n: number): Promise<void> => {
    if (n <= 0) return;
    await db.query(
      `INSERT INTO log_queue (kind, ref_id, version, doc_hash)
       SELECT 'bundle', gen_random_uuid(), NULL, sha256(g::text::bytea || gen_random_uuid()::text::bytea)
       FROM generate_series(1, $1) g`,
      [n],
    );
  };
  try {
    const t0 = performance.now();
    await pad(Math.floor(PADDING / 2));
    const clinics = [await createClinic(db, 'A'), await createClinic(db, 'B'), await createClinic(db, 'C')];
    // the person: three bundles of ≈ 430 resources, one per clinic, sharing one SSN
    const { patientIds, total } = await seedSharedPerson(url, clinics, { encountersPerPatient: 40, background: BACKGROUND, backgroundEncounters: 20 });
    await pad(PADDING - Math.floor(PADDING / 2));
    const queued = Number((await db.query('SELECT count(*) AS n FROM log_queue')).rows[0].n);
    const seeded = performance.now();
    const size = await served.verifiableLog.integrate();
    const integrated = performance.now();
    await db.query('VACUUM ANALYZE log_leaf');
    await db.query('ANALYZE');
    const real = queued - PADDING;
    console.log(
      `${database.label}; person: ${total} pushed entries across 3 clinics (+ ${BACKGROUND} background patients); ` +
        `${ROUNDS} rounds of each request, interleaved, after ${WARMUP} warm-up rounds`,
    );
    console.log(
      `log: ${size?.toLocaleString('en-US')} leaves = ${real.toLocaleString('en-US')} real entries (bundles, resource versions, audit records) ` +
        `+ ${PADDING.toLocaleString('en-US')} synthetic bundle entries queued by SQL (seeded in ${((seeded - t0) / 1000).toFixed(1)} s); ` +
        `all integrated by the bridge's sequencer in ${((integrated - seeded) / 1000).toFixed(1)} s ` +
        `(${Math.round(queued / ((integrated - seeded) / 1000)).toLocaleString('en-US')} leaves/s); no chain: proofs carry anchor null`,
    );

    const key = clinics[0].apiKey;
    const plain = `/fhir/Patient/${patientIds[0]}/$everything?_count=1000`;
    const variants = [
      { name: '$everything _count=1000', path: plain },
      { name: '$everything _count=1000 _proofs=true', path: `${plain}&_proofs=true` },
      { name: '$everything _count=1000 _proofs=page', path: `${plain}&_proofs=page` },
      // The same request as the first: their per-round difference is the machine's noise, the floor under the others'.
      { name: '$everything _count=1000 (again)', path: plain },
    ];
    const { times, samples } = await clientRounds({ url, key, paths: variants.map((v) => v.path), rounds: ROUNDS, warmup: WARMUP });
    const p99 = (xs: number[]): number =>
      pct(
        [...xs].sort((x, y) => x - y),
        99,
      );
    variants.forEach((v, i) => {
      const page = JSON.parse(samples[i]) as { entry?: { extension?: { url: string }[] }[]; meta?: { extension?: { url: string; valueString: string }[] } };
      const columns = page.meta?.extension?.find((x) => x.url === LOG_PAGE_LEAVES_EXTENSION);
      const proven = columns
        ? (JSON.parse(columns.valueString) as { entry: number[] }).entry.length
        : (page.entry ?? []).filter((e) => e.extension?.some((x) => x.url === LOG_PROOF_EXTENSION)).length;
      console.log(
        `${v.name.padEnd(38)} ${fmt(times[i])}   (${page.entry?.length ?? 0} entries, ${proven} with a proof, ${(samples[i].length / 1024).toFixed(0)} KiB)`,
      );
    });
    for (const i of [1, 2]) {
      const what = variants[i].name.slice(24);
      console.log(`${what} adds (per-round difference)   ${fmt(times[i].map((ms, r) => ms - times[0][r]))}`);
      console.log(`${what} adds (p99 with − p99 without)  ${(p99(times[i]) - p99(times[0])).toFixed(1).padStart(6)} ms`);
    }
    console.log(`the same request again (per-round difference: the noise)   ${fmt(times[3].map((ms, r) => ms - times[0][r]))}`);
  } finally {
    await served.close();
    await db.end();
    await database.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
