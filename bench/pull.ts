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
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { freshDatabase } from './database';
import { generateBundles } from './generate';

const ROUNDS = Number(process.env.BENCH_PULL_ROUNDS ?? 200);
const BACKGROUND = Number(process.env.BENCH_PULL_BACKGROUND ?? 30);
const SSN = 'http://hl7.org/fhir/sid/us-ssn';

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

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
  const pushAs = async (key: string, bundle: Bundle): Promise<Bundle> => {
    const res = await fetch(`${url}/fhir`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    if (res.status !== 200) throw new Error(`push ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as Bundle;
  };
  try {
    const clinics = [await createClinic(db, 'A'), await createClinic(db, 'B'), await createClinic(db, 'C')];
    // the person: three bundles of ≈ 330 resources, one per clinic, sharing one SSN
    const person = generateBundles({ bundles: 3, encountersPerPatient: 30, organizations: 10, seed: 7 });
    const patientIds: string[] = [];
    let total = 0;
    for (const [i, bundle] of person.entries()) {
      const p = bundle.entry![0].resource as Patient;
      p.identifier = p.identifier!.map((id) => (id.system === SSN ? { ...id, value: '999-00-0001' } : id));
      total += bundle.entry!.length;
      const response = await pushAs(clinics[i].apiKey, bundle);
      patientIds.push(response.entry![0].response!.location!.split('/')[1]);
    }
    for (const i of [1, 2]) {
      await pushAs(clinics[i].apiKey, {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            request: { method: 'POST', url: 'Consent' },
            resource: {
              resourceType: 'Consent',
              status: 'active',
              scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
              category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
              patient: { reference: `Patient/${patientIds[i]}` },
              policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
              provision: {
                type: 'permit',
                actor: [
                  {
                    role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
                    reference: { reference: `Organization/${clinics[0].id}` },
                  },
                ],
              },
            },
          } as never,
        ],
      });
    }
    const background = generateBundles({ bundles: BACKGROUND, encountersPerPatient: 20, organizations: 10, seed: 99 });
    for (const [i, bundle] of background.entries()) await pushAs(clinics[i % 3].apiKey, bundle);
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
