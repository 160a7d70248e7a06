/**
 * A bridge with demo data for the portal bench and screenshots: one person (shared SSN) held by three clinics with
 * ≈ `perClinic` resources each (generated), the two other clinics consenting to the first, a few background patients.
 * `portalToken` is what the portal is handed: a patient token for the person's record at the first clinic.
 */
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool, type Db } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { PATIENT_READ_SCOPES, patientToken } from '../test/helpers/patient-session';
import { consent } from '../test/helpers/people';
import { freshDatabase } from './database';
import { generateBundles } from './generate';

const SSN = 'http://hl7.org/fhir/sid/us-ssn';

export interface DemoBridge {
  url: string;
  db: Db;
  label: string;
  clinics: { id: string; apiKey: string; name: string }[];
  patientIds: string[];
  /** Resources pushed for the person. */
  total: number;
  portalToken: string;
  close(): Promise<void>;
}

export async function startDemoBridge(opts: { encountersPerPatient?: number; background?: number } = {}): Promise<DemoBridge> {
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
    version: 'demo',
  });
  const url = served.url;
  const push = async (key: string, bundle: unknown): Promise<Bundle> => {
    const res = await fetch(`${url}/fhir`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    if (res.status !== 200) throw new Error(`push ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as Bundle;
  };
  const names = ['Charité Berlin', 'Klinikum München', 'Hospital de Santa Maria, Lisboa'];
  const clinics = [];
  for (const name of names) clinics.push({ ...(await createClinic(db, name)), name });
  const person = generateBundles({ bundles: 3, encountersPerPatient: opts.encountersPerPatient ?? 32, organizations: 10, seed: 7 });
  const patientIds: string[] = [];
  let total = 0;
  for (const [i, bundle] of person.entries()) {
    const p = bundle.entry![0].resource as Patient;
    p.identifier = p.identifier!.map((id) => (id.system === SSN ? { ...id, value: '999-00-0001' } : id));
    total += bundle.entry!.length;
    patientIds.push((await push(clinics[i].apiKey, bundle)).entry![0].response!.location!.split('/')[1]);
  }
  for (const i of [1, 2])
    await push(clinics[i].apiKey, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'POST', url: 'Consent' }, resource: consent('demo', `Patient/${patientIds[i]}`, clinics[0].id) }],
    });
  for (const [i, bundle] of generateBundles({ bundles: opts.background ?? 10, encountersPerPatient: 10, organizations: 10, seed: 99 }).entries())
    await push(clinics[i % 3].apiKey, bundle);
  await db.query('ANALYZE');

  // The scopes the portal asks for (web/portal/auth.ts): reads, and writes on what the patient owns.
  const portalToken = await patientToken(db, patientIds[0], [...PATIENT_READ_SCOPES, 'patient/Consent.cud', 'patient/Task.u', 'patient/Subscription.cd']);
  return {
    url,
    db,
    label: database.label,
    clinics,
    patientIds,
    total,
    portalToken,
    close: async () => {
      await served.close();
      await db.end();
      await database.close();
    },
  };
}
