import { createLogger, Logger } from '../../bridge/log';
import { createClinic } from '../../bridge/store/clinics';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../bridge/config';
import type { LogService } from '../../bridge/log/service';
import { serveApp } from './app-server';
import { createTestDatabase, TestDatabase } from './db';

export interface TestBridge {
  url: string;
  database: TestDatabase;
  /** The verifiable log this bridge serves (sequencer every 100 ms; `integrate()` publishes a checkpoint now). */
  verifiableLog: LogService;
  adminToken: string;
  clinic(name: string): Promise<{ id: string; apiKey: string; keyId: string }>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestBridgeOptions {
  maxBodyBytes?: number;
  maxEntries?: number;
  ingestWorkers?: number;
  log?: Logger;
  /** Serve this database (another bridge's: two processes on one database) instead of a fresh one; not dropped at close. */
  database?: TestDatabase;
  authFailLimit?: number;
  authFailWindowMs?: number;
  trustProxy?: boolean | number | string;
  /** CORS_ORIGINS (default none). */
  corsOrigins?: string[] | '*';
  breakGlassLimit?: number;
  matchLimit?: number;
  /** Subscription endpoints on loopback/private hosts accepted (NOTIFY_ALLOW_PRIVATE_HOSTS): local hook servers. */
  allowPrivateHookHosts?: boolean;
  /** Patient sign-in: failures per account before 429 (SIGNIN_FAIL_LIMIT), life of enrolment codes, public origin. */
  signinFailLimit?: number;
  enrolmentCodeTtlMinutes?: number;
  publicBaseUrl?: string;
  /** The verifiable log's key file (two bridges on one database share one, as processes of one deployment do). */
  logKeyFile?: string;
  /** Sequencer interval (default 100 ms); e.g. an hour keeps new entries pending until `verifiableLog.integrate()`. */
  logIntervalMs?: number;
}

/** The real HTTP app on a random port over a fresh database (or a shared one). */
export async function startTestBridge(overrides: TestBridgeOptions = {}): Promise<TestBridge> {
  const database = overrides.database ?? (await createTestDatabase());
  const served = await serveApp({
    db: database.db,
    databaseUrl: database.url,
    ingestWorkers: overrides.ingestWorkers,
    log: overrides.log ?? createLogger('silent'),
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: overrides.maxBodyBytes ?? 50 * 1024 * 1024,
    maxEntries: overrides.maxEntries ?? 10_000,
    personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    authFailLimit: overrides.authFailLimit,
    authFailWindowMs: overrides.authFailWindowMs,
    trustProxy: overrides.trustProxy,
    corsOrigins: overrides.corsOrigins,
    breakGlassLimit: overrides.breakGlassLimit,
    matchLimit: overrides.matchLimit,
    allowPrivateHookHosts: overrides.allowPrivateHookHosts,
    signinFailLimit: overrides.signinFailLimit,
    enrolmentCodeTtlMinutes: overrides.enrolmentCodeTtlMinutes,
    publicBaseUrl: overrides.publicBaseUrl,
    logKeyFile: overrides.logKeyFile,
    logIntervalMs: overrides.logIntervalMs,
  });
  return {
    url: served.url,
    verifiableLog: served.verifiableLog,
    database,
    adminToken: ADMIN_TOKEN,
    clinic: (name) => createClinic(database.db, name),
    close: async () => {
      await served.close();
      if (!overrides.database) await database.drop();
    },
  };
}
