/**
 * `fhir-bridge verify` for the log's proofs: a resource with its fhir-anchor-proof/1, a checkpoint with a
 * fhir-anchor-consistency/1 proof; every failure names its reason. The chain is a JSON-RPC stub answering
 * checkpointRoot/latestCheckpoint from a table, so each case is exact; test/integration/log/chain-verify.test.ts runs
 * them against a bridge on its real chain.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ed25519PublicKey, randomSeed } from '../../../bridge/log/ed25519';
import { cosignatureLine, parseNote, vkey, SIG_COSIGNATURE_V1 } from '../../../bridge/log/note';
import { logIdOf, type Proof } from '../../../bridge/log/proof';
import { hex, MemoryLog, rootKey, startRegistryStub } from '../../helpers/log/memory-log';
import { runCli } from '../../helpers/log/run-cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-verify-'));
const file = (name: string, v: unknown): string => {
  const f = path.join(dir, `${name}-${process.hrtime.bigint()}`);
  fs.writeFileSync(f, typeof v === 'string' ? v : JSON.stringify(v));
  return f;
};
const CONTRACT = '0x' + '12'.repeat(20);

let chain: Awaited<ReturnType<typeof startRegistryStub>>;
const log = new MemoryLog();
beforeAll(async () => {
  chain = await startRegistryStub();
  for (let i = 0; i < 13; i++) log.addResource(i);
  chain.roots.set(rootKey(logIdOf(log.origin), 13), hex(log.root(13)));
});
afterAll(() => chain.close());

const anchor = (size: number): Proof['anchor'] => ({
  chainId: 31337,
  contract: CONTRACT,
  logId: logIdOf(log.origin),
  treeSize: size,
  txHash: '0x' + 'ab'.repeat(32),
  blockNumber: 5,
});
const verify = (doc: unknown, proof: unknown, ...extra: string[]) =>
  runCli(['verify', '--document', file('doc', doc), '--proof', file('proof', proof), '--rpc', chain.url, ...extra]);

it('accepts a resource with its proof: one line per check, then VALID', async () => {
  const r = await verify(log.docs[4], log.proof(4, 13, anchor(13)), '--key', log.vkey);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^ok +document: /m);
  expect(r.out).toMatch(/^ok +inclusion: /m);
  expect(r.out).toMatch(/^ok +checkpoint signature: /m);
  expect(r.out).toMatch(/^ok +chain: /m);
  expect(r.out).toMatch(/^VALID /m);
});

it('names the reason of each failure', async () => {
  const p = log.proof(4, 13, anchor(13));
  const cases: [string, unknown, unknown, string[]][] = [
    ['document-mismatch', { ...(log.docs[4] as object), valueInteger: 99 }, p, []],
    ['inclusion', log.docs[4], { ...p, tlogProof: p.tlogProof.replace(/\nindex 4\n/, '\nindex 5\n') }, []],
    ['malformed', log.docs[4], { ...p, leaf: { ...p.leaf, extra: 1 } }, []],
    ['checkpoint-signature', log.docs[4], p, ['--key', new MemoryLog(log.origin).vkey]],
    ['not-anchored', log.docs[4], log.proof(4, 12, anchor(12)), []],
    ['not-anchored', log.docs[4], log.proof(4, 13, null), []],
  ];
  for (const [reason, doc, proof, extra] of cases) {
    const r = await verify(doc, proof, ...extra);
    expect([reason, r.code]).toEqual([reason, 1]);
    expect(r.out).toContain(`INVALID (${reason})`);
  }
  // The chain anchors another root at that size.
  const other = new MemoryLog(log.origin);
  for (let i = 0; i < 13; i++) other.addResource(i);
  const r = await verify(other.docs[2], other.proof(2, 13, anchor(13)));
  expect(r.out).toContain('INVALID (anchor-mismatch)');
  expect(r.code).toBe(1);
});

it('requires each --witness to have cosigned the checkpoint', async () => {
  const seed = randomSeed();
  const w = { name: 'witness.example', seed };
  const wkey = vkey(w.name, ed25519PublicKey(seed), SIG_COSIGNATURE_V1);
  const p = log.proof(3, 13, anchor(13));
  const cosigned = { ...p, tlogProof: p.tlogProof + cosignatureLine(parseNote(log.checkpoint(13)).text, w, 1_700_000_000) };
  expect((await verify(log.docs[3], cosigned, '--key', log.vkey, '--witness', wkey)).code).toBe(0);
  const r = await verify(log.docs[3], p, '--witness', wkey);
  expect(r.out).toContain('INVALID (checkpoint-signature)');
});

it('verifies a checkpoint with a consistency proof to a later one', async () => {
  const c = log.consistency(6, 13);
  const keyFile = file('vkey', log.vkey + '\n');
  const run = (note: string, proof: unknown, ...extra: string[]) =>
    runCli(['verify', '--checkpoint', file('cp', note), '--proof', file('cons', proof), '--rpc', chain.url, '--contract', CONTRACT, ...extra]);
  const ok = await run(c.old, c, '--key-file', keyFile);
  expect(ok.code).toBe(0);
  expect(ok.out).toMatch(/^ok +consistency: /m);
  expect(ok.out).toMatch(/^VALID /m);
  const bad = { ...c, proof: [...c.proof].reverse() };
  expect((await run(c.old, bad)).out).toContain('INVALID (consistency)');
  const shrink = { ...log.consistency(6, 13), old: log.checkpoint(13), new: log.checkpoint(6) };
  expect((await run(shrink.old, shrink)).out).toContain('INVALID (shrink)');
  const other = new MemoryLog(log.origin);
  for (let i = 0; i < 13; i++) other.addResource(i);
  const fork = { ...c, old: other.checkpoint(13), new: log.checkpoint(13), proof: [] };
  expect((await run(fork.old, fork)).out).toContain('INVALID (fork)');
  // Consistent, but the later checkpoint is not anchored.
  const unanchored = log.consistency(6, 12);
  expect((await run(unanchored.old, unanchored)).out).toContain('INVALID (not-anchored)');
});

it('exits 2 on usage errors', async () => {
  expect((await runCli(['verify', '--rpc', chain.url])).code).toBe(2);
  expect((await runCli(['verify', '--proof', file('p', log.proof(1, 13, anchor(13))), '--rpc', chain.url])).code).toBe(2);
  expect((await verify(log.docs[1], log.proof(1, 13, anchor(13)), '--key', 'nonsense')).code).toBe(2);
  const c = log.consistency(6, 13);
  expect((await runCli(['verify', '--proof', file('c', c), '--rpc', chain.url])).code).toBe(2);
});
