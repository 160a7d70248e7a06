/**
 * The public `/log` routes over HTTP (C2SP tlog-tiles): a client that fetches the checkpoint and the tiles recomputes
 * the root itself; malformed paths get 400, missing tiles 404; no salt is ever served.
 */
import { randomUUID } from 'node:crypto';
import { b64, hex } from '../../../bridge/log/bytes';
import { parseCheckpoint, parseNote, parseVkey, verifyNote } from '../../../bridge/log/note';
import { verifyConsistencyOffline } from '../../../bridge/log/proof';
import { remoteLog } from '../../../bridge/log/remote';
import { leafHash } from '../../../bridge/log/rfc9162';
import { TileTree } from '../../../bridge/log/tiles';
import { queueLogEntries } from '../../../bridge/store/log';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;

const queue = (n: number) =>
  queueLogEntries(
    bridge.database.db,
    Array.from({ length: n }, () => ({ kind: 'bundle' as const, refId: randomUUID(), docHash: '0x' + randomUUID().replace(/-/g, '').repeat(2) })),
  );

beforeAll(async () => {
  bridge = await startTestBridge();
  const clinic = await bridge.clinic('Log Routes Clinic');
  expect((await api(bridge.url, clinic.apiKey, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'))).status).toBe(200);
  await queue(300); // more than one full tile, so level 1 exists
  await bridge.verifiableLog.integrate();
});
afterAll(() => bridge.close());

const get = (path: string) => fetch(`${bridge.url}${path}`);

it('serves the signed checkpoint and the key, and tiles that recompute its root', async () => {
  const res = await get('/log/checkpoint');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-cache');
  const note = await res.text();
  const key = (await (await get('/log/key')).text()).trim();
  expect(key).toBe(bridge.verifiableLog.vkey);
  expect(verifyNote(note, [parseVkey(key)]).ok).toBe(true);
  const cp = parseCheckpoint(parseNote(note).text);
  expect(cp.size).toBeGreaterThan(300);

  const root = await new TileTree(cp.size, remoteLog(bridge.url).tiles(cp.size)).root();
  expect(b64(root)).toBe(b64(cp.root));

  // Entry bundles hash to the level-0 tile's leaf hashes.
  const entries = new Uint8Array(await (await get('/log/tile/entries/000')).arrayBuffer());
  const tile = await get('/log/tile/0/000');
  expect(tile.headers.get('content-type')).toBe('application/octet-stream');
  expect(tile.headers.get('cache-control')).toContain('immutable');
  const leaves = new Uint8Array(await tile.arrayBuffer());
  expect(entries.length).toBe(256 * 34);
  for (let i = 0; i < 256; i++) expect(hex(leafHash(entries.subarray(i * 34 + 2, i * 34 + 34)))).toBe(hex(leaves.subarray(i * 32, i * 32 + 32)));
  const partial = cp.size - 256;
  expect((await get(`/log/tile/0/001.p/${partial}`)).status).toBe(200);
  expect((await get(`/log/tile/entries/001.p/${partial}`)).status).toBe(200);
  expect((await get(`/log/tile/1/000.p/1`)).status).toBe(200);
  expect((await get(`/log/checkpoint/${cp.size}`)).status).toBe(200);
});

it('answers 404 for tiles and checkpoints the tree does not have, 400 for malformed paths', async () => {
  const cp = (await bridge.verifiableLog.checkpoint())!;
  for (const p of ['/log/tile/0/002', `/log/tile/0/001.p/${cp.size - 256 + 1}`, '/log/tile/entries/001', '/log/tile/2/000', '/log/checkpoint/3']) {
    const res = await get(p);
    expect([p, res.status]).toEqual([p, 404]);
  }
  for (const p of [
    '/log/tile/0/1',
    '/log/tile/0/x000/001',
    '/log/tile/0/000.p/256',
    '/log/tile/0/000.p/0',
    '/log/tile/64/000',
    '/log/tile/a/000',
    '/log/tile/0/000.p/01',
    '/log/checkpoint/x',
    '/log/proof/consistency?old=a&new=1',
    '/log/proof/consistency?old=5&new=2',
  ]) {
    const res = await get(p);
    expect([p, res.status]).toEqual([p, 400]);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).not.toMatch(/OperationOutcome|at .*\.ts/);
  }
});

it('serves consistency proofs between published checkpoints', async () => {
  const old = (await bridge.verifiableLog.checkpoint())!;
  await queue(5);
  await bridge.verifiableLog.integrate();
  const cur = (await bridge.verifiableLog.checkpoint())!;
  const res = await get(`/log/proof/consistency?old=${old.size}&new=${cur.size}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.version).toBe('fhir-anchor-consistency/1');
  expect(verifyConsistencyOffline(body, [parseVkey(bridge.verifiableLog.vkey)])).toMatchObject({ ok: true });
  expect((await get(`/log/proof/consistency?old=${old.size + 1}&new=${cur.size}`)).status).toBe(404);
});

it('never serves a salt', async () => {
  const salts = (await bridge.database.db.query("SELECT encode(salt, 'hex') AS s, encode(salt, 'base64') AS b FROM log_leaf LIMIT 20")).rows;
  const cp = (await bridge.verifiableLog.checkpoint())!;
  const bodies = [
    await (await get('/log/checkpoint')).text(),
    Buffer.from(await (await get('/log/tile/entries/000')).arrayBuffer()).toString('hex'),
    Buffer.from(await (await get('/log/tile/0/000')).arrayBuffer()).toString('hex'),
    await (await get(`/log/proof/consistency?old=1&new=${cp.size}`)).text(),
  ].join('\n');
  for (const s of salts) {
    expect(bodies).not.toContain(s.s);
    expect(bodies).not.toContain(s.b);
  }
});
