import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { startAnchoring, type Anchoring } from './anchor/service';
import type { BridgeConfig } from './config';
import { loadOrCreateIdTokenKey } from './access/id-token';
import { createApp } from './http/app';
import { startIngestPool } from './ingest/ingest-pool';
import { resumeStalledExports } from './pull/export-job';
import type { Logger } from './log';
import { createPool, Db } from './store/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './store/embedded';
import { runMigrations } from './store/migrate';
import { backfillSensitivity } from './store/sensitivity';
import { backfillLogEntries } from './log/backfill';
import { reindexSearch } from './ingest/search-reindex';
import { VERSION } from './version';
import { createLogService, type LogService } from './log/service';
import { startNotifier } from './notify/delivery';

export interface RunningBridge {
  url: string;
  db: Db;
  adminToken: string;
  /** Set when the admin token was generated at this start (printed once so the operator can keep it). */
  generatedAdminToken: boolean;
  databaseUrl: string;
  /** Set when the bridge runs its embedded PostgreSQL. */
  embedded?: EmbeddedPostgres;
  /** The batcher and the chain it anchors on. */
  anchoring: Anchoring;
  /** The verifiable log: sequencer, checkpoints, proofs. */
  verifiableLog: LogService;
  close(): Promise<void>;
}

/** The admin token: configured, else generated once and kept under DATA_DIR (mode 600). */
function adminTokenFor(config: BridgeConfig): { token: string; generated: boolean } {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), generated: false };
  fs.mkdirSync(config.dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}

/** What `npm start` prints about the embedded PostgreSQL: where its cluster and binaries are, when not where expected. */
export function describeEmbedded(pg: EmbeddedPostgres): string {
  const where = pg.relocated ? `cluster in ${pg.pgData} (the postgres user cannot reach DATA_DIR)` : `cluster in ${pg.pgData}`;
  return `embedded PostgreSQL on 127.0.0.1:${pg.port}, ${where}${pg.shared ? ', run by another fhir-bridge process' : ''}, binaries in ${pg.binaries}`;
}

/**
 * Opens the database (embedded unless DATABASE_URL), applies migrations, returns the pool and how to release it.
 * `shared` (CLI commands): the embedded cluster a running bridge already runs is used, not started twice.
 */
export async function openDatabase(
  config: BridgeConfig,
  log: Logger,
  opts: { shared?: boolean } = {},
): Promise<{ db: Db; url: string; embedded?: EmbeddedPostgres; close(): Promise<void> }> {
  let url = config.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPgPort, {
      mode: opts.shared ? 'shared' : 'own',
      home: config.embeddedPgHome,
      sharedBuffersMb: config.embeddedPgSharedBuffersMb,
    });
    url = embedded.url;
    stopEmbedded = embedded.stop;
    log.info(
      { port: embedded.port, dir: embedded.pgData, binaries: embedded.binaries, relocated: embedded.relocated, shared: embedded.shared },
      'embedded PostgreSQL ready',
    );
  }
  const db = createPool(url, config.dbPoolSize);
  try {
    const applied = await runMigrations(db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    // Rows written before migration 020 get their sensitivity labels (restricted pulls withhold them until then).
    const classified = await backfillSensitivity(db);
    if (classified) log.info({ classified }, 'resource sensitivity backfilled');
    // Resource versions stored before the verifiable log (migration 022) join it.
    const logged = await backfillLogEntries(db);
    if (logged) log.info({ versions: logged }, 'earlier resource versions queued for the verifiable log');
    // Resources stored before migration 026 get the values of every R4 search parameter (before any search is served).
    let last = Date.now();
    const indexed = await reindexSearch(db, 500, (done) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      log.info({ done }, 'indexing stored resources for search');
    });
    if (indexed) log.info({ resources: indexed }, 'stored resources indexed for search');
  } catch (err) {
    await db.end();
    await stopEmbedded?.();
    throw err;
  }
  return {
    db,
    url,
    embedded,
    close: async () => {
      await db.end();
      await stopEmbedded?.();
    },
  };
}

/** Resumes export jobs orphaned by a process that died: at start, then every minute (one pass at a time). */
function watchStalledExports(db: Db, log: Logger, verifiableLog: LogService): { stop(): void } {
  let running = false;
  const pass = (): void => {
    if (running) return;
    running = true;
    resumeStalledExports(db, undefined, verifiableLog)
      .then((n) => n && log.info({ resumed: n }, 'orphaned export jobs resumed'))
      .catch((err: Error) => log.warn({ errName: err.name }, 'resuming export jobs failed; retrying in a minute'))
      .finally(() => (running = false));
  };
  pass();
  const timer = setInterval(pass, 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Wires config → store → http and starts listening. */
export async function startBridge(config: BridgeConfig, log: Logger): Promise<RunningBridge> {
  const database = await openDatabase(config, log);
  const ingest = await startIngestPool({
    workers: config.ingestWorkers,
    db: database.db,
    databaseUrl: database.url,
    connectionsPerWorker: config.ingestConnections,
    maxQueued: config.ingestQueue,
  }).catch(async (err) => {
    await database.close();
    throw err;
  });
  const admin = adminTokenFor(config);
  const anchoring = await startAnchoring(database.db, log, {
    chain: config.chain,
    dataDir: config.dataDir,
    maxBundles: config.batchMaxBundles,
    maxWaitMs: config.batchMaxWaitMs,
    checkpointIntervalMs: config.checkpointAnchorIntervalMs,
  }).catch(async (err) => {
    await ingest.close();
    await database.close();
    throw err;
  });
  // Checkpoints are published by the sequencer; the anchorer (bridge/anchor) puts them on chain.
  const verifiableLog = createLogService({
    db: database.db,
    log,
    keyFile: config.log.keyFile,
    origin: config.log.origin,
    intervalMs: config.log.checkpointIntervalMs,
    witnesses: config.log.witnesses,
    onCheckpoint: () => anchoring.checkpoints.wake(),
  });
  verifiableLog.start();
  const exports = watchStalledExports(database.db, log, verifiableLog);
  const notifier = startNotifier(database.db, log, config.notify);
  const app = createApp({
    db: database.db,
    log,
    verifiableLog,
    logMaxDelayMs: config.log.maxDelayMs,
    adminToken: admin.token,
    maxBodyBytes: config.maxBodyBytes,
    maxEntries: config.maxBundleEntries,
    ingest,
    personSystems: config.personIdentifierSystems,
    breakGlassLimit: config.breakGlassLimit,
    matchLimit: config.matchLimit,
    matchHandleTtlSeconds: config.matchHandleTtlSeconds,
    allowPrivateHookHosts: config.notify.allowPrivateHosts,
    publicBaseUrl: config.publicBaseUrl,
    version: VERSION,
    anchors: { contract: anchoring.contract, failures: anchoring.batcher.failures, lastError: anchoring.batcher.lastError, checkpoints: anchoring.checkpoints },
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    authFailLimit: config.authFailLimit,
    authFailWindowMs: config.authFailWindowMs,
    consentRequestMaxDays: config.consentRequestMaxDays,
    notified: notifier.wake,
    enrolmentCodeTtlMinutes: config.enrolmentCodeTtlMinutes,
    signinFailLimit: config.signinFailLimit,
    signinFailWindowMs: config.signinFailWindowMs,
    idTokenKey: loadOrCreateIdTokenKey(config.idTokenKeyFile),
  });
  const server: Server = (await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err) => {
    exports.stop();
    await notifier.stop();
    await verifiableLog.close();
    await anchoring.close();
    await ingest.close();
    await database.close();
    throw err;
  })) as Server;
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  return {
    url,
    db: database.db,
    adminToken: admin.token,
    generatedAdminToken: admin.generated,
    databaseUrl: database.url,
    embedded: database.embedded,
    anchoring,
    verifiableLog,
    close: async () => {
      // Finish requests in flight (their bundles commit), then drop idle keep-alive sockets so close() resolves.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(force);
      exports.stop();
      await notifier.stop();
      await verifiableLog.close();
      await anchoring.close();
      await ingest.close();
      await database.close();
    },
  };
}
