import { randomUUID } from 'node:crypto';
import { b64, fromB64 } from '../../../bridge/log/bytes';
import { randomSeed } from '../../../bridge/log/ed25519';
import { cosignatureLine, parseNote, publicKeyOf, vkey, SIG_COSIGNATURE_V1 } from '../../../bridge/log/note';
import { verify, type VerifyInput } from '../../../web/verifier/verify';
import { bundleDocumentHash } from '../../../web/verifier/documents';
import { bundleLeaf, otherLeaves, resourceLeaf, testLog } from '../../helpers/log-fixture';

/**
 * The verifier's proof and consistency paths (web/verifier/verify.ts, run in Node: the same module the page runs) on
 * a log built from the core: each line's outcome and reason, for valid evidence and for each tampering. No chain here
 * (no RPC URL: the chain lines are "not checked"); the browser tests ask the real chain.
 */
const clinic = randomUUID();
const resource = {
  resourceType: 'Observation',
  id: randomUUID(),
  meta: { versionId: '2', lastUpdated: '2024-05-01T10:00:00Z' },
  status: 'final',
  valueString: 'é 1e-7',
};
const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'Rivera' }] } }] };
const leaves = [...otherLeaves(5), resourceLeaf(resource, clinic), bundleLeaf(bundleDocumentHash(bundle)), ...otherLeaves(6)];
const log = testLog(leaves);

const run = async (over: Partial<VerifyInput>): Promise<Record<string, string>> => {
  const v = await verify({ document: '', evidence: '', rpcUrl: '', contract: '', vkey: '', timeoutMs: 1000, ...over });
  const lines = Object.fromEntries(v.checks.map((c) => [c.id, c.reason ? `${c.outcome}:${c.reason}` : c.outcome]));
  expect(lines.core).toBeUndefined(); // the core's verifyProofOffline never refuses what the lines passed
  return lines;
};
const flipB64 = (s: string): string => {
  const b = fromB64(s);
  b[0] ^= 1;
  return b64(b);
};

test('a resource with its proof: every offline line passes with the log’s key (vkey or bare key); without one the signature is "not checked"', async () => {
  const input = { document: JSON.stringify(resource), evidence: JSON.stringify(log.proof(5, 13)) };
  const offline = { format: 'ok', document: 'ok', leaf: 'ok', inclusion: 'ok', signature: 'ok', chain: 'skipped', anchored: 'skipped' };
  expect(await run({ ...input, vkey: log.vkey })).toEqual(offline);
  expect(await run({ ...input, vkey: log.publicKey })).toEqual(offline);
  expect(await run(input)).toEqual({ ...offline, signature: 'skipped' });
  const v = await verify({ ...input, rpcUrl: '', contract: '', vkey: '', timeoutMs: 1000 });
  expect(v.checks.find((c) => c.id === 'signature')?.detail).toMatch(/^signature not checked/);
  expect(v.ok).toBe(false);
  expect(v.partial).toBe(true);
  // a bundle leaf: the document is hashed without its root id and meta
  expect(
    await run({ document: JSON.stringify({ ...bundle, id: 'x', meta: { versionId: '1' } }), evidence: JSON.stringify(log.proof(6, 13)), vkey: log.vkey }),
  ).toEqual(offline);
});

test('tampering: the resource, its version, a proof hash, the leaf, the checkpoint, its signature, the key', async () => {
  const proof = log.proof(5, 13) as { tlogProof: string; leaf: Record<string, unknown> };
  const doc = JSON.stringify(resource);
  const base = { document: doc, evidence: JSON.stringify(proof), vkey: log.vkey };
  expect(await run({ ...base, document: doc.replace('final', 'finam') })).toMatchObject({
    document: 'fail:document-mismatch',
    inclusion: 'ok',
    signature: 'ok',
  });
  expect(await run({ ...base, document: JSON.stringify({ ...resource, meta: { ...resource.meta, versionId: '3' } }) })).toMatchObject({
    document: 'fail:document-mismatch',
  });

  const lines = proof.tlogProof.split('\n');
  const hashAt = lines.findIndex((l, i) => i > 1 && l.length === 44);
  const badHash = [...lines];
  badHash[hashAt] = flipB64(lines[hashAt]);
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, tlogProof: badHash.join('\n') }) })).toMatchObject({
    document: 'ok',
    inclusion: 'fail:inclusion',
    signature: 'ok',
  });
  const dropped = lines.filter((_, i) => i !== hashAt);
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, tlogProof: dropped.join('\n') }) })).toMatchObject({ inclusion: 'fail:inclusion' });
  // a leaf with another salt or version is another entry: the document still matches, inclusion fails
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, leaf: { ...proof.leaf, salt: '0x' + '11'.repeat(32) } }) })).toMatchObject({
    document: 'ok',
    inclusion: 'fail:inclusion',
  });
  // the checkpoint's root rewritten: inclusion fails and so does the signature over it
  const cpAt = lines.indexOf('', 2) + 3;
  const badRoot = [...lines];
  badRoot[cpAt] = flipB64(lines[cpAt]);
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, tlogProof: badRoot.join('\n') }) })).toMatchObject({
    inclusion: 'fail:inclusion',
    signature: 'fail:checkpoint-signature',
  });
  const sigAt = lines.findIndex((l) => l.startsWith('— '));
  const badSig = [...lines];
  badSig[sigAt] = badSig[sigAt].replace(/ (\S+)$/, (_m, s: string) => ' ' + b64(Uint8Array.from(fromB64(s), (x, i) => (i === 20 ? x ^ 1 : x))));
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, tlogProof: badSig.join('\n') }) })).toMatchObject({
    inclusion: 'ok',
    signature: 'fail:checkpoint-signature',
  });
  // another log's key, or garbage
  expect(await run({ ...base, vkey: testLog(leaves).vkey })).toMatchObject({ signature: 'fail:checkpoint-signature' });
  expect(await run({ ...base, vkey: testLog(leaves, log.origin).vkey })).toMatchObject({ signature: 'fail:checkpoint-signature' });
  expect(await run({ ...base, vkey: 'not+a+key' })).toMatchObject({ signature: 'fail:malformed' });
  // broken format
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, extra: 1 }) })).toEqual({ format: 'fail:malformed' });
  expect(await run({ ...base, evidence: JSON.stringify({ ...proof, anchor: { chainId: 1 } }) })).toEqual({ format: 'fail:malformed' });
});

test('a checkpoint with a consistency proof to a later one; fork, shrink, a wrong hash, another checkpoint', async () => {
  const c = log.consistency(6, 13) as { old: string; new: string; proof: string[] };
  const offline = { format: 'ok', document: 'ok', signature: 'ok', consistency: 'ok', chain: 'skipped', anchored: 'skipped' };
  expect(await run({ document: c.old, evidence: JSON.stringify(c), vkey: log.vkey })).toEqual(offline);
  // only the checkpoint's text lines, as a user may keep them
  expect(await run({ document: c.old.split('\n\n')[0], evidence: JSON.stringify(c), vkey: log.vkey })).toEqual(offline);
  expect(await run({ document: '', evidence: JSON.stringify(c) })).toMatchObject({ document: 'skipped', signature: 'skipped', consistency: 'ok' });

  const badHash = { ...c, proof: [flipB64(c.proof[0]), ...c.proof.slice(1)] };
  expect(await run({ document: c.old, evidence: JSON.stringify(badHash), vkey: log.vkey })).toMatchObject({ consistency: 'fail:consistency' });
  // another log of the same origin and size: a fork (against the proof's own checkpoints, and against the one held)
  const forked = testLog([...otherLeaves(13)], log.origin);
  expect(await run({ document: forked.checkpoint(6), evidence: JSON.stringify(c), vkey: log.vkey })).toMatchObject({ document: 'fail:fork' });
  const sameSize = { ...log.consistency(6, 6), new: forked.checkpoint(6) };
  expect(await run({ document: '', evidence: JSON.stringify(sameSize) })).toMatchObject({ consistency: 'fail:fork' });
  const shrink = { ...log.consistency(6, 13), old: log.checkpoint(13), new: log.checkpoint(6) };
  expect(await run({ document: '', evidence: JSON.stringify(shrink) })).toMatchObject({ consistency: 'fail:shrink' });
  expect(await run({ document: log.checkpoint(5), evidence: JSON.stringify(c) })).toMatchObject({ document: 'fail:consistency' });
  // the later checkpoint signed by someone else
  expect(await run({ document: c.old, evidence: JSON.stringify({ ...c, new: forked.checkpoint(13) }), vkey: log.vkey })).toMatchObject({
    signature: 'fail:checkpoint-signature',
  });
});

test('an RPC URL that is not one is malformed; the chain lines are then not checked', async () => {
  const receiptLike = { version: 'fhir-anchor-receipt/1' };
  for (const rpcUrl of ['not a url', 'ftp://127.0.0.1/']) {
    const v = await verify({ document: '{}', evidence: JSON.stringify(log.proof(0, 13)), rpcUrl, contract: '0x' + '11'.repeat(20), vkey: '', timeoutMs: 1000 });
    expect(v.checks.find((c) => c.id === 'chain')).toMatchObject({ outcome: 'fail', reason: 'malformed' });
    expect(v.checks.find((c) => c.id === 'anchored')).toMatchObject({ outcome: 'skipped' });
  }
  expect((await verify({ document: '{}', evidence: JSON.stringify(receiptLike), rpcUrl: '', contract: '', vkey: '', timeoutMs: 1 })).checks[0]).toMatchObject({
    reason: 'malformed',
  });
  expect((await verify({ document: '{}', evidence: JSON.stringify(log.proof(0, 13)), rpcUrl: '', contract: '0x12', vkey: '', timeoutMs: 1 })).checks).toEqual([
    expect.objectContaining({ id: 'contract-input', reason: 'malformed' }),
  ]);
});

test('witness keys: each one given must have cosigned the checkpoint (C2SP tlog-cosignature)', async () => {
  const witness = { name: 'witness.example/w1', seed: randomSeed() };
  const witnessKey = vkey(witness.name, publicKeyOf(witness), SIG_COSIGNATURE_V1);
  const proof = log.proof(5, 13) as { tlogProof: string };
  const note = proof.tlogProof.slice(proof.tlogProof.indexOf('\n\n') + 2);
  const cosigned = { ...proof, tlogProof: proof.tlogProof + cosignatureLine(parseNote(note).text, witness, 1_700_000_000) };
  const input = { document: JSON.stringify(resource), evidence: JSON.stringify(cosigned) };
  const v = await verify({ ...input, rpcUrl: '', contract: '', vkey: `${log.vkey} ${witnessKey}`, timeoutMs: 1000 });
  expect(v.checks.find((c) => c.id === 'signature')).toMatchObject({ outcome: 'ok', detail: expect.stringContaining('cosigned by witness.example/w1') });
  expect(await run({ ...input, vkey: log.vkey })).toMatchObject({ signature: 'ok' }); // a cosignature nobody asked about is fine
  // the witness's key given, its cosignature absent or forged
  expect(await run({ document: input.document, evidence: JSON.stringify(proof), vkey: `${log.vkey} ${witnessKey}` })).toMatchObject({
    signature: 'fail:checkpoint-signature',
  });
  const other = { name: witness.name, seed: randomSeed() };
  const forged = { ...proof, tlogProof: proof.tlogProof + cosignatureLine(parseNote(note).text, other, 1_700_000_000) };
  expect(await run({ document: input.document, evidence: JSON.stringify(forged), vkey: `${log.vkey} ${witnessKey}` })).toMatchObject({
    signature: 'fail:checkpoint-signature',
  });
  // only a witness's key, not the log's
  expect(await run({ ...input, vkey: witnessKey })).toMatchObject({ signature: 'fail:checkpoint-signature' });
});

test('a search or $everything entry with its proof extension (_proofs=true) stands for document and proof', async () => {
  const entry = {
    fullUrl: `Observation/${resource.id}`,
    resource,
    extension: [{ url: 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proof', valueString: JSON.stringify(log.proof(5, 13)) }],
  };
  const offline = { format: 'ok', document: 'ok', leaf: 'ok', inclusion: 'ok', signature: 'ok', chain: 'skipped', anchored: 'skipped' };
  expect(await run({ document: JSON.stringify(entry), evidence: '', vkey: log.vkey })).toEqual(offline);
  expect(await run({ document: '', evidence: JSON.stringify(entry), vkey: log.vkey })).toEqual(offline);
  const changed = { ...entry, resource: { ...resource, status: 'amended' } };
  expect(await run({ document: '', evidence: JSON.stringify(changed), vkey: log.vkey })).toMatchObject({ document: 'fail:document-mismatch' });
});
