import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { personIdentifierSystems } from './fhir/identifier-systems';
import { parseWitnesses, type WitnessConfig } from './log/witness-config';

export { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from './fhir/identifier-systems';

const intFrom = (def: number) => z.coerce.number().int().nonnegative().default(def);

const envSchema = z.object({
  PORT: intFrom(8080),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  EMBEDDED_PG_PORT: intFrom(54329),
  EMBEDDED_PG_HOME: z.string().optional(),
  EMBEDDED_PG_SHARED_BUFFERS_MB: z.coerce.number().int().min(16, 'EMBEDDED_PG_SHARED_BUFFERS_MB must be at least 16').optional(),
  BRIDGE_ADMIN_TOKEN: z.string().min(16, 'BRIDGE_ADMIN_TOKEN must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BODY_BYTES: intFrom(50 * 1024 * 1024),
  MAX_BUNDLE_ENTRIES: intFrom(10_000),
  DB_POOL_SIZE: intFrom(10),
  INGEST_WORKERS: z.coerce.number().int().nonnegative().optional(),
  /** The earlier name of INGEST_WORKERS, still read. */
  VALIDATION_WORKERS: z.coerce.number().int().nonnegative().optional(),
  INGEST_CONNECTIONS: z.coerce.number().int().min(1).default(4),
  INGEST_QUEUE: z.coerce.number().int().min(0).default(64),
  PERSON_IDENTIFIER_SYSTEMS: z.string().optional(),
  PERSON_IDENTIFIER_SYSTEMS_ADD: z.string().optional(),
  PERSON_IDENTIFIER_SYSTEMS_REMOVE: z.string().optional(),
  BREAK_GLASS_LIMIT: intFrom(10),
  MATCH_LIMIT: intFrom(60),
  MATCH_HANDLE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 24 * 3600)
    .default(7 * 24 * 3600),
  PUBLIC_BASE_URL: z.string().url().optional(),
  CHAIN_RPC_URL: z.string().url().optional(),
  CHAIN_PORT: intFrom(8545),
  CHAIN_HOST: z.string().default('127.0.0.1'),
  ANCHOR_PRIVATE_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'ANCHOR_PRIVATE_KEY must be 32 bytes of hex')
    .optional(),
  ANCHOR_CONTRACT: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'ANCHOR_CONTRACT must be an address (0x + 40 hex digits)')
    .optional(),
  CHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).default(1),
  CHAIN_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  BATCH_MAX_BUNDLES: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).default(5000),
  CHECKPOINT_ANCHOR_INTERVAL_MS: intFrom(0),
  AUTH_FAIL_LIMIT: intFrom(20),
  AUTH_FAIL_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  TRUST_PROXY: z.string().optional(),
  CORS_ORIGINS: z.string().optional(),
  CONSENT_REQUEST_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  NOTIFY_POLL_MS: z.coerce.number().int().min(10).default(1000),
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(8),
  NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(2000),
  NOTIFY_ALLOW_PRIVATE_HOSTS: z.enum(['true', 'false']).default('false'),
  ENROLMENT_CODE_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(90 * 24 * 60)
    .default(4320),
  SIGNIN_FAIL_LIMIT: intFrom(5),
  SIGNIN_FAIL_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  ID_TOKEN_KEY_FILE: z.string().optional(),
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  // C2SP checkpoint origin: a schema-less URL without spaces or "+" (default derived from the log key).
  LOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]{1,255}$/u, 'a non-empty name without spaces or "+", e.g. bridge.example.org/log')
    .optional(),
  LOG_SIGNING_KEY_FILE: z.string().optional(),
  // Witnesses (C2SP tlog-witness) each checkpoint is submitted to: comma-separated `<url>=<vkey>` pairs.
  LOG_WITNESSES: z.string().optional(),
  // The signed inclusion promise of each audited response (X-Log-Promise): its entry is in a checkpoint by then.
  LOG_MAX_DELAY_MS: z.coerce.number().int().min(10).max(86_400_000).default(60_000),
});

export interface BridgeConfig {
  port: number;
  host: string;
  /** Absent: an embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  /** Root-owned folder for the embedded PostgreSQL's binaries and clusters the postgres user cannot reach in place. */
  embeddedPgHome: string | undefined;
  /** shared_buffers of the embedded PostgreSQL in MB; undefined: a quarter of the memory (store/embedded.ts). */
  embeddedPgSharedBuffersMb: number | undefined;
  adminToken: string | undefined;
  logLevel: string;
  maxBodyBytes: number;
  maxBundleEntries: number;
  dbPoolSize: number;
  /** Worker threads that run pushes: parse, validate, hash, normalize, write (0: on the HTTP thread). */
  ingestWorkers: number;
  /** PostgreSQL connections of each ingest worker (and pushes it has in flight). */
  ingestConnections: number;
  /** Pushes that may wait for an ingest worker; beyond, 503 with Retry-After. */
  ingestQueue: number;
  personIdentifierSystems: string[];
  /** Break-glass accesses a clinic may make per hour (0: none). */
  breakGlassLimit: number;
  /** Patient/$match requests a clinic may make per hour (0: none). */
  matchLimit: number;
  /** How long a $match handle stays usable by the clinic it was issued to. */
  matchHandleTtlSeconds: number;
  /** Base URL written into Location headers and paging links; defaults to http://HOST:PORT. */
  publicBaseUrl: string | undefined;
  chain: ChainConfig;
  batchMaxBundles: number;
  batchMaxWaitMs: number;
  /** Least time between two checkpoint anchoring transactions (0: anchor each checkpoint as soon as it is published). */
  checkpointAnchorIntervalMs: number;
  /** Failed authentications per client address and window before 429 (0: no throttle). */
  authFailLimit: number;
  authFailWindowMs: number;
  /** Express `trust proxy`: false (the socket address is the client), true, a hop count, or addresses/subnets. */
  trustProxy: boolean | number | string;
  /** CORS_ORIGINS: browser origins allowed to call the FHIR API (`*`: any); none by default. */
  corsOrigins: string[] | '*';
  /** Longest period a consent request may ask for, in days. */
  consentRequestMaxDays: number;
  /** Subscription delivery: poll interval, deadline per delivery, attempts, first retry delay (doubled per attempt). */
  notify: { pollMs: number; timeoutMs: number; maxAttempts: number; retryBaseMs: number; allowPrivateHosts: boolean };
  /** Life of a patient enrolment code, in minutes (default 4320: three days). */
  enrolmentCodeTtlMinutes: number;
  /** Failed sign-ins per patient account (username or passkey) within the window before 429 (0: no per-account throttle). */
  signinFailLimit: number;
  signinFailWindowMs: number;
  /** The id_token signing key (a private RSA JWK); default DATA_DIR/id-token-key.json, created at first start. */
  idTokenKeyFile: string;
  /** The verifiable log: checkpoint interval, origin line (undefined: derived from the key) and Ed25519 key file. */
  log: { checkpointIntervalMs: number; origin: string | undefined; keyFile: string; witnesses: WitnessConfig[]; maxDelayMs: number };
}

/** TRUST_PROXY as Express reads it: `true`/`false`, a number of hops, else a comma list of addresses, subnets or names. */
export function parseTrustProxy(value: string | undefined): boolean | number | string {
  const v = value?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** Where batch roots are anchored: an in-process development chain, or any EVM chain over JSON-RPC. */
export type ChainConfig =
  | { kind: 'embedded'; host: string; port: number }
  | { kind: 'external'; rpcUrl: string; privateKey: string; contract: string | undefined; confirmations: number; rpcTimeoutMs: number };

function requireKey(key: string | undefined): string {
  if (!key) throw new Error('invalid configuration: ANCHOR_PRIVATE_KEY is required with CHAIN_RPC_URL');
  return key.startsWith('0x') ? key : `0x${key}`;
}

/** One ingest worker per CPU, at most 4: each holds the FHIR definitions (about 175 MB), and PostgreSQL caps the gain. */
export function defaultIngestWorkers(): number {
  return Math.min(os.availableParallelism(), 4);
}

/** CORS_ORIGINS: `*`, or comma-separated origins (`https://app.example.org`); throws on anything that is not an origin. */
export function parseCorsOrigins(value: string | undefined): string[] | '*' {
  const v = value?.trim() ?? '';
  if (v === '*') return '*';
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const url = URL.canParse(s) ? new URL(s) : undefined;
      if (!url || url.origin !== s.replace(/\/$/, '') || !/^https?:$/.test(url.protocol))
        throw new Error(`CORS_ORIGINS: "${s}" is not an origin (scheme://host[:port])`);
      return url.origin;
    });
}

function corsOriginsOf(value: string | undefined): string[] | '*' {
  try {
    return parseCorsOrigins(value);
  } catch (e) {
    throw new Error(`invalid configuration: ${(e as Error).message}`);
  }
}

/** Reads the environment into a typed config; throws a readable error naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  // A promise to include an entry sooner than the next checkpoint could be published would be broken by design.
  if (e.LOG_MAX_DELAY_MS < e.CHECKPOINT_INTERVAL_MS)
    throw new Error(`invalid configuration: LOG_MAX_DELAY_MS (${e.LOG_MAX_DELAY_MS}) must be at least CHECKPOINT_INTERVAL_MS (${e.CHECKPOINT_INTERVAL_MS})`);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    embeddedPgHome: e.EMBEDDED_PG_HOME ? path.resolve(e.EMBEDDED_PG_HOME) : undefined,
    embeddedPgSharedBuffersMb: e.EMBEDDED_PG_SHARED_BUFFERS_MB,
    adminToken: e.BRIDGE_ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxBundleEntries: e.MAX_BUNDLE_ENTRIES,
    dbPoolSize: e.DB_POOL_SIZE,
    ingestWorkers: e.INGEST_WORKERS ?? e.VALIDATION_WORKERS ?? defaultIngestWorkers(),
    ingestConnections: e.INGEST_CONNECTIONS,
    ingestQueue: e.INGEST_QUEUE,
    personIdentifierSystems: personIdentifierSystems(e.PERSON_IDENTIFIER_SYSTEMS, e.PERSON_IDENTIFIER_SYSTEMS_ADD, e.PERSON_IDENTIFIER_SYSTEMS_REMOVE),
    breakGlassLimit: e.BREAK_GLASS_LIMIT,
    matchLimit: e.MATCH_LIMIT,
    matchHandleTtlSeconds: e.MATCH_HANDLE_TTL_SECONDS,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    chain: e.CHAIN_RPC_URL
      ? {
          kind: 'external',
          rpcUrl: e.CHAIN_RPC_URL,
          privateKey: requireKey(e.ANCHOR_PRIVATE_KEY),
          contract: e.ANCHOR_CONTRACT,
          confirmations: e.CHAIN_CONFIRMATIONS,
          rpcTimeoutMs: e.CHAIN_RPC_TIMEOUT_MS,
        }
      : { kind: 'embedded', host: e.CHAIN_HOST, port: e.CHAIN_PORT },
    batchMaxBundles: e.BATCH_MAX_BUNDLES,
    batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
    checkpointAnchorIntervalMs: e.CHECKPOINT_ANCHOR_INTERVAL_MS,
    authFailLimit: e.AUTH_FAIL_LIMIT,
    authFailWindowMs: e.AUTH_FAIL_WINDOW_MS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    corsOrigins: corsOriginsOf(e.CORS_ORIGINS),
    consentRequestMaxDays: e.CONSENT_REQUEST_MAX_DAYS,
    notify: {
      pollMs: e.NOTIFY_POLL_MS,
      timeoutMs: e.NOTIFY_TIMEOUT_MS,
      maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: e.NOTIFY_RETRY_BASE_MS,
      allowPrivateHosts: e.NOTIFY_ALLOW_PRIVATE_HOSTS === 'true',
    },
    enrolmentCodeTtlMinutes: e.ENROLMENT_CODE_TTL_MINUTES,
    signinFailLimit: e.SIGNIN_FAIL_LIMIT,
    signinFailWindowMs: e.SIGNIN_FAIL_WINDOW_MS,
    idTokenKeyFile: path.resolve(e.ID_TOKEN_KEY_FILE ?? path.join(e.DATA_DIR, 'id-token-key.json')),
    log: {
      checkpointIntervalMs: e.CHECKPOINT_INTERVAL_MS,
      origin: e.LOG_ORIGIN,
      keyFile: path.resolve(e.LOG_SIGNING_KEY_FILE ?? path.join(e.DATA_DIR, 'log-key.pem')),
      witnesses: parseWitnesses(e.LOG_WITNESSES),
      maxDelayMs: e.LOG_MAX_DELAY_MS,
    },
  };
}
