/**
 * Access-log benchmark: one person with BENCH_ACCESS_LOG_ENTRIES (10,000) audit entries about them (reads by two
 * clinics, break-glass pulls, the patient's own reads), among BENCH_ACCESS_LOG_BACKGROUND (200,000) entries about other
 * people; times pages of `GET /fhir/AuditEvent?_count=50&_offset=…` with the person's patient token over the real
 * HTTP app, sequentially (first pages and random deep pages). Prints p50/p99; asserts nothing.
 *
 *   npm run bench -- access-log
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_ACCESS_LOG_ROUNDS=200.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { recordAudit } from '../bridge/store/audit';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { patientToken } from '../test/helpers/patient-session';
import { patientBundle } from '../test/helpers/people';
import { freshDatabase } from './database';
import { pct } from './stats';

const ROUNDS = Number(process.env.BENCH_ACCESS_LOG_ROUNDS ?? 200);
const ENTRIES = Number(process.env.BENCH_ACCESS_LOG_ENTRIES ?? 10_000);
const BACKGROUND = Number(process.env.BENCH_ACCESS_LOG_BACKGROUND ?? 200_000);
const COUNT = 50;

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  let timing = false; // BENCH_SLOW_SQL=<ms>: print the statements slower than that while pages are timed
  if (process.env.BENCH_SLOW_SQL) {
    const query = db.query.bind(db) as (...a: unknown[]) => Promise<unknown>;
    (db as unknown as { query: unknown }).query = async (...a: unknown[]) => {
      const t = performance.now();
      const r = await query(...a);
      const ms = performance.now() - t;
      if (timing && ms > Number(process.env.BENCH_SLOW_SQL)) console.log(`slow ${ms.toFixed(1)} ms: ${String(a[0]).slice(0, 100).replace(/\s+/g, ' ')}`);
      return r;
    };
  }
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    connectionsPerWorker: 1,
    log: createLogger('silent'),
    adminToken: undefined,
    maxBodyBytes: 10 * 1024 * 1024,
    maxEntries: 10_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    version: 'bench',
  });
  const url = served.url;
  try {
    const clinics = [await createClinic(db, 'Berlin'), await createClinic(db, 'Munich'), await createClinic(db, 'Rome')];
    const anna = { family: 'Weber', given: 'Anna', birthDate: '1985-03-14', ssn: '999-10-2020' };
    const patientIds: string[] = [];
    for (const [i, c] of clinics.slice(0, 2).entries()) {
      const res = await fetch(`${url}/fhir`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.apiKey}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(patientBundle({ id: `anna-${i}`, ...anna })),
      });
      if (res.status !== 200) throw new Error(`push ${res.status}`);
      const body = (await res.json()) as { entry: { response: { location: string } }[] };
      patientIds.push(body.entry[0].response.location.split('/')[1]);
    }
    const personId = (await db.query('SELECT person_id FROM patient WHERE id = $1', [patientIds[0]])).rows[0].person_id as string;
    const token = await patientToken(db, patientIds[0]);
    const accountId = (await db.query('SELECT account_id FROM patient_account_record WHERE patient_id = $1', [patientIds[0]])).rows[0].account_id;

    // The person's entries, through the store's own writer (hashed like every entry), 50 at a time.
    const t0 = performance.now();
    for (let i = 0; i < ENTRIES; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, ENTRIES - i) }, (_, j) => {
          const k = i + j;
          const kind = k % 10;
          if (kind === 0)
            return recordAudit(db, {
              clinicId: null,
              agent: { kind: 'patient', accountId },
              action: 'read',
              outcome: 'success',
              personId,
              patientIds: [patientIds[k % 2]],
              resourceTypes: ['Observation'],
            });
          if (kind === 1)
            return recordAudit(db, {
              clinicId: clinics[2].id,
              action: 'everything',
              outcome: 'success',
              personId,
              patientIds,
              resourceTypes: ['Observation', 'Patient'],
              breakGlass: true,
              purpose: 'ETREAT: unconscious',
            });
          return recordAudit(db, {
            clinicId: clinics[k % 2].id,
            action: 'read',
            outcome: 'success',
            personId,
            patientIds: [patientIds[(k + 1) % 2]],
            resourceTypes: ['Observation'],
            detail: 'basis consent',
          });
        }),
      );
    }
    const written = performance.now() - t0;
    // Background: other people's entries (not hashed for real: the access log never reads them).
    await db.query(
      `INSERT INTO audit_event (id, recorded, clinic_id, action, outcome, person_id, patient_ids, resource_types, canonical, hash, salt)
       SELECT gen_random_uuid(), now() - (g || ' seconds')::interval, $1, 'read', 'success', gen_random_uuid(), ARRAY[gen_random_uuid()], '{Observation}',
              '{}', $2, $3 FROM generate_series(1, $4) g`,
      [clinics[0].id, createHash('sha256').update(randomUUID()).digest(), randomBytes(32), BACKGROUND],
    );
    // Settled as a live database is: statistics current, no autovacuum of the fresh rows starting mid-run.
    await db.query('VACUUM ANALYZE audit_event');
    console.log(
      `${database.label}; ${ENTRIES} entries about one person (written in ${(written / 1000).toFixed(1)} s) among ${BACKGROUND} about others; ${ROUNDS} sequential page requests of _count=${COUNT} per case`,
    );

    if (process.env.BENCH_EXPLAIN) {
      const plan = await db.query(
        `EXPLAIN (ANALYZE, BUFFERS) SELECT a.id FROM audit_event a LEFT JOIN batch b ON b.id = a.batch_id
          WHERE (a.patient_ids && $2::uuid[] OR (a.person_id = $1 AND cardinality(a.patient_ids) = 0) OR (a.agent IS NOT NULL AND a.agent->>'accountId' = $3))
          ORDER BY a.recorded DESC, a.seq DESC LIMIT 51 OFFSET 5000`,
        [personId, patientIds, accountId],
      );
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    timing = true;
    const cases: [string, () => number][] = [
      ['first page', () => 0],
      ['random page', () => Math.floor(Math.random() * (ENTRIES / COUNT)) * COUNT],
      ['last pages', () => ENTRIES - COUNT - Math.floor(Math.random() * 5) * COUNT],
    ];
    for (const [name, offset] of cases) {
      const times: number[] = [];
      let entries = 0;
      for (let r = 0; r < ROUNDS + 10; r++) {
        const start = performance.now();
        const res = await fetch(`${url}/fhir/AuditEvent?_count=${COUNT}&_offset=${offset()}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        const ms = performance.now() - start;
        if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text.slice(0, 300)}`);
        if (r >= 10) times.push(ms); // warm-up excluded
        entries = (JSON.parse(text) as { entry?: unknown[] }).entry?.length ?? 0;
      }
      times.sort((a, b) => a - b);
      console.log(
        `access log ${name.padEnd(12)} p50 ${pct(times, 50).toFixed(1).padStart(6)} ms   p99 ${pct(times, 99).toFixed(1).padStart(6)} ms   (${entries} entries a page)`,
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
