/**
 * Pull benchmark: one person with ≈ 1,000 resources across 3 clinics (generated, consents from the two home
 * clinics), among background patients; times `$everything` (one page of everything), `$summary` and the
 * timeline over the real HTTP app, sequentially. Prints p50/p99; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/pull.ts
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_PULL_ROUNDS=200,
 * BENCH_PULL_BACKGROUND=30 (other patients' bundles).
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { seedSharedPerson } from './shared-person';
import { pct } from './stats';

const ROUNDS = Number(process.env.BENCH_PULL_ROUNDS ?? 200);
const BACKGROUND = Number(process.env.BENCH_PULL_BACKGROUND ?? 30);

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
  });
  const url = served.url;

  try {
    const clinics = [await createClinic(db, 'A'), await createClinic(db, 'B'), await createClinic(db, 'C')];
    // the person: three bundles of ≈ 330 resources, one per clinic, sharing one SSN
    const { patientIds, total } = await seedSharedPerson(url, clinics, { encountersPerPatient: 30, background: BACKGROUND, backgroundEncounters: 20 });
    await db.query('ANALYZE');
    console.log(`${database.label}; person: ${total} pushed entries across 3 clinics (+ ${BACKGROUND} background patients); ${ROUNDS} sequential rounds each`);

    const key = clinics[0].apiKey;
    const cases: [string, string][] = [
      ['$everything', `/fhir/Patient/${patientIds[0]}/$everything`],
      ['$everything _count=100', `/fhir/Patient/${patientIds[0]}/$everything?_count=100`],
      ['$summary', `/fhir/Patient/${patientIds[0]}/$summary`],
      ['timeline', `/patients/${patientIds[0]}/history`],
    ];
    for (const [name, pathname] of cases) {
      const times: number[] = [];
      let size = 0;
      let entries = 0;
      for (let r = 0; r < ROUNDS + 10; r++) {
        const t0 = performance.now();
        const res = await fetch(`${url}${pathname}`, { headers: { authorization: `Bearer ${key}` } });
        const text = await res.text();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text.slice(0, 300)}`);
        if (r >= 10) times.push(ms); // warm-up excluded
        size = text.length;
        const body = JSON.parse(text);
        entries = body.entry?.length ?? body.events?.length ?? 0;
      }
      times.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(24)} p50 ${pct(times, 50).toFixed(1).padStart(6)} ms   p99 ${pct(times, 99).toFixed(1).padStart(6)} ms   (${entries} entries/events, ${(size / 1024).toFixed(0)} KiB)`,
      );
    }
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
