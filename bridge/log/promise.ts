/**
 * Signed inclusion promises (issue 11; like CT's signed certificate timestamp, RFC 6962 §3.2 / RFC 9162 §4.8's
 * maximum merge delay): the bridge promises, in each audited response, that the audit record with `hash` is in a
 * published checkpoint by `deadline`. A C2SP signed note (https://c2sp.org/signed-note) with the log key, text:
 *   fhir-anchor-promise/v1\n<origin>\naudit <audit id>\nhash <base64 of the audit record hash>\nby <unix seconds>\n
 * Whoever holds one and finds no inclusion proof after the deadline holds the bridge's signed word against it. Pure.
 */
import { b64, fromB64, fromHex, hex, HEX32, utf8 } from './bytes';
import { parseNote, signNote, verifyNote, type SigningKey, type VerifierKey } from './note';

export const PROMISE_HEADER_LINE = 'fhir-anchor-promise/v1';

export interface LogPromise {
  origin: string;
  auditId: string;
  /** `0x` hex SHA-256 of the audit record (its leaf's `hash`). */
  hash: string;
  /** Unix seconds by which the entry is in a checkpoint. */
  deadline: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function formatPromise(p: LogPromise): string {
  return `${PROMISE_HEADER_LINE}\n${p.origin}\naudit ${p.auditId}\nhash ${b64(fromHex32(p.hash))}\nby ${p.deadline}\n`;
}

function fromHex32(h: string): Uint8Array {
  if (!HEX32.test(h)) throw new Error('promise hash must be 0x + 64 hex');
  return fromHex(h);
}

/** The signed note of a promise. */
export const signPromise = (p: LogPromise, key: SigningKey): string => signNote(formatPromise(p), key);

/** Parses promise text (strict: exactly the five lines); throws with the first problem. */
export function parsePromise(text: string): LogPromise {
  const lines = text.split('\n');
  if (lines.length !== 6 || lines[5] !== '' || lines[0] !== PROMISE_HEADER_LINE) throw new Error(`a promise is five lines, the first "${PROMISE_HEADER_LINE}"`);
  const origin = lines[1];
  if (!/^[^\s+]{1,255}$/u.test(origin)) throw new Error('promise origin is malformed');
  const audit = /^audit (\S+)$/.exec(lines[2]);
  if (!audit || !UUID.test(audit[1])) throw new Error('promise audit line is malformed');
  const hash = /^hash (\S+)$/.exec(lines[3]);
  let raw: Uint8Array = new Uint8Array();
  try {
    raw = hash ? fromB64(hash[1]) : raw;
  } catch {
    /* reported below */
  }
  if (raw.length !== 32 || b64(raw) !== hash?.[1]) throw new Error('promise hash line is malformed');
  const by = /^by (0|[1-9]\d{0,15})$/.exec(lines[4]);
  if (!by || !Number.isSafeInteger(Number(by[1]))) throw new Error('promise deadline is malformed');
  return { origin, auditId: audit[1], hash: hex(raw), deadline: Number(by[1]) };
}

/**
 * Verifies a signed promise note against the log's verifier key; returns what it promises. Throws when the note is
 * malformed or not signed by that key (its origin must be the key's name, as for checkpoints).
 */
export function verifyPromise(note: string, vkey: VerifierKey): { auditId: string; hash: string; deadline: number; origin: string } {
  const { text } = parseNote(note);
  const p = parsePromise(text);
  if (p.origin !== vkey.name) throw new Error('the promise names another log');
  if (!verifyNote(note, [vkey]).verified.includes(vkey.name)) throw new Error('the promise is not signed by the log key');
  return p;
}

/** The X-Log-Promise header value of a signed note (base64 of its UTF-8), and back. */
export const promiseHeader = (note: string): string => b64(utf8(note));
export const promiseFromHeader = (value: string): string => new TextDecoder('utf-8', { fatal: true }).decode(fromB64(value.trim()));
