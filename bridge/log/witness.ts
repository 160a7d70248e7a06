/**
 * A witness (C2SP tlog-witness, https://c2sp.org/tlog-witness, add-checkpoint): checks a log's checkpoint signature
 * and its consistency with the last checkpoint it cosigned for that origin, then cosigns it (tlog-cosignature, type
 * 0x04, timestamped). Pure: the HTTP server and the persistence of `state` are the caller's (one request at a time).
 */
import { b64, fromB64 } from './bytes';
import { cosignatureLine, parseCheckpoint, parseNote, verifyNote, type SigningKey, type VerifierKey } from './note';
import { EMPTY_ROOT, verifyConsistency } from './rfc9162';

export interface WitnessState {
  size: number;
  /** base64 root of the last cosigned checkpoint. */
  root: string;
}

export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The new state to persist before answering (only on 200). */
  state?: WitnessState;
}

const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): WitnessAnswer => ({ status, contentType, body: body + '\n' });

/** The add-checkpoint body: `old <size>`, up to 63 base64 proof lines, an empty line, the checkpoint note. */
export function parseAddCheckpoint(body: string): { old: number; proof: Uint8Array[]; note: string } | null {
  const m = /^old (0|[1-9]\d*)\n/.exec(body);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return null;
  const rest = body.slice(m[0].length);
  // Proof lines hold no blank line: the first empty line ends them.
  const end = rest.startsWith('\n') ? 0 : rest.indexOf('\n\n') + 1;
  if (end < 0 || (end === 0 && !rest.startsWith('\n'))) return null;
  const lines = end === 0 ? [] : rest.slice(0, end - 1).split('\n');
  const note = rest.slice(end + 1);
  if (lines.length > 63) return null;
  try {
    const proof = lines.map((l) => {
      const h = fromB64(l);
      if (h.length !== 32) throw new Error('not a hash');
      return h;
    });
    return { old: Number(m[1]), proof, note };
  } catch {
    return null;
  }
}

export function addCheckpoint(
  body: string,
  o: { origin: string; logKey: VerifierKey; witnessKey: SigningKey; state: WitnessState | null; now: () => number },
): WitnessAnswer {
  const req = parseAddCheckpoint(body);
  if (!req) return text(400, 'malformed add-checkpoint request');
  let cp;
  try {
    cp = parseCheckpoint(parseNote(req.note).text);
  } catch {
    return text(400, 'malformed checkpoint');
  }
  if (cp.origin !== o.origin) return text(404, 'unknown log origin');
  const v = verifyNote(req.note, [o.logKey]);
  if (!v.ok) return text(403, 'the checkpoint carries no valid signature of the log');
  if (req.old > cp.size) return text(400, 'old size is larger than the checkpoint size');
  const current = o.state?.size ?? 0;
  if (req.old !== current) return { status: 409, contentType: 'text/x.tlog.size', body: `${current}\n` };
  if (cp.size === 0 && b64(cp.root) !== b64(EMPTY_ROOT)) return text(422, 'a checkpoint of size zero must have the empty root');
  if (req.old === 0) {
    if (req.proof.length) return text(422, 'a proof from size zero must be empty');
  } else if (req.old === cp.size) {
    if (o.state && o.state.root !== b64(cp.root)) return text(422, 'same size, different root');
  } else if (!o.state || !verifyConsistency(req.old, cp.size, fromB64(o.state.root), cp.root, req.proof)) {
    return text(422, 'the consistency proof does not verify');
  }
  const line = cosignatureLine(v.text, o.witnessKey, o.now());
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: line, state: { size: cp.size, root: b64(cp.root) } };
}
