/**
 * The verifiable log against a real PostgreSQL: every pushed bundle, resource version and audit record becomes a
 * leaf; proofs verify against what a reader is served; tiles and entry bundles recompute the checkpoint; two
 * sequencers on one database never fork the log; a person's audit entries form an unbroken hash chain.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { b64, fromB64, hex } from '../../../bridge/log/bytes';
import { commitment, type AuditLeaf } from '../../../bridge/log/entry';
import { parseCheckpoint, parseNote, parseVkey, verifyNote } from '../../../bridge/log/note';
import { verifyConsistencyOffline, verifyProofOffline, type Proof } from '../../../bridge/log/proof';
import { leafHash, rootOf } from '../../../bridge/log/rfc9162';
import { createLogService } from '../../../bridge/log/service';
import { createLogger } from '../../../bridge/log';
import { acceptedRefs, withSequencer } from '../../../bridge/store/log';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };
const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fab-log-')), 'log-key.pem');

beforeAll(async () => {
  bridge = await startTestBridge({ logKeyFile: keyFile });
  clinic = await bridge.clinic('Log Clinic');
});
afterAll(() => bridge.close());

const q = (sql: string, params: unknown[] = []) => bridge.database.db.query(sql, params);

it('logs every bundle, resource version and audit record, and proves a read resource to a signed checkpoint', async () => {
  const push = await api(bridge.url, clinic.apiKey, 'POST', '/fhir', fixtureBundle('transaction-patient-encounter.json'));
  expect(push.status).toBe(200);
  const location = (push.body.entry[0].response.location as string).split('/');
  const [type, id] = location;
  const read = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${type}/${id}`);
  expect(read.status).toBe(200);
  const size = (await bridge.verifiableLog.integrate()) as number;
  const kinds = (await q('SELECT kind, count(*)::int AS n FROM log_leaf GROUP BY kind ORDER BY kind')).rows;
  expect(kinds.find((k) => k.kind === 'bundle')?.n).toBe(1);
  expect(kinds.find((k) => k.kind === 'resource')?.n).toBe(push.body.entry.length);
  expect(kinds.find((k) => k.kind === 'audit')?.n).toBeGreaterThanOrEqual(2); // the push and the read
  expect((await q('SELECT count(*)::int AS n FROM log_queue')).rows[0].n).toBe(0);
  expect(size).toBe((await q('SELECT count(*)::int AS n FROM log_leaf')).rows[0].n);

  const proof = (await bridge.verifiableLog.proof({ kind: 'resource', id, version: 1 })) as Proof;
  expect(proof.version).toBe('fhir-anchor-proof/1');
  const keys = [parseVkey(bridge.verifiableLog.vkey)];
  expect(verifyProofOffline(proof, read.body, keys)).toMatchObject({ ok: true, signedBy: [bridge.verifiableLog.origin] });
  expect(verifyProofOffline(proof, { ...read.body, status: 'cancelled' }, keys)).toMatchObject({ ok: false, reason: 'document-mismatch' });
  // Unknown entries have no proof; pending ones say so.
  expect(await bridge.verifiableLog.proof({ kind: 'resource', id, version: 9 })).toBeNull();
});

it('serves tiles and entry bundles that recompute the checkpoint root', async () => {
  const cp = (await bridge.verifiableLog.checkpoint())!;
  const parsed = parseCheckpoint(parseNote(cp.note).text);
  const tile = (await bridge.verifiableLog.tile(0, 0, parsed.size))!;
  const leaves = Array.from({ length: parsed.size }, (_, i) => tile.subarray(i * 32, i * 32 + 32));
  expect(b64(rootOf(leaves))).toBe(b64(parsed.root));
  const bundle = (await bridge.verifiableLog.entries(0, parsed.size))!;
  for (let i = 0; i < parsed.size; i++) {
    expect([bundle[i * 34], bundle[i * 34 + 1]]).toEqual([0, 32]);
    expect(hex(leafHash(bundle.subarray(i * 34 + 2, i * 34 + 34)))).toBe(hex(leaves[i]));
  }
  expect(await bridge.verifiableLog.tile(0, 0, parsed.size + 1)).toBeNull();
  expect(verifyNote(cp.note, [parseVkey(bridge.verifiableLog.vkey)]).ok).toBe(true);
});

it('links the audit entries about one person into a hash chain, and proves consistency between checkpoints', async () => {
  const before = (await bridge.verifiableLog.checkpoint())!;
  const patient = (await q("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id as string;
  for (let i = 0; i < 3; i++) expect((await api(bridge.url, clinic.apiKey, 'GET', `/fhir/Patient/${patient}`)).status).toBe(200);
  await bridge.verifiableLog.integrate();
  const audits = (await q('SELECT a.id FROM audit_event a JOIN log_leaf l ON l.ref_id = a.id WHERE a.person_id IS NOT NULL ORDER BY l.chain_seq')).rows.map(
    (r) => r.id as string,
  );
  expect(audits.length).toBeGreaterThanOrEqual(4);
  const proofs = (await bridge.verifiableLog.proofs(audits.map((a) => ({ kind: 'audit' as const, id: a })))) as Proof[];
  const links = proofs.map((p) => (p.leaf as AuditLeaf).chain!);
  expect(links.map((l) => l.seq)).toEqual(links.map((_, i) => i + 1));
  expect(new Set(links.map((l) => l.id)).size).toBe(1);
  links.forEach((l, i) => expect(l.prev).toBe(i === 0 ? null : hex(commitment(proofs[i - 1].leaf))));
  for (const p of proofs) expect(verifyProofOffline(p)).toMatchObject({ ok: true });

  const after = (await bridge.verifiableLog.checkpoint())!;
  const c = (await bridge.verifiableLog.consistency(before.size, after.size))!;
  expect(verifyConsistencyOffline(c, [parseVkey(bridge.verifiableLog.vkey)])).toMatchObject({ ok: true });
  const tampered = { ...c, proof: c.proof.map((h, i) => (i === 0 ? b64(fromB64(h).map((x, j) => (j === 0 ? x ^ 1 : x))) : h)) };
  expect(verifyConsistencyOffline(tampered)).toMatchObject({ ok: false, reason: 'consistency' });
});

it('two sequencers on one database (two processes of one deployment, one key) never fork the log', async () => {
  const other = createLogService({ db: bridge.database.db, log: createLogger('silent'), keyFile, intervalMs: 1000 });
  expect(other.origin).toBe(bridge.verifiableLog.origin);
  const patient = (await q("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id as string;
  const reads = Array.from({ length: 40 }, () => api(bridge.url, clinic.apiKey, 'GET', `/fhir/Patient/${patient}`));
  const integrations: Promise<unknown>[] = [];
  for (let i = 0; i < 10; i++) integrations.push(bridge.verifiableLog.integrate(), other.integrate());
  await Promise.all([...reads, ...integrations]);
  await bridge.verifiableLog.integrate();
  const rows = (await q('SELECT leaf_index, commitment FROM log_leaf ORDER BY leaf_index')).rows as { leaf_index: number; commitment: Buffer }[];
  expect(rows.map((r) => r.leaf_index)).toEqual(rows.map((_, i) => i));
  const cp = parseCheckpoint(parseNote((await bridge.verifiableLog.checkpoint())!.note).text);
  expect(cp.size).toBe(rows.length);
  expect(b64(rootOf(rows.map((r) => leafHash(new Uint8Array(r.commitment)))))).toBe(b64(cp.root));
  // Every checkpoint either process published is a prefix of this tree.
  const all = (await q("SELECT tree_size, '0x' || encode(root, 'hex') AS root FROM log_checkpoint ORDER BY tree_size")).rows;
  for (const r of all) expect(r.root).toBe(hex(rootOf(rows.slice(0, r.tree_size).map((x) => leafHash(new Uint8Array(x.commitment))))));
  await other.close();
});

it('draws each salt at integration (32 random bytes, none alike, none queued); an entry queued with one keeps it', async () => {
  const before = Number((await q('SELECT count(*) AS n FROM log_leaf')).rows[0].n);
  const fresh = JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, 'SALT-1'));
  expect((await api(bridge.url, clinic.apiKey, 'POST', '/fhir', fresh)).status).toBe(200);
  // Writers no longer send salts: every entry this push queued waits without one.
  expect(Number((await q('SELECT count(*) AS n FROM log_queue WHERE salt IS NOT NULL')).rows[0].n)).toBe(0);
  const kept = 'ab'.repeat(32);
  await q(`INSERT INTO log_queue (kind, ref_id, doc_hash, salt) VALUES ('bundle', gen_random_uuid(), sha256('x'), decode($1, 'hex'))`, [kept]);
  await bridge.verifiableLog.integrate();
  const rows = (
    await q(
      `SELECT leaf_index, kind, ref_id, version, encode(doc_hash, 'hex') AS hash, encode(salt, 'hex') AS salt, clinic_id, resource_type, encode(commitment, 'hex') AS c
       FROM log_leaf WHERE leaf_index >= $1 ORDER BY leaf_index`,
      [before],
    )
  ).rows;
  expect(rows.length).toBeGreaterThan(3);
  expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.salt))).toBe(true);
  expect(new Set(rows.map((r) => r.salt)).size).toBe(rows.length);
  expect(rows[rows.length - 1].salt).toBe(kept);
  // Each leaf commits to its document with the salt stored beside it.
  for (const r of rows.filter((x) => x.kind === 'resource')) {
    const doc = {
      log: 'fhir-anchor-log/1',
      hash: `0x${r.hash}`,
      salt: `0x${r.salt}`,
      kind: 'resource',
      clinic: r.clinic_id,
      type: r.resource_type,
      id: r.ref_id,
      version: r.version,
    } as const;
    expect(hex(commitment(doc)).slice(2)).toBe(r.c);
  }
});

it('finds an accepted entry in the queue or in the leaves in one read, so one integrated meanwhile is never reported unknown', async () => {
  // Hold the sequencer lock so the push stays queued until released.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holder: { run: Promise<unknown> } | undefined;
  while (!holder) {
    // undefined when a sequencer tick held the lock at that moment: try again
    holder = await new Promise<{ run: Promise<unknown> } | undefined>((resolve) => {
      const run: Promise<void | undefined> = withSequencer(bridge.database.db, async (): Promise<void> => {
        resolve({ run });
        await held;
      });
      void run.then((r) => r === undefined && resolve(undefined));
    });
  }
  let ref: { kind: 'resource'; id: string; version: number };
  try {
    const created = await api(bridge.url, clinic.apiKey, 'POST', '/fhir/Patient', { resourceType: 'Patient', name: [{ family: 'Queued', given: ['Ada'] }] });
    expect(created.status).toBe(201);
    ref = { kind: 'resource', id: created.body.id as string, version: 1 };
    expect(await bridge.verifiableLog.proofs([ref, { ...ref, version: 2 }])).toEqual([{ pending: true }, null]);
    expect(await acceptedRefs(bridge.database.db, [ref, { ...ref, version: 2 }])).toEqual(new Set([`resource/${ref.id}/1`]));
  } finally {
    release();
    await holder.run;
  }
  await bridge.verifiableLog.integrate();
  expect((await q('SELECT count(*)::int AS n FROM log_queue WHERE ref_id = $1', [ref.id])).rows[0].n).toBe(0);
  // A proof whose leaf lookup ran before this integration asks next whether the entry is accepted: still yes.
  expect(await acceptedRefs(bridge.database.db, [ref, { ...ref, version: 2 }])).toEqual(new Set([`resource/${ref.id}/1`]));
  expect(await bridge.verifiableLog.proofs([ref, { ...ref, version: 2 }])).toEqual([expect.objectContaining({ version: 'fhir-anchor-proof/1' }), null]);
});
