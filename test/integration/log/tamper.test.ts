/**
 * Tamper cases against a real bridge and PostgreSQL, each caught with its reason from the shared vocabulary: a changed
 * resource, a changed proof element, a dropped audit entry, a rewritten entry, a forked log, a shrinking tree.
 * These use the offline checks (bridge/log/proof.ts, chain.ts); the on-chain ones (not-anchored, anchor-mismatch, a
 * chain whose anchored size shrinks) run against a bridge on its real chain in chain-verify.test.ts beside this file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../bridge/log';
import { b64, fromB64 } from '../../../bridge/log/bytes';
import { verifyChain } from '../../../bridge/log/chain';
import { formatCheckpoint, parseCheckpoint, parseNote, parseVkey, signNote } from '../../../bridge/log/note';
import { verifyConsistencyOffline, verifyProofOffline, type Proof } from '../../../bridge/log/proof';
import { consistencyRanges } from '../../../bridge/log/rfc9162';
import { createLogService } from '../../../bridge/log/service';
import { TileTree, type TileReader } from '../../../bridge/log/tiles';
import { readTiles } from '../../../bridge/store/log';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };
let patient: string;
let read: Record<string, unknown>;
const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fab-tamper-')), 'log-key.pem');

const q = (sql: string, params: unknown[] = []) => bridge.database.db.query(sql, params);

beforeAll(async () => {
  bridge = await startTestBridge({ logKeyFile: keyFile });
  clinic = await bridge.clinic('Tamper Clinic');
  expect((await api(bridge.url, clinic.apiKey, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'))).status).toBe(200);
  patient = (await q("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id as string;
  for (let i = 0; i < 3; i++) read = (await api(bridge.url, clinic.apiKey, 'GET', `/fhir/Patient/${patient}`)).body;
  await bridge.verifiableLog.integrate();
});
afterAll(() => bridge.close());

const keys = () => [parseVkey(bridge.verifiableLog.vkey)];
const flip = (h: string): string => b64(fromB64(h).map((x, j) => (j === 0 ? x ^ 1 : x)));

it('a changed resource → document-mismatch; a changed proof element → inclusion', async () => {
  const proof = (await bridge.verifiableLog.proof({ kind: 'resource', id: patient, version: 1 })) as Proof;
  expect(verifyProofOffline(proof, read, keys())).toMatchObject({ ok: true });
  expect(verifyProofOffline(proof, { ...read, gender: read.gender === 'male' ? 'female' : 'male' }, keys())).toMatchObject({
    ok: false,
    reason: 'document-mismatch',
  });
  const lines = proof.tlogProof.split('\n');
  expect(lines.length).toBeGreaterThan(3);
  lines[2] = flip(lines[2]); // the first inclusion hash
  expect(verifyProofOffline({ ...proof, tlogProof: lines.join('\n') }, read, keys())).toMatchObject({ ok: false, reason: 'inclusion' });
  const moved = proof.tlogProof.replace(/\nindex (\d+)\n/, (_m, i) => `\nindex ${Number(i) + 1}\n`);
  expect(verifyProofOffline({ ...proof, tlogProof: moved }, read, keys())).toMatchObject({ ok: false, reason: 'inclusion' });
});

it("a dropped audit entry from a person's chain → chain-gap", async () => {
  const ids = (await q('SELECT l.ref_id FROM log_leaf l WHERE l.chain_id IS NOT NULL ORDER BY l.chain_seq')).rows.map((r) => r.ref_id as string);
  expect(ids.length).toBeGreaterThanOrEqual(3);
  const proofs = (await bridge.verifiableLog.proofs(ids.map((id) => ({ kind: 'audit' as const, id })))) as Proof[];
  const leaves = proofs.map((p) => p.leaf);
  expect(verifyChain(leaves)).toMatchObject({ ok: true, length: leaves.length });
  for (const drop of [0, 1, leaves.length - 2]) {
    const gap = leaves.filter((_, i) => i !== drop);
    expect(verifyChain(gap)).toMatchObject({ ok: false, reason: 'chain-gap' });
  }
  expect(verifyChain([leaves[1], leaves[0], ...leaves.slice(2)])).toMatchObject({ ok: false, reason: 'chain-gap' });
});

it('a rewritten entry → the tiles no longer make the earlier root, and a checkpoint over the rewritten tree is inconsistent with it', async () => {
  const before = (await bridge.verifiableLog.checkpoint())!;
  for (let i = 0; i < 3; i++) await api(bridge.url, clinic.apiKey, 'GET', `/fhir/Patient/${patient}`);
  await bridge.verifiableLog.integrate();
  const after = (await bridge.verifiableLog.checkpoint())!;
  expect(after.size).toBeGreaterThan(before.size);
  expect(after.size).toBeLessThan(256); // one level-0 tile holds every leaf hash
  // The operator rewrites leaf 1: its commitment and its leaf hash in the level-0 tile.
  await q("UPDATE log_leaf SET commitment = decode(repeat('ab', 32), 'hex') WHERE leaf_index = 1");
  await q("UPDATE log_tile SET hashes = overlay(hashes placing decode(repeat('cd', 32), 'hex') from 33 for 32) WHERE level = 0 AND idx = 0");
  const old = parseCheckpoint(parseNote(before.note).text);
  // The rewritten tiles as the database holds them, which a restarted bridge serves (the running one keeps tiles it
  // read in memory, the log being append-only): its log service starts with an empty cache.
  const restarted = createLogService({ db: bridge.database.db, log: createLogger('silent'), keyFile, intervalMs: 3_600_000 });
  const stored: TileReader = (ids) => readTiles(bridge.database.db, ids);
  expect(b64(await new TileTree(old.size, stored).root())).not.toBe(b64(old.root));
  // A checkpoint signed over the rewritten tree, and the consistency proof the rewritten tiles give.
  const tree = new TileTree(after.size, stored);
  const rewritten = signNote(formatCheckpoint({ origin: old.origin, size: after.size, root: await tree.root() }), bridge.verifiableLog.signingKey);
  const proof = (await tree.hashes(consistencyRanges(old.size, after.size))).map(b64);
  const c = { version: 'fhir-anchor-consistency/1', old: before.note, new: rewritten, proof };
  expect(verifyConsistencyOffline(c, keys())).toMatchObject({ ok: false, reason: 'consistency' });
  // The bridge serves that same proof from its rewritten tiles.
  const served = (await restarted.consistency(before.size, after.size))!;
  expect(served.proof).toEqual(proof);
});

it('a forked log (two checkpoints of one size, different roots) → fork; a shrinking tree → shrink', async () => {
  const cur = (await bridge.verifiableLog.checkpoint())!;
  const cp = parseCheckpoint(parseNote(cur.note).text);
  const forged = signNote(formatCheckpoint({ origin: cp.origin, size: cp.size, root: fromB64(flip(b64(cp.root))) }), bridge.verifiableLog.signingKey);
  const fork = { version: 'fhir-anchor-consistency/1', old: cur.note, new: forged, proof: [] };
  expect(verifyConsistencyOffline(fork, keys())).toMatchObject({ ok: false, reason: 'fork' });
  const sizes = (await q('SELECT tree_size FROM log_checkpoint ORDER BY tree_size')).rows.map((r) => Number(r.tree_size));
  const older = (await bridge.verifiableLog.checkpointAt(sizes[0]))!;
  const shrink = { version: 'fhir-anchor-consistency/1', old: cur.note, new: older.note, proof: [] };
  expect(verifyConsistencyOffline(shrink, keys())).toMatchObject({ ok: false, reason: 'shrink' });
});
