import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAnchorCommands } from './anchor/commands';
import { registerLogCommands } from './log-commands';
import { SingleBar } from 'cli-progress';
import { loadConfig } from './config';
import { createLogger } from './log';
import { describeEmbedded, openDatabase, startBridge } from './main';
import { checkJwks } from './access/jwks';
import { clinicKeys, createClinic, revokeKey, rotateKey, setBreakGlass, setSmartClient } from './access/admin';
import { issueEnrolmentCode } from './access/identity';
import { checkRedirectUri, registerPatientApp } from './access/patient-oauth';
import { adminSession, clinicSession } from './access/session';
import { findClinic } from './store/clinics';
import { importItems, ImportSummary, listImportFiles, pushOne } from './tools/import';
import { VERSION } from './version';

const program = new Command().name('fhir-bridge').description('FHIR R4 bridge with on-chain anchoring').version(VERSION);

function fail(message: string): never {
  process.stderr.write(`fhir-bridge: ${message}\n`);
  process.exit(1);
}

program
  .command('start')
  .description('run the bridge (embedded PostgreSQL unless DATABASE_URL is set)')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    const bridge = await startBridge(config, log);
    process.stdout.write(`fhir-anchor-bridge ${VERSION} listening on ${bridge.url}  (FHIR base ${bridge.url}/fhir)\n`);
    // Passkeys need a host name (WebAuthn refuses an IP address as relying-party id).
    const portal = config.publicBaseUrl ?? bridge.url.replace('//127.0.0.1:', '//localhost:');
    process.stdout.write(`patient portal ${portal.replace(/\/$/, '')}/portal/\n`);
    if (bridge.embedded) process.stdout.write(describeEmbedded(bridge.embedded) + '\n');
    const chain = bridge.anchoring.contract();
    if (chain) {
      process.stdout.write(
        `anchoring on chain ${chain.chainId} at ${chain.address}, RPC ${chain.rpcUrl}${bridge.anchoring.embedded ? '  (embedded development chain)' : ''}\n`,
      );
    } else
      process.stdout.write(
        `anchoring chain ${config.chain.kind === 'external' ? config.chain.rpcUrl : ''} not reachable yet: bundles are accepted and anchored when it answers\n`,
      );
    process.stdout.write(`verifiable log ${bridge.verifiableLog.origin} (log id ${bridge.verifiableLog.logId}), key ${bridge.verifiableLog.vkey}\n`);
    if (bridge.generatedAdminToken) process.stdout.write(`admin token (generated, kept in ${config.dataDir}/admin-token): ${bridge.adminToken}\n`);
    else if (!config.adminToken) process.stdout.write(`admin token: in ${config.dataDir}/admin-token\n`);
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down');
      await bridge.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const database = await openDatabase(config, createLogger(config.logLevel), { shared: true });
    await database.close();
    process.stdout.write('migrations up to date\n');
  });

const clinic = program.command('clinic').description('manage clinics');
/** Thrown inside a database command so the database is closed before `fail` prints the message and exits. */
function refuse(message: string): never {
  throw new Error(message);
}

/** Runs `work` on the bridge's database (embedded or DATABASE_URL) and prints its JSON answer. */
async function withDatabase(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<unknown>): Promise<void> {
  const config = loadConfig();
  // shared: while a bridge runs on the embedded database, use its cluster instead of starting another.
  const database = await openDatabase(config, createLogger('warn'), { shared: true });
  try {
    process.stdout.write(JSON.stringify(await work(database.db), null, 2) + '\n');
  } finally {
    await database.close();
  }
}

clinic
  .command('smart-client <clinicId>')
  .description("register (or replace) a clinic's SMART Backend Services public JWKS; prints its client_id")
  .requiredOption('--jwks <file>', 'JSON file: {"keys": [...]} of public RS384/ES384 keys')
  .action((id: string, opts: { jwks: string }) =>
    withDatabase(async (db) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(opts.jwks, 'utf8'));
      } catch {
        refuse(`cannot read JSON from ${opts.jwks}`);
      }
      const jwks = await checkJwks(parsed);
      if (typeof jwks === 'string') refuse(jwks);
      return { clinicId: id, client_id: (await setSmartClient({ db }, adminSession(), id, { jwks }, 'cli')) ?? refuse(`no clinic ${id}`) };
    }),
  );
clinic
  .command('add <name>')
  .description('create a clinic and print its API key (shown once)')
  .action((name: string) => withDatabase((db) => createClinic({ db }, adminSession(), name)));
clinic
  .command('keys <clinicId>')
  .description("list a clinic's API keys (ids and dates, never the keys)")
  .action((id: string) => withDatabase(async (db) => (await clinicKeys({ db }, adminSession(), id)) ?? refuse(`no clinic ${id}`)));
clinic
  .command('rotate-key <clinicId>')
  .description('issue a new API key (printed once) and revoke the old ones now, or after --grace seconds')
  .option('--grace <seconds>', 'seconds the old keys keep working', '0')
  .action((id: string, opts: { grace: string }) =>
    withDatabase(async (db) => {
      const grace = Number(opts.grace);
      if (!Number.isInteger(grace) || grace < 0 || grace > 30 * 86_400) refuse('--grace must be a whole number of seconds, 0 to 2592000');
      return (await rotateKey({ db }, adminSession(), id, grace, 'cli')) ?? refuse(`no clinic ${id}`);
    }),
  );
clinic
  .command('revoke-key <clinicId>')
  .description('revoke now one API key of a clinic (--key), or all of them')
  .option('--key <keyId>', 'the key id (from `clinic keys`); absent: every key of the clinic')
  .action((id: string, opts: { key?: string }) =>
    withDatabase(async (db) => {
      const r = await revokeKey({ db }, adminSession(), id, opts.key, 'cli');
      if (r === 'no-clinic') refuse(`no clinic ${id}`);
      if (r === 'no-key') refuse(`clinic ${id} has no key ${opts.key}`);
      return { clinicId: id, revoked: r };
    }),
  );

clinic
  .command('break-glass <clinicId>')
  .description('let a clinic use emergency access (X-Break-Glass), or stop it')
  .option('--enable', 'allow break-glass for the clinic')
  .option('--disable', 'refuse break-glass for the clinic (403)')
  .action((id: string, opts: { enable?: boolean; disable?: boolean }) =>
    withDatabase(async (db) => {
      if (!!opts.enable === !!opts.disable) refuse('give exactly one of --enable, --disable');
      return (await setBreakGlass({ db }, adminSession(), id, !!opts.enable, 'cli')) ? { clinicId: id, breakGlass: !!opts.enable } : refuse(`no clinic ${id}`);
    }),
  );

const patient = program.command('patient').description("patients' accounts");
patient
  .command('enrol')
  .description("issue a one-time enrolment code for a clinic's Patient record (printed once; ENROLMENT_CODE_TTL_MINUTES)")
  .requiredOption('--clinic <clinicId>', 'the home clinic (the record must be its own)')
  .requiredOption('--patient <patientId>', 'the bridge Patient id of the record')
  .action((opts: { clinic: string; patient: string }) =>
    withDatabase(async (db) => {
      const home = /^[0-9a-f-]{36}$/i.test(opts.clinic) ? await findClinic(db, opts.clinic) : null;
      if (!home) refuse(`no clinic ${opts.clinic}`);
      const issued = await issueEnrolmentCode({ db }, clinicSession(home, 'api-key'), opts.patient, loadConfig().enrolmentCodeTtlMinutes).catch(
        (err: { status?: number }) => {
          if (err?.status === 404) refuse(`Patient/${opts.patient} is not a record of clinic ${opts.clinic}`);
          throw err;
        },
      );
      return { patient: opts.patient, code: issued.code, expires: issued.expires.toISOString() };
    }),
  );

const app = program.command('app').description('patient apps (SMART App Launch public clients)');
app
  .command('add')
  .description('register a patient app and print its client_id')
  .requiredOption('--name <name>', 'the name patients see')
  .requiredOption('--redirect-uri <uri...>', 'exact redirect URI(s): https, or http on loopback')
  .action((opts: { name: string; redirectUri: string[] }) =>
    withDatabase(async (db) => {
      const name = opts.name.trim();
      if (!name || name.length > 200) refuse('--name must be 1-200 characters');
      const uris = opts.redirectUri.map(checkRedirectUri);
      if (uris.some((u) => u === null)) refuse('each --redirect-uri must be https (http only on loopback), without a fragment');
      return registerPatientApp({ db }, adminSession(), name, uris as string[], 'cli');
    }),
  );

program
  .command('import <paths...>')
  .description('push FHIR bundles (.json) and NDJSON resources (.ndjson) to a running bridge as a clinic')
  .option('--url <url>', 'bridge base URL', process.env.FHIR_BRIDGE_URL ?? 'http://127.0.0.1:8080')
  .option('--key <apiKey>', 'clinic API key (or FHIR_BRIDGE_API_KEY)', process.env.FHIR_BRIDGE_API_KEY)
  .option('--concurrency <n>', 'bundles in flight', '4')
  .action(async (paths: string[], opts: { url: string; key?: string; concurrency: string }) => {
    if (!opts.key) fail('a clinic API key is needed: --key or FHIR_BRIDGE_API_KEY');
    const files = listImportFiles(paths);
    if (!files.length) fail('no .json or .ndjson files found');
    const items = [...importItems(files)];
    const bar = new SingleBar({
      format: 'import [{bar}] {value}/{total} bundles | {resources} resources | {eta_formatted} left',
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    const summary: ImportSummary = { ok: 0, rejected: [], resources: 0 };
    bar.start(items.length, 0, { resources: 0 });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++];
        if ('error' in item) summary.rejected.push({ label: item.label, status: 0, reason: item.error });
        else {
          const rejected = await pushOne(opts.url, opts.key as string, item.bundle).catch((e: Error) => ({
            status: 0,
            reason: `cannot reach ${opts.url}: ${e.message}`,
          }));
          if (rejected) summary.rejected.push({ label: item.label, ...rejected });
          else {
            summary.ok++;
            summary.resources += item.resources;
          }
        }
        bar.increment(1, { resources: summary.resources });
      }
    };
    // NDJSON chunks are ordered so referenced types arrive first: one at a time for them.
    const concurrency = items.some((i) => i.label.includes('.ndjson#')) ? 1 : Math.max(1, Number(opts.concurrency) || 1);
    await Promise.all(Array.from({ length: concurrency }, worker));
    bar.stop();
    process.stdout.write(`\nimported ${summary.ok} bundle(s), ${summary.resources} resources; rejected ${summary.rejected.length}\n`);
    for (const r of summary.rejected) process.stdout.write(`  rejected ${r.label}${r.status ? ` (HTTP ${r.status})` : ''}: ${r.reason}\n`);
    process.exitCode = summary.rejected.length ? 2 : 0;
  });

registerAnchorCommands(program);
registerLogCommands(program);

program.parseAsync(process.argv).catch((err: Error) => fail(err.message));
