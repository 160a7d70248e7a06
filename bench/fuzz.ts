/**
 * Fuzz benchmark: 10,000+ seeded cases (issue 8's targeted inputs, then mutations of the FHIR samples, the project's
 * fixtures and generated bundles) sent by 4 concurrent clients to the real HTTP app; prints answers by status and
 * every answer that is a 5xx or an error without an OperationOutcome. Goal: no 5xx. Asserts nothing.
 *
 *   npm run bench -- fuzz
 *
 * Environment: FHIR_SAMPLES_DIR (default ../shared/fhir-samples), BENCH_FUZZ_CASES=10000, BENCH_FUZZ_SEED=8,
 * BENCH_FUZZ_CLIENTS=4, BENCH_FUZZ_WORKERS=0 (ingest worker threads; 0 runs pushes inline), DATABASE_URL (else embedded).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Bundle } from '@medplum/fhirtypes';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { fuzzCases } from './fuzz-cases';
import { runFuzz, summarize } from './fuzz-run';
import { generateBundles } from './generate';
import { SAMPLES_DIR } from './samples-dir';

const CASES = Number(process.env.BENCH_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 8);
const CLIENTS = Number(process.env.BENCH_FUZZ_CLIENTS ?? 4);
const WORKERS = Number(process.env.BENCH_FUZZ_WORKERS ?? 0);
const REPO = path.resolve(__dirname, '..');
const SAMPLES = SAMPLES_DIR;

/** Bundles (of any type) among the samples; none when the folder is absent. */
function sampleBundles(): Bundle[] {
  if (!fs.existsSync(SAMPLES)) {
    console.log(`fuzz: ${SAMPLES} is absent (set FHIR_SAMPLES_DIR): mutating only fixtures and generated bundles`);
    return [];
  }
  const out: Bundle[] = [];
  for (const folder of ['synthea-r4', 'peer-workload', 'hl7-r4-examples', 'ips', 'us-core-9.0.0-examples']) {
    const dir = path.join(SAMPLES, folder);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const v = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (v.resourceType === 'Bundle' && ['transaction', 'batch', 'collection', 'document'].includes(v.type)) out.push(v);
      else if (v.resourceType && v.resourceType !== 'Bundle')
        out.push({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: v, request: { method: 'POST', url: v.resourceType } }] });
    }
  }
  return out;
}

function projectBundles(): Bundle[] {
  const dir = path.join(REPO, 'fixtures', 'bundles');
  const fixtures = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Bundle);
  return [...fixtures, ...generateBundles({ bundles: 20, encountersPerPatient: 1, seed: SEED })];
}

async function main(): Promise<void> {
  const seeds = [...sampleBundles(), ...projectBundles()];
  const cases = fuzzCases(seeds, CASES, SEED);
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  // Faults are logged by kind (errName, errCode): collect those lines to name each 5xx's cause.
  const faults = new Map<string, number>();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const l = JSON.parse(line);
        if (process.env.BENCH_FUZZ_STACKS && l.msg === 'request failed') console.log(l.errName, l.errCode, (l.stack ?? '').split('\n').slice(0, 3).join(' | '));
        if (l.msg === 'request failed')
          faults.set(`${l.errName}/${l.errCode ?? ''} ${l.route}`, (faults.get(`${l.errName}/${l.errCode ?? ''} ${l.route}`) ?? 0) + 1);
      }
      cb();
    },
  });
  const served = await serveApp({
    db,
    databaseUrl: database.url,
    ingestWorkers: WORKERS,
    log: createLogger('error', sink),
    adminToken: undefined,
    maxBodyBytes: 50 * 1024 * 1024,
    maxEntries: 10_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    version: 'bench',
  });
  served.server.keepAliveTimeout = 65_000; // as bridge/main.ts sets it
  const url = served.url;
  try {
    const clinic = await createClinic(db, 'fuzz');
    console.log(`fuzz: ${cases.length} cases (seed ${SEED}) from ${seeds.length} seed bundles, ${CLIENTS} clients, ${database.label}`);
    const started = Date.now();
    const answers = await runFuzz(url, clinic.apiKey, cases, CLIENTS, (n) => console.log(`  ${n} cases, ${((Date.now() - started) / 1000).toFixed(0)} s`));
    const { byStatus, problems, retried } = summarize(answers);
    const health = await fetch(`${url}/healthz`);
    console.log(
      `answers by status: ${Object.entries(byStatus)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}`,
    );
    console.log(
      `5xx: ${answers.flat().filter((a) => a.status >= 500).length} of ${answers.flat().length} answers; wrong answers: ${problems.length}; connection resets retried: ${retried}; /healthz after: ${health.status}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    const byKind = new Map<string, number>();
    for (const p of problems)
      byKind.set(
        `${p.kind} ${p.method} ${p.path.split('?')[0].slice(0, 40)}: ${p.problem}`,
        (byKind.get(`${p.kind} ${p.method} ${p.path.split('?')[0].slice(0, 40)}: ${p.problem}`) ?? 0) + 1,
      );
    for (const [k, n] of [...byKind].sort((x, y) => y[1] - x[1]).slice(0, 40)) console.log(`  ${n} × ${k}`);
    for (const [k, n] of faults) console.log(`  fault ${n} × ${k}`);
    if (process.env.BENCH_FUZZ_DUMP) {
      // The requests of the wrong answers, to replay one alone.
      answers.forEach((a, i) => {
        if (a.some((x) => x.problem))
          fs.writeFileSync(
            path.join(process.env.BENCH_FUZZ_DUMP as string, `case-${i}.json`),
            JSON.stringify(cases[i].steps.map((r) => ({ ...r, body: r.body?.toString('latin1') }))),
          );
      });
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
