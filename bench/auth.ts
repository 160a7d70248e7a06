/**
 * The cost of reading the API key from the database on every request (no cache, so revocations hold at once on
 * every process): lookups alone, sequential and concurrent, and authenticated requests per second. Prints figures.
 *   npx ts-node --transpile-only bench/auth.ts        (DATABASE_URL, else an embedded PostgreSQL)
 */
import { performance } from 'node:perf_hooks';
import { createLogger } from '../bridge/log';
import { createClinic, findClinicByApiKey } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';

const N = Number(process.env.BENCH_AUTH_REQUESTS) || 5000;

async function main(): Promise<void> {
  const database = await freshDatabase();
  const db = createPool(database.url, 10);
  await runMigrations(db);
  // A realistic key table: many clinics, some keys rotated.
  for (let i = 0; i < 200; i++) await createClinic(db, `clinic ${i}`);
  const { apiKey } = await createClinic(db, 'bench');
  let t = performance.now();
  for (let i = 0; i < N; i++) await findClinicByApiKey(db, apiKey);
  const seq = (performance.now() - t) / N;
  t = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < N / 10; i++) await findClinicByApiKey(db, apiKey);
    }),
  );
  const conc = N / ((performance.now() - t) / 1000);
  console.log(`key lookup (${database.label}): ${(seq * 1000).toFixed(0)} µs each on one connection; ${conc.toFixed(0)} lookups/s on 10`);

  const served = await serveApp({
    db,
    databaseUrl: database.url,
    connectionsPerWorker: 1,
    log: createLogger('silent'),
    adminToken: undefined,
    maxBodyBytes: 1 << 20,
    maxEntries: 10,
    personSystems: [],
    version: 'bench',
  });
  const url = served.url;
  const run = async (path: string, headers: Record<string, string>): Promise<number> => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < N / 8; i++) await (await fetch(`${url}${path}`, { headers })).arrayBuffer();
      }),
    );
    return N / ((performance.now() - started) / 1000);
  };
  const open = await run('/fhir/metadata', {});
  const authed = await run('/fhir/Patient/00000000-0000-4000-8000-000000000000', { authorization: `Bearer ${apiKey}` });
  const refused = await run('/fhir/Patient/00000000-0000-4000-8000-000000000000', { authorization: 'Bearer fab_wrong' });
  console.log(
    `HTTP, 8 clients: GET /fhir/metadata (no key) ${open.toFixed(0)}/s; GET /fhir/Patient/{unknown} with a key (lookup + read) ${authed.toFixed(0)}/s; with a wrong key (throttled to 429 after 20) ${refused.toFixed(0)}/s`,
  );
  await served.close();
  await db.end();
  await database.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
