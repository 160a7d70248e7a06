/**
 * A resource, bundle or audit record document with its `fhir-anchor-proof/1`: each step is the log core's own
 * function (bridge/log/proof.ts, entry.ts, rfc9162.ts, note.ts, as `fhir-bridge verify` runs them), one line each;
 * then the chain: `checkpointRoot(logId, treeSize)` of the AnchorRegistry equals the checkpoint root. The core's whole
 * offline verdict (verifyProofOffline) is computed too and must agree with the lines.
 */
import { hex } from '../../bridge/log/bytes';
import { commitment, leafHashOf } from '../../bridge/log/entry';
import { parseCheckpoint, parseNote, type Checkpoint } from '../../bridge/log/note';
import { logIdOf, parseProof, parseTlogProof, verifyProofOffline, type Proof, type TlogProof } from '../../bridge/log/proof';
import { rootFromInclusion } from '../../bridge/log/rfc9162';
import { openRegistry } from './chain-checks';
import { rootOnChain, signatureCheck } from './checkpoint-checks';
import { Checks, short } from './checks';
import { jsonObject } from './documents';
import { parseKeys } from './keys';
import type { ChainOptions } from './verify-receipt';

export async function verifyInclusionProof(checks: Checks, documentText: string, evidence: unknown, vkeys: string, chain: ChainOptions): Promise<void> {
  let proof: Proof;
  let tlog: TlogProof;
  let checkpoint: Checkpoint;
  try {
    proof = parseProof(evidence);
    tlog = parseTlogProof(proof.tlogProof);
    checkpoint = parseCheckpoint(parseNote(tlog.checkpoint).text);
    if (proof.anchor && proof.anchor.treeSize !== checkpoint.size) throw new Error('proof.anchor.treeSize differs from the checkpoint size');
    if (proof.anchor && proof.anchor.logId !== logIdOf(checkpoint.origin)) throw new Error('proof.anchor.logId is not the checkpoint origin’s log id');
  } catch (e) {
    checks.fail('format', 'Proof', 'malformed', (e as Error).message);
    return;
  }
  const leaf = proof.leaf;
  const what = leaf.kind === 'resource' ? `${leaf.type}/${leaf.id} version ${leaf.version}` : `a ${leaf.kind === 'audit' ? 'audit record' : 'bundle'}`;
  const served = proof.served?.form === 'redacted' ? ` The bridge served it redacted: ${proof.served.note}` : '';
  checks.ok('format', 'Proof', `fhir-anchor-proof/1 for ${what}, entry ${tlog.index} of ${checkpoint.origin} at size ${checkpoint.size}.${served}`);

  // The document step as the core decides it: with the document, verifyProofOffline stops at it or passes it.
  const doc = jsonObject(documentText);
  if (!doc) checks.fail('document', 'Document hash', 'malformed', documentText.trim() ? 'the document is not a JSON object' : 'no document given');
  else {
    const r = verifyProofOffline(evidence, doc);
    const redacted = proof.served?.form === 'redacted' ? ` (the bridge served it redacted: the proof is for the form a reader with full access receives)` : '';
    if (!r.ok && (r.reason === 'document-mismatch' || r.reason === 'malformed')) checks.fail('document', 'Document hash', r.reason, r.message + redacted);
    else checks.ok('document', 'Document hash', `SHA-256 of the canonical document is ${short(leaf.hash)}, as in the leaf`);
  }

  checks.ok('leaf', 'Log entry', `commitment ${short(hex(commitment(leaf)))}, RFC 9162 leaf hash ${short(hex(leafHashOf(leaf)))}`);
  const root = rootFromInclusion(tlog.index, checkpoint.size, leafHashOf(leaf), tlog.proof);
  if (root && hex(root) === hex(checkpoint.root))
    checks.ok(
      'inclusion',
      'Inclusion',
      `${tlog.proof.length} hash(es) lead from entry ${tlog.index} to the root ${short(hex(root))} of the tree of size ${checkpoint.size}`,
    );
  else
    checks.fail(
      'inclusion',
      'Inclusion',
      'inclusion',
      root
        ? `the proof leads to ${short(hex(root))}, not to the checkpoint root ${short(hex(checkpoint.root))}`
        : 'the proof has the wrong number of hashes for this index and tree size',
    );

  signatureCheck(checks, 'signature', 'Checkpoint signature', [{ note: tlog.checkpoint, checkpoint }], vkeys);
  if (doc) crossCheck(checks, evidence, doc, vkeys, checkpoint.origin);

  const contract = chain.contract ?? proof.anchor?.contract ?? null;
  if (!proof.anchor && !chain.contract) {
    checks.skip(
      'chain',
      'Chain',
      'this checkpoint was not anchored yet when the proof was made (anchor: null); give the contract address to ask the chain anyway',
    );
    checks.skip('anchored', 'Checkpoint root on chain', 'no contract address');
    return;
  }
  const registry = await openRegistry(checks, { ...chain, contract, named: proof.anchor?.contract ?? null, chainId: proof.anchor?.chainId ?? null }, [
    ['anchored', 'Checkpoint root on chain'],
  ]);
  if (registry) await rootOnChain(checks, registry, 'anchored', 'Checkpoint root on chain', checkpoint);
}

/**
 * The core's own verdict over the same inputs: a line only if it refuses what the lines above passed, so the page is
 * never more lenient than `fhir-bridge verify` (it may be stricter: it wants the log's own signature, not any known one).
 */
function crossCheck(checks: Checks, evidence: unknown, doc: object, vkeys: string, origin: string): void {
  let keys;
  try {
    keys = vkeys.trim() ? parseKeys(vkeys, origin) : [];
  } catch {
    return; // reported by the signature line
  }
  const r = verifyProofOffline(evidence, doc, keys);
  if (!r.ok && !checks.list.some((c) => c.outcome === 'fail' && c.reason === r.reason))
    checks.fail('core', 'Log core verdict', r.reason, `bridge/log verifyProofOffline refuses it: ${r.message}`);
}
