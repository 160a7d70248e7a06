import express, { Express } from 'express';
import { generateIdTokenKey, type IdTokenKey } from '../access/id-token';
import { DEFAULT_ENROLMENT_CODE_TTL_MINUTES, DEFAULT_SIGNIN_SESSION_SECONDS } from '../access/identity';
import { DEFAULT_OFFLINE_REFRESH_SECONDS, DEFAULT_PATIENT_ACCESS_TOKEN_SECONDS, type PatientOAuthSettings } from '../access/patient-oauth';
import { accessServices } from '../access/services';
import { sessionClinicId } from '../access/session';
import { outcomes } from '../fhir/outcome';
import type { Logger } from '../log';
import type { LogService } from '../log/service';
import type { IngestPool } from '../ingest/ingest-pool';
import { ping } from '../store/connection';
import type { Db } from '../store/db';
import type { AuthGuard } from './auth';
import { AuthThrottle } from './auth-throttle';
import { CORS_PATHS, corsFor } from './cors';
import { errorHandler, sendOutcome } from './errors';
import { fhirFormatGuard } from './format-guard';
import { adminRouter } from './routes/admin';
import { anchorsRouter, type AnchorsInfo } from './routes/anchors';
import { exportRouter } from './routes/export';
import { DEFAULT_LOG_MAX_DELAY_MS, logPromises } from './log-promise';
import { fhirRouter } from './routes/fhir';
import { logKeysRouter } from './routes/log-keys';
import { healthLinkRouter } from './routes/health-links';
import { matchRouter } from './routes/match';
import { patientRouter } from './routes/patients';
import { pullRouter } from './routes/pull';
import { identityRouter } from './routes/identity';
import { logRouter } from './routes/log';
import { smartRouter } from './routes/smart';
import { subscriptionRouter } from './routes/subscriptions';
import { taskRouter } from './routes/tasks';
import { webRouter } from './routes/web';

export interface AppOptions {
  db: Db;
  log: Logger;
  /** The verifiable log (bridge/log/service.ts): served under /log and behind every proof. */
  verifiableLog?: LogService;
  /** LOG_MAX_DELAY_MS: an audited response promises its audit entry is in a checkpoint within this delay. */
  logMaxDelayMs?: number;
  adminToken: string | undefined;
  maxBodyBytes: number;
  maxEntries: number;
  /** Where pushes run (worker threads, or inline). */
  ingest: IngestPool;
  personSystems: string[];
  /** Break-glass reads per clinic and hour (BREAK_GLASS_LIMIT; default 10). */
  breakGlassLimit?: number;
  /** Patient/$match requests per clinic and hour (MATCH_LIMIT; default 60) and the life of its handles (MATCH_HANDLE_TTL_SECONDS). */
  matchLimit?: number;
  matchHandleTtlSeconds?: number;
  /** Subscription endpoints on loopback/private/link-local hosts accepted (NOTIFY_ALLOW_PRIVATE_HOSTS; default false). */
  allowPrivateHookHosts?: boolean;
  publicBaseUrl?: string;
  version: string;
  /** Readiness beyond the database (e.g. the chain); the database is always checked. */
  isReady?: () => Promise<boolean>;
  /** Anchoring status and receipts at /anchors (absent: not mounted). */
  anchors?: AnchorsInfo;
  /** Browser origins allowed to call the FHIR API and the token endpoint (CORS_ORIGINS; `*`: any). Default none. */
  corsOrigins?: string[] | '*';
  /** Express `trust proxy` (TRUST_PROXY): whose X-Forwarded-For names the client. Default false: the socket's address. */
  trustProxy?: boolean | number | string;
  /** Failed authentications per address and window before 429 (AUTH_FAIL_LIMIT, 0: off; AUTH_FAIL_WINDOW_MS). */
  authFailLimit?: number;
  authFailWindowMs?: number;
  /** Longest period a consent request may ask for, in days (CONSENT_REQUEST_MAX_DAYS; default 365). */
  consentRequestMaxDays?: number;
  /** The built portal and Health Link viewer (dist/web by default); served at /portal/ and /shl/view. */
  webDir?: string;
  /** Called when a request queued Subscription notifications (wakes the notifier of this process). */
  notified?: () => void;
  /** Life of a patient enrolment code (ENROLMENT_CODE_TTL_MINUTES; default 4320 = 3 days). */
  enrolmentCodeTtlMinutes?: number;
  /** Failed sign-ins per account (username or passkey) and window before 429 (SIGNIN_FAIL_LIMIT, default 5; SIGNIN_FAIL_WINDOW_MS, 15 min). */
  signinFailLimit?: number;
  signinFailWindowMs?: number;
  /** The id_token signing key (DATA_DIR/id-token-key.json or ID_TOKEN_KEY_FILE); absent: one made for this process. */
  idTokenKey?: IdTokenKey;
}

/** Refusals whose log line names the client address (no other line does). */
const REFUSALS = new Set([401, 403, 429]);

/** The HTTP surface. No request body, header or resource is ever logged: they carry personal data and keys. */
export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No body-hash ETags: FHIR reads and writes set their version ETag (W/"vid") themselves; hashing every search
  // and $everything page (megabytes with proofs) to offer a 304 nobody asks for costs more than it saves.
  app.set('etag', false);
  app.set('trust proxy', opts.trustProxy ?? false);
  const guard: AuthGuard = { log: opts.log, throttle: new AuthThrottle({ limit: opts.authFailLimit ?? 20, windowMs: opts.authFailWindowMs ?? 60_000 }) };
  app.set('query parser', 'extended');
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      opts.log.info(
        {
          method: req.method,
          path: req.route ? `${req.baseUrl}${req.route.path}` : req.baseUrl || req.path.split('?')[0].split('/').slice(0, 3).join('/'),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          clinic: req.session ? (sessionClinicId(req.session) ?? undefined) : undefined,
          ...(REFUSALS.has(res.statusCode) ? { client: req.ip ?? req.socket.remoteAddress } : {}),
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ping(opts.db);
      const extra = opts.isReady ? await opts.isReady() : true;
      res.status(extra ? 200 : 503).json({ status: extra ? 'ready' : 'not ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  // The access layer the routers call (sessions, policy, audit): the one holder of the database for them.
  const access = accessServices(opts);
  // CORS first: a preflight carries no key and must be answered before any router asks for one.
  const corsMiddleware = corsFor(opts.corsOrigins ?? []);
  if (corsMiddleware) app.use(CORS_PATHS, corsMiddleware);
  // Before every router under /fhir (pull, export, match, tasks… are mounted at the app): JSON or 406.
  app.use('/fhir', fhirFormatGuard);
  // The portal and the Health Link viewer: static pages, before every API router (no session needed to load them).
  if (opts.verifiableLog) app.use(logPromises(opts.verifiableLog, opts.logMaxDelayMs ?? DEFAULT_LOG_MAX_DELAY_MS));
  app.use(webRouter(opts.webDir));
  // The verifiable log (C2SP tlog-tiles): public, before every authenticated router.
  app.use(logRouter(access));
  app.use(logKeysRouter(access));
  app.use('/admin', express.json({ limit: 64 * 1024 }), adminRouter(access, opts.adminToken, guard));
  const oauth: PatientOAuthSettings = {
    idTokenKey: opts.idTokenKey ?? generateIdTokenKey(),
    accessTokenSeconds: DEFAULT_PATIENT_ACCESS_TOKEN_SECONDS,
    offlineRefreshSeconds: DEFAULT_OFFLINE_REFRESH_SECONDS,
  };
  app.use(smartRouter(access, opts.publicBaseUrl, guard, oauth));
  // Patients: enrolment codes, sign-in, SMART authorize/revoke (before /fhir, whose routes would take Patient/{id}/$…).
  app.use(
    identityRouter({
      access,
      publicBaseUrl: opts.publicBaseUrl,
      guard,
      settings: {
        enrolmentCodeTtlMinutes: opts.enrolmentCodeTtlMinutes ?? DEFAULT_ENROLMENT_CODE_TTL_MINUTES,
        signinSessionSeconds: DEFAULT_SIGNIN_SESSION_SECONDS,
        signinFailLimit: opts.signinFailLimit ?? 5,
        signinFailWindowMs: opts.signinFailWindowMs ?? 15 * 60_000,
        oauth,
      },
    }),
  );
  // SMART Health Links: the patient's /shl and the public, CORS-open /shl/manifest/… and /shl/file/….
  app.use(healthLinkRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard }));
  // Before /fhir: its `/:type/:id` routes would otherwise take `$export`, `Patient/$export` and `$export-status/…`.
  app.use(pullRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard }));
  app.use(exportRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard }));
  app.use(matchRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard }));
  // A patient's Consents, requests, notifications and the clinic list: patient tokens only, before the clinic routes.
  app.use(patientRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard, notified: opts.notified }));
  // Consent requests (Task) and Subscriptions: before the generic /fhir/:type routes, which would store them as plain resources.
  app.use(
    taskRouter({
      access,
      maxBodyBytes: opts.maxBodyBytes,
      publicBaseUrl: opts.publicBaseUrl,
      guard,
      consentRequestMaxDays: opts.consentRequestMaxDays,
      notified: opts.notified,
    }),
  );
  app.use(subscriptionRouter({ access, publicBaseUrl: opts.publicBaseUrl, guard }));
  app.use('/fhir', fhirRouter({ access, maxBodyBytes: opts.maxBodyBytes, publicBaseUrl: opts.publicBaseUrl, version: opts.version, guard }));
  if (opts.anchors) app.use('/anchors', anchorsRouter(access, opts.anchors));
  app.use((req, res) => sendOutcome(res, outcomes.notFound(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(opts.log, opts.maxBodyBytes));
  return app;
}
