/**
 * `fhir-bridge monitor` against a real bridge (state kept across runs; a tampered state or another log fails with
 * the reason), and `fhir-bridge witness` cosigning the checkpoints a bridge with LOG_WITNESSES submits to it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../bridge/log';
import { startWitness } from '../../../bridge/log-commands';
import { b64, fromB64 } from '../../../bridge/log/bytes';
import { defaultOrigin, loadOrCreateLogKey } from '../../../bridge/log/key';
import { formatCheckpoint, parseCheckpoint, parseNote, parseVkey, signNote, verifyNote, vkey } from '../../../bridge/log/note';
import { createLogService, type LogService } from '../../../bridge/log/service';
import { queueLogEntries } from '../../../bridge/store/log';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../../bridge/config';
import { serveApp, type AppServer } from '../../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { runCli } from '../../helpers/log/run-cli';
import { startTestBridge, type TestBridge } from '../../helpers/server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-monitor-'));
const queue = (db: TestDatabase['db'], n: number) =>
  queueLogEntries(
    db,
    Array.from({ length: n }, () => ({ kind: 'bundle' as const, refId: randomUUID(), docHash: '0x' + randomUUID().replace(/-/g, '').repeat(2) })),
  );

describe('monitor', () => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge();
    await queue(bridge.database.db, 40);
    await bridge.verifiableLog.integrate();
  });
  afterAll(() => bridge.close());

  const stateFile = path.join(dir, 'state.json');
  const monitor = (url = bridge.url, ...extra: string[]) => runCli(['monitor', '--log', url, '--state', stateFile, '--once', ...extra]);

  it('follows the log across runs, and fails loudly on a fork, a shrink or an inconsistency', async () => {
    expect(await monitor(bridge.url, '--key', bridge.verifiableLog.vkey)).toMatchObject({ code: 0 });
    const first = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    expect(first.size).toBe(40);
    await queue(bridge.database.db, 300);
    await bridge.verifiableLog.integrate();
    const again = await monitor();
    expect(again.code).toBe(0);
    expect(again.out).toContain('consistent: 40 → 340');
    const good = JSON.parse(fs.readFileSync(stateFile, 'utf8'));

    const tamper = (s: object) => fs.writeFileSync(stateFile, JSON.stringify({ ...good, ...s }));
    const flipped = b64(fromB64(good.root).map((x, i) => (i === 0 ? x ^ 1 : x)));
    tamper({ root: flipped });
    expect(await monitor()).toMatchObject({ code: 1, out: expect.stringContaining('FORK') });
    tamper({ size: good.size + 5 });
    expect(await monitor()).toMatchObject({ code: 1, out: expect.stringContaining('SHRINK') });
    tamper({ size: 17, root: first.root });
    expect(await monitor()).toMatchObject({ code: 1, out: expect.stringContaining('CONSISTENCY') });
    // A state that failed is not overwritten.
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).size).toBe(17);
    tamper({});
    expect(await monitor()).toMatchObject({ code: 0 });
  });

  it('refuses a checkpoint of another key, and a log served in its place', async () => {
    const other = await startTestBridge();
    try {
      await queue(other.database.db, 3);
      await other.verifiableLog.integrate();
      expect(await monitor(bridge.url, '--key', other.verifiableLog.vkey)).toMatchObject({ code: 1, out: expect.stringContaining('CHECKPOINT-SIGNATURE') });
      expect((await monitor(other.url)).code).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('witness', () => {
  let database: TestDatabase;
  let app: AppServer;
  let svc: LogService;
  let witness: { server: http.Server; url: string; vkey: string };
  const logKeyFile = path.join(dir, 'log-key.pem');

  beforeAll(async () => {
    database = await createTestDatabase();
    const key = loadOrCreateLogKey(logKeyFile);
    const origin = defaultOrigin(key.publicKey);
    witness = await startWitness({
      port: '0',
      keyFile: path.join(dir, 'witness-key.pem'),
      logOrigin: origin,
      logKey: vkey(origin, key.publicKey),
      name: 'witness.example/w1',
      state: path.join(dir, 'witness-state.json'),
    });
    svc = createLogService({
      db: database.db,
      log: createLogger('silent'),
      keyFile: logKeyFile,
      intervalMs: 60_000,
      witnesses: [{ url: witness.url, vkey: witness.vkey }],
    });
    app = await serveApp({
      db: database.db,
      databaseUrl: database.url,
      log: createLogger('silent'),
      verifiableLog: svc,
      adminToken: undefined,
      maxBodyBytes: 1 << 20,
      maxEntries: 100,
      personSystems: DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
      anchors: { contract: () => undefined, failures: () => 0, lastError: () => null },
    });
  });
  afterAll(async () => {
    await app.close();
    await svc.close();
    witness.server.close();
    await database.drop();
  });

  it('cosigns each checkpoint the bridge submits; /log/checkpoint carries the cosignature', async () => {
    const w = parseVkey(witness.vkey);
    for (const n of [5, 20]) {
      await queue(database.db, n);
      await svc.integrate();
      await svc.witnessed();
      const note = await (await fetch(`${app.url}/log/checkpoint`)).text();
      expect(verifyNote(note, [w])).toMatchObject({ ok: true, verified: ['witness.example/w1'] });
      expect(verifyNote(note, [parseVkey(svc.vkey)]).ok).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'witness-state.json'), 'utf8')).size).toBe(25);
    // /anchors/status names each witness and the size it last cosigned; nothing is anchored (no anchorer here).
    const status = (await (await fetch(`${app.url}/anchors/status`)).json()) as { log: Record<string, unknown> };
    expect(status.log).toMatchObject({ treeSize: 25, anchoredSize: null, secondsSinceLastAnchor: null, chainFailures: 0 });
    expect(status.log.witnesses).toEqual([{ url: witness.url, lastCosignedSize: 25 }]);
  });

  it('refuses a stale old size (409 with its size), an inconsistent checkpoint (422), an unsigned one (403)', async () => {
    const cur = (await svc.checkpoint())!;
    const cp = parseCheckpoint(parseNote(cur.note).text);
    const post = (body: string) => fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
    const stale = await post(`old 5\n\n${cur.note}`);
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await stale.text()).toBe(`${cp.size}\n`);
    const forge = (size: number) => signNote(formatCheckpoint({ origin: cp.origin, size, root: new Uint8Array(32).fill(7) }), svc.signingKey);
    const junk = [b64(new Uint8Array(32).fill(1)), b64(new Uint8Array(32).fill(2))];
    expect((await post(`old ${cp.size}\n${junk.map((p) => p + '\n').join('')}\n${forge(cp.size + 3)}`)).status).toBe(422);
    expect((await post(`old ${cp.size}\n\n${forge(cp.size)}`)).status).toBe(422);
    expect((await post(`old ${cp.size + 4}\n\n${forge(cp.size + 3)}`)).status).toBe(400);
    const unsigned = signNote(parseNote(cur.note).text, { name: cp.origin, seed: new Uint8Array(32).fill(1) });
    expect((await post(`old ${cp.size}\n\n${unsigned}`)).status).toBe(403);
    expect((await post(`nonsense`)).status).toBe(400);
  });
});
