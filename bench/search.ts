/**
 * Search at scale (issue 12: "with 1,000,000 resources stored … p99 under 50 ms each"): stores
 * BENCH_SEARCH_RESOURCES (1,000,000) resources of bench/generate.ts bundles through the real HTTP app (so every
 * index is built by the write path), then times the searches a clinic's developer reaches for, each over random
 * patients, warm, over HTTP with a clinic key. Prints p50/p99 of each and the seeding rate; asserts nothing.
 *
 *   npm run bench -- search
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_SEARCH_RESOURCES=1000000,
 * BENCH_SEARCH_ROUNDS=200, BENCH_SEARCH_KEEP (a database name on DATABASE_URL's server: kept after the run and, when
 * it exists, reused with only what it lacks stored, so the queries can be timed again without seeding anew).
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS, defaultIngestWorkers } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic, listClinics, rotateClinicKey } from '../bridge/store/clinics';
import { createPool, inTransaction } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { generateBundles } from './generate';
import { pct } from './stats';

const TARGET = Number(process.env.BENCH_SEARCH_RESOURCES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 200);
const WARMUP = 20;
const CONCURRENCY = 4;

async function main(): Promise<void> {
  const database = await freshDatabase(process.env.BENCH_SEARCH_KEEP);
  const db = createPool(database.url, 10);
  await runMigrations(db);
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    ingestWorkers: defaultIngestWorkers(),
    connectionsPerWorker: 2,
    log: createLogger('silent'),
    adminToken: undefined,
    maxBodyBytes: 100 * 1024 * 1024,
    maxEntries: 100_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    version: 'bench',
  });
  // A reused database keeps its clinic (and so its resources): a new key of that clinic is made for this run.
  const existing = database.reused ? (await listClinics(db))[0] : undefined;
  const { apiKey } = existing ? await inTransaction(db, (tx) => rotateClinicKey(tx, existing.id, 0)) : await createClinic(db, 'Bench Clinic');
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${served.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, body: await res.json() };
  };
  console.log(`  ${database.label}; storing ${TARGET.toLocaleString('en')} resources (bench/generate.ts bundles, ${CONCURRENCY} clients)`);

  // Seeding: generated bundles pushed over HTTP until the target is reached, progress every 10 s.
  const started = performance.now();
  let stored = database.reused ? Number((await db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n) : 0;
  const initial = stored;
  if (stored) console.log(`  ${stored.toLocaleString('en')} resources already stored`);
  let lastReport = started;
  // A reused database that lacks some resources gets bundles of other seeds (the same seeds would only update).
  let chunk = initial ? 1_000_000 + (Date.now() % 1_000_000) : 0;
  while (stored < TARGET) {
    const bundles = generateBundles({ bundles: 40, seed: 1000 + chunk++ });
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bundles.length) {
          const bundle = bundles[next++];
          const res = await fetch(`${served.url}/fhir`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/fhir+json' },
            body: JSON.stringify(bundle),
          });
          if (res.status !== 200) throw new Error(`seeding push answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
          await res.arrayBuffer().catch(() => undefined);
          stored += bundle.entry?.length ?? 0;
        }
      }),
    );
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      const rate = (stored - initial) / ((lastReport - started) / 1000);
      console.log(`  … ${stored.toLocaleString('en')} resources stored (${Math.round(rate).toLocaleString('en')} resources/s)`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const seeded = stored > initial;
  if (seeded) {
    const rate = Math.round((stored - initial) / seconds).toLocaleString('en');
    console.log(`  stored ${stored.toLocaleString('en')} resources in ${seconds.toFixed(0)} s (${rate} resources/s)`);
    await db.query('VACUUM ANALYZE');
  }

  // What the queries name: random patients with observations, their family names, a vital sign's code.
  const patients = (
    await db.query(
      `SELECT r.id, r.content->'name'->0->>'family' AS family FROM resource r
       WHERE r.resource_type = 'Patient' ORDER BY random() LIMIT 100`,
    )
  ).rows as { id: string; family: string }[];
  const weight = 'http://loinc.org|29463-7';
  const queries: [string, (i: number) => string][] = [
    ['Patient?name=', (i) => `/fhir/Patient?name=${encodeURIComponent(patients[i % patients.length].family.slice(0, 4))}`],
    [
      'Observation?patient=&code=&date=ge &_sort=-date&_count=50',
      (i) => `/fhir/Observation?patient=${patients[i % patients.length].id}&code=${weight}&date=ge2000-01-01&_sort=-date&_count=50`,
    ],
    [
      'Observation?patient=&_include=Observation:subject',
      (i) => `/fhir/Observation?patient=${patients[i % patients.length].id}&_include=Observation:subject&_count=50`,
    ],
    [
      'Observation?value-quantity=ge109.8|UCUM|kg',
      (i) => `/fhir/Observation?value-quantity=ge${(109.8 + (i % 5) * 0.01).toFixed(2)}|http://unitsofmeasure.org|kg`,
    ],
    ['Observation?code=&_total=accurate', (i) => `/fhir/Observation?code=${weight}&_total=accurate&_count=${10 + (i % 5)}`],
  ];
  for (const [name, path] of queries) {
    const first = await get(path(0));
    if (first.status !== 200) throw new Error(`${name}: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
    const times: number[] = [];
    let entries = 0;
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const t = performance.now();
      const res = await get(path(i));
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
      if (i >= WARMUP) {
        times.push(ms);
        entries += res.body.entry?.length ?? 0;
      }
    }
    times.sort((a, b) => a - b);
    const total = first.body.total !== undefined ? `, total ${first.body.total}` : '';
    console.log(
      `  ${name.padEnd(60)} p50 ${pct(times, 50).toFixed(1).padStart(6)} ms  p99 ${pct(times, 99).toFixed(1).padStart(6)} ms  (${(entries / ROUNDS).toFixed(1)} entries/answer${total})`,
    );
  }
  console.log('  target: p99 under 50 ms each');
  await served.close();
  await db.end();
  await database.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
