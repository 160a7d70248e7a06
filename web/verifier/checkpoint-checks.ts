/** Lines shared by inclusion and consistency proofs: the checkpoint's signatures, and its root on chain. */
import { parseNote, verifyNote, type Checkpoint } from '../../bridge/log/note';
import { logIdOf } from '../../bridge/log/proof';
import { hex } from '../../bridge/log/bytes';
import { chainFailure } from './chain-checks';
import { type Checks, short } from './checks';
import { parseKeys } from './keys';
import type { Registry } from './registry';

/**
 * The checkpoint note carries a valid signature of every key given: the log's (named by the origin; required) and each
 * witness's cosignature (C2SP tlog-cosignature), as `fhir-bridge verify --key … --witness …` requires them.
 */
export function signatureCheck(checks: Checks, id: string, label: string, notes: { note: string; checkpoint: Checkpoint }[], keysText: string): void {
  const origin = notes[0].checkpoint.origin;
  const signers = [...new Set(notes.flatMap((n) => parseNote(n.note).signatures.map((s) => s.name)))];
  if (!keysText.trim()) {
    checks.skip(id, label, `signature not checked: no verifier key given (the note names ${signers.join(', ')}); paste the log’s vkey to check it`);
    return;
  }
  let keys;
  try {
    keys = parseKeys(keysText, origin);
  } catch (e) {
    checks.fail(id, label, 'malformed', (e as Error).message);
    return;
  }
  if (!keys.some((k) => k.name === origin)) {
    checks.fail(
      id,
      label,
      'checkpoint-signature',
      `none of the keys given is this log’s: the log is “${origin}”, the keys are for ${keys.map((k) => `“${k.name}”`).join(', ')}`,
    );
    return;
  }
  for (const n of notes)
    for (const k of keys) {
      const v = verifyNote(n.note, [k]);
      if (!v.ok) {
        const who = k.name === origin ? 'the log' : `witness ${k.name}`;
        checks.fail(id, label, 'checkpoint-signature', `checkpoint of size ${n.checkpoint.size}, ${who}: ${v.reason ?? 'no valid signature'}`);
        return;
      }
    }
  const witnesses = [...new Set(keys.filter((k) => k.name !== origin).map((k) => k.name))];
  checks.ok(id, label, `Ed25519 signature of ${origin} verifies${witnesses.length ? `; cosigned by ${witnesses.join(', ')}` : ''}`);
}

/** checkpointRoot(logId, size) on chain equals the checkpoint's root (`absentOk`: the line's text when none is anchored is fine). */
export async function rootOnChain(
  checks: Checks,
  registry: Registry,
  id: string,
  label: string,
  c: Checkpoint,
  absentOk?: string,
): Promise<'ok' | 'absent' | 'failed'> {
  try {
    const onChain = await registry.checkpointRoot(logIdOf(c.origin), c.size);
    const root = hex(c.root);
    if (onChain === null) {
      if (absentOk) checks.ok(id, label, absentOk);
      else {
        const latest = await registry.latestCheckpointSize(logIdOf(c.origin)).catch(() => null);
        const newest = latest === null ? '' : latest === 0 ? '; no checkpoint of this log is anchored there' : `; the newest anchored size is ${latest}`;
        checks.fail(id, label, 'not-anchored', `no root is anchored for ${c.origin} at size ${c.size} in ${registry.address}${newest}`);
      }
      return 'absent';
    }
    if (onChain !== root) {
      checks.fail(id, label, 'anchor-mismatch', `the chain holds root ${short(onChain)} for size ${c.size}, the checkpoint says ${short(root)}`);
      return 'failed';
    }
    checks.ok(id, label, `checkpointRoot(${short(logIdOf(c.origin))}, ${c.size}) is ${short(root)}`);
    return 'ok';
  } catch (e) {
    chainFailure(checks, id, label, e);
    return 'failed';
  }
}
