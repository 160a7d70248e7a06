/**
 * A checkpoint the user holds with a `fhir-anchor-consistency/1` proof to a later one: the held checkpoint is the
 * proof's `old` (same log, size and root; the same size with another root is a fork), both are signed by the log
 * (with its key), the later tree extends the earlier one (RFC 9162 §2.1.4.2 via the core's verifyConsistencyOffline:
 * `consistency`, `shrink`, `fork`), and the later checkpoint's root is the one anchored on chain.
 */
import { hex } from '../../bridge/log/bytes';
import { parseCheckpoint, parseNote, type Checkpoint } from '../../bridge/log/note';
import { parseConsistencyProof, verifyConsistencyOffline, type ConsistencyProof } from '../../bridge/log/proof';
import { openRegistry } from './chain-checks';
import { rootOnChain, signatureCheck } from './checkpoint-checks';
import { Checks, short } from './checks';
import type { ChainOptions } from './verify-receipt';

const withNewline = (text: string): string => {
  const t = text.replace(/\r\n/g, '\n');
  return t.endsWith('\n') ? t : t + '\n';
};
const isSignedNote = (text: string): boolean => {
  try {
    parseNote(withNewline(text));
    return true;
  } catch {
    return false;
  }
};
const sameCheckpoint = (a: Checkpoint, b: Checkpoint): boolean => a.origin === b.origin && a.size === b.size && hex(a.root) === hex(b.root);

/** A checkpoint as text: a signed note, or only its text lines (origin, size, root). */
function heldCheckpoint(text: string): Checkpoint {
  const t = withNewline(text);
  return isSignedNote(t) ? parseCheckpoint(parseNote(t).text) : parseCheckpoint(t.replace(/\n+$/, '\n'));
}

export async function verifyConsistencyProof(checks: Checks, documentText: string, evidence: unknown, vkeys: string, chain: ChainOptions): Promise<void> {
  let c: ConsistencyProof;
  let older: Checkpoint;
  let newer: Checkpoint;
  try {
    c = parseConsistencyProof(evidence);
    older = parseCheckpoint(parseNote(c.old).text);
    newer = parseCheckpoint(parseNote(c.new).text);
  } catch (e) {
    checks.fail('format', 'Consistency proof', 'malformed', (e as Error).message);
    return;
  }
  checks.ok('format', 'Consistency proof', `fhir-anchor-consistency/1 of ${older.origin} from size ${older.size} to ${newer.size}, ${c.proof.length} hash(es)`);

  let held: Checkpoint | null = null;
  if (!documentText.trim()) checks.skip('document', 'Your checkpoint', 'no checkpoint of yours given: the proof’s earlier checkpoint is taken as it is');
  else {
    try {
      held = heldCheckpoint(documentText);
    } catch (e) {
      checks.fail('document', 'Your checkpoint', 'malformed', `not a checkpoint: ${(e as Error).message}`);
    }
    if (held) {
      if (sameCheckpoint(held, older))
        checks.ok('document', 'Your checkpoint', `is the proof’s earlier checkpoint (size ${held.size}, root ${short(hex(held.root))})`);
      else if (held.origin === older.origin && held.size === older.size)
        checks.fail('document', 'Your checkpoint', 'fork', `your checkpoint and the proof’s, both of size ${held.size}, have different roots`);
      else
        checks.fail(
          'document',
          'Your checkpoint',
          'consistency',
          `the proof starts from ${older.origin} size ${older.size}, not from your checkpoint (${held.origin} size ${held.size})`,
        );
    }
  }

  // The checkpoint kept may carry cosignatures the proof's copy lacks: its own signatures are the ones checked.
  const heldNote = held && sameCheckpoint(held, older) && isSignedNote(documentText) ? withNewline(documentText) : c.old;
  signatureCheck(
    checks,
    'signature',
    'Checkpoint signatures',
    [
      { note: heldNote, checkpoint: older },
      { note: c.new, checkpoint: newer },
    ],
    vkeys,
  );

  const r = verifyConsistencyOffline(evidence);
  if (r.ok) checks.ok('consistency', 'Consistency', `the tree of size ${newer.size} (root ${short(hex(newer.root))}) extends the tree of size ${older.size}`);
  else checks.fail('consistency', 'Consistency', r.reason, r.message);

  if (!chain.contract) {
    checks.skip('chain', 'Chain', 'a consistency proof names no contract: give the AnchorRegistry address to check the later checkpoint on chain');
    checks.skip('anchored', 'Later checkpoint on chain', 'no contract address');
    return;
  }
  const registry = await openRegistry(checks, { ...chain, chainId: null }, [
    ['anchored', 'Later checkpoint on chain'],
    ['anchored-old', 'Earlier checkpoint on chain'],
  ]);
  if (!registry) return;
  await rootOnChain(checks, registry, 'anchored', 'Later checkpoint on chain', newer);
  // Not every checkpoint is anchored; an earlier one that is must match too (else the chain itself shows a fork).
  await rootOnChain(
    checks,
    registry,
    'anchored-old',
    'Earlier checkpoint on chain',
    older,
    'not anchored itself; covered by the anchored later checkpoint through the consistency proof',
  );
}
