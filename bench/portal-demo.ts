/**
 * A bridge with demo data for the portal bench and screenshots: one person (shared SSN) held by three clinics with
 * ≈ `perClinic` resources each (generated), the two other clinics consenting to the first, a few background patients.
 * `portalToken` is what the portal is handed: a patient token for the person's record at the first clinic.
 */
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { createClinic } from '../bridge/store/clinics';
import { createPool, type Db } from '../bridge/store/db';
import { runMigrations } from '../bridge/store/migrate';
import { serveApp } from '../test/helpers/app-server';
import { PATIENT_READ_SCOPES, patientToken } from '../test/helpers/patient-session';
import { freshDatabase } from './database';
import { seedSharedPerson } from './shared-person';

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

  const names = ['Charité Berlin', 'Klinikum München', 'Hospital de Santa Maria, Lisboa'];
  const clinics = [];
  for (const name of names) clinics.push({ ...(await createClinic(db, name)), name });
  const { patientIds, total } = await seedSharedPerson(url, clinics, {
    encountersPerPatient: opts.encountersPerPatient ?? 32,
    background: opts.background ?? 10,
    backgroundEncounters: 10,
  });
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
