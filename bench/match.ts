/**
 * Patient/$match benchmark: BENCH_MATCH_PATIENTS (default 100,000) synthetic patients across 5 clinics, written
 * straight into the store's tables in batches of 5,000 (resource, person, patient with the fields the write path
 * normalizes through bridge/normalize/patient.ts, patient_identifier), with Zipf-like surname and given-name
 * frequencies (top surname ≈ 0.3 %, as in national registers), birth dates over 1930-2020, 30 % with a passport or a
 * national id, 10 % of persons held by a second clinic (linked by that id), 70 % with a phone, 40 % with an e-mail.
 * Then p50/p99 of POST /fhir/Patient/$match over the real HTTP app for certain (identifier) and scored (demographic,
 * 20 % with a misspelt family name) queries from a sixth clinic, and how often the wanted person came first.
 * Prints figures; asserts nothing.
 *
 *   npm run bench -- match
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL in a temp dir), BENCH_MATCH_PATIENTS=100000,
 * BENCH_MATCH_ROUNDS=500 (queries of each kind), BENCH_MATCH_CONCURRENCY=1,4.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { insertBatch, patientResource, person, pick, rand, type Person, type Row } from './match-people';
import { pct } from './stats';

const PATIENTS = Number(process.env.BENCH_MATCH_PATIENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_MATCH_ROUNDS ?? 500);
const LEVELS = (process.env.BENCH_MATCH_CONCURRENCY ?? '1,4')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const BATCH = 5000;

const ms = (n: number): string => `${n.toFixed(1)} ms`;

/** The misspelling of a family name a clerk makes: two neighbouring letters swapped. */
function typo(s: string): string {
  if (s.length < 4) return s;
  const i = 1 + Math.floor(rand() * (s.length - 2));
  return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    log: createLogger('silent'),
    adminToken: undefined,
    maxBodyBytes: 1024 * 1024,
    maxEntries: 1000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    matchLimit: 1_000_000_000,
    version: 'bench',
  });
  try {
    const clinics = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => createClinic(db, `Clinic ${n}`)));
    const caller = await createClinic(db, 'Lisbon');
    const started = performance.now();
    const people: { p: Person; personId: string; patientIds: string[] }[] = [];
    let rows: Row[] = [];
    let newPersons: string[] = [];
    let written = 0;
    for (let i = 0; written + rows.length < PATIENTS; i++) {
      const p = person(i);
      const personId = randomUUID();
      newPersons.push(personId);
      const home = Math.floor(rand() * 5);
      const held = p.passport && rand() < 0.33 ? [home, (home + 1 + Math.floor(rand() * 4)) % 5] : [home];
      const entry = { p, personId, patientIds: [] as string[] };
      for (const c of held) {
        const id = randomUUID();
        entry.patientIds.push(id);
        rows.push({ id, clinicId: clinics[c].id, personId, resource: patientResource(p, id, `mrn-${i}-${c}`) });
      }
      people.push(entry);
      if (rows.length >= BATCH) {
        await insertBatch(db, rows, newPersons);
        written += rows.length;
        rows = [];
        newPersons = [];
      }
    }
    if (rows.length) await insertBatch(db, rows, newPersons);
    written += rows.length;
    await db.query('ANALYZE');
    const loadS = (performance.now() - started) / 1000;
    const linked = people.filter((x) => x.patientIds.length > 1).length;
    console.log(
      `${database.label}; ${written.toLocaleString('en-US')} patients of ${people.length.toLocaleString('en-US')} persons (${linked.toLocaleString('en-US')} held by two clinics) across 5 clinics, loaded in ${loadS.toFixed(1)} s`,
    );
    const top = (await db.query('SELECT lower(family) AS f, count(*)::int AS n FROM patient GROUP BY 1 ORDER BY 2 DESC LIMIT 1')).rows[0];
    console.log(`most common surname: ${top.n} patients (${((100 * top.n) / written).toFixed(2)} %)`);

    const withPassport = people.filter((x) => x.p.passport);
    const certainBody = (x: (typeof people)[number]) => ({
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: { resourceType: 'Patient', identifier: [x.p.passport] } }],
    });
    const scoredBody = (x: (typeof people)[number]) => ({
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'resource',
          resource: {
            resourceType: 'Patient',
            name: [{ family: rand() < 0.2 ? typo(x.p.family) : x.p.family, given: x.p.given.slice(0, 1) }],
            birthDate: x.p.birthDate,
            gender: x.p.gender,
          },
        },
        { name: 'count', valueInteger: 5 },
      ],
    });
    const kinds = [
      { name: 'certain (passport)', sample: () => pick(withPassport), body: certainBody },
      { name: 'scored (name + birth date + gender, 20 % misspelt)', sample: () => pick(people), body: scoredBody },
    ];
    const post = async (body: unknown): Promise<{ ms: number; json: any }> => {
      const t = performance.now();
      const res = await fetch(`${served.url}/fhir/Patient/$match`, {
        method: 'POST',
        headers: { authorization: `Bearer ${caller.apiKey}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(body),
      });
      const json = await res.json();
      if (res.status !== 200) throw new Error(`$match ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
      return { ms: performance.now() - t, json };
    };
    for (const kind of kinds) for (let i = 0; i < 20; i++) await post(kind.body(kind.sample())); // warm-up
    // The floor under every answer: $match writes its handles and audit record durably (one commit) before it answers.
    const floor: number[] = [];
    const client = await db.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS bench_commit (x int)');
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await client.query('BEGIN');
        await client.query('INSERT INTO bench_commit VALUES (1)');
        await client.query('COMMIT');
        floor.push(performance.now() - t);
      }
    } finally {
      client.release();
    }
    floor.sort((a, b) => a - b);
    console.log(
      `floor: a durable one-row commit on this database takes p50 ${ms(pct(floor, 50))}, p99 ${ms(pct(floor, 99))} (load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`,
    );
    for (const level of LEVELS) {
      for (const kind of kinds) {
        const times: number[] = [];
        let first = 0;
        let found = 0;
        const t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: level }, async () => {
            while (next < ROUNDS) {
              next++;
              const x = kind.sample();
              const { ms: t, json } = await post(kind.body(x));
              times.push(t);
              const handles: string[] = (json.entry ?? []).map((e: any) => e.resource.id);
              const hits = await db.query('SELECT handle FROM match_handle WHERE handle = ANY($1) AND patient_ids && $2::uuid[]', [handles, x.patientIds]);
              if (hits.rows.length) found++;
              if (hits.rows.some((r) => r.handle === handles[0])) first++;
            }
          }),
        );
        const wall = (performance.now() - t0) / 1000;
        times.sort((a, b) => a - b);
        console.log(
          `  ${level} client(s), ${kind.name}: p50 ${ms(pct(times, 50))}, p99 ${ms(pct(times, 99))}, max ${ms(times[times.length - 1])}; ${(times.length / wall).toFixed(0)} req/s; wanted person first ${((100 * first) / times.length).toFixed(1)} %, anywhere ${((100 * found) / times.length).toFixed(1)} %`,
        );
      }
    }
    console.log('target: p99 < 50 ms');
  } finally {
    await served.close();
    await db.end();
    await database.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
