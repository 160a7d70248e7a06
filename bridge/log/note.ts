/**
 * C2SP signed notes (https://c2sp.org/signed-note), checkpoints (https://c2sp.org/tlog-checkpoint) and Ed25519
 * timestamped cosignatures (https://c2sp.org/tlog-cosignature). Pure.
 */
import { b64, concat, fromB64, utf8 } from './bytes';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from './ed25519';
import { sha256 } from './sha256';

/** Signature type bytes (signed-note §Signature types). */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;

export interface SigningKey {
  name: string;
  /** 32-byte Ed25519 seed. */
  seed: Uint8Array;
}

export interface VerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

const NAME = /^[^\s+]+$/u;

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  const d = sha256(utf8(name), Uint8Array.of(0x0a, type), publicKey);
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** `<name>+<hex key ID>+<base64(type || public key)>`. */
export function vkey(name: string, publicKey: Uint8Array, type = SIG_ED25519): string {
  if (!NAME.test(name)) throw new Error('key names must be non-empty, without spaces or "+"');
  return `${name}+${hex8(keyId(name, type, publicKey))}+${b64(concat(Uint8Array.of(type), publicKey))}`;
}

export function parseVkey(text: string): VerifierKey {
  // The base64 key may itself contain "+": split at the first two only.
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+(\S+)$/u.exec(text.trim());
  if (!m) throw new Error('not a verifier key (name+keyid+key)');
  const parts = [m[1], m[2], m[3]];
  const key = fromB64(parts[2]);
  if (key.length !== 33 || (key[0] !== SIG_ED25519 && key[0] !== SIG_COSIGNATURE_V1)) throw new Error('verifier key is not an Ed25519 key');
  const v: VerifierKey = { name: parts[0], keyId: parseInt(parts[1], 16), type: key[0], publicKey: key.subarray(1) };
  if (keyId(v.name, v.type, v.publicKey) !== v.keyId) throw new Error('verifier key id does not match its key');
  return v;
}

export const publicKeyOf = (key: SigningKey): Uint8Array => ed25519PublicKey(key.seed);

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new Error('note text must end with a newline');
  // signed-note: valid UTF-8, no control characters but newline.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new Error('note text has control characters');
}

/** A signature line `— <name> base64(keyID || signature)` over `text` (which ends in a newline). */
export function signatureLine(text: string, key: SigningKey): string {
  checkText(text);
  const id = keyId(key.name, SIG_ED25519, publicKeyOf(key));
  return `— ${key.name} ${b64(concat(u32(id), ed25519Sign(key.seed, utf8(text))))}\n`;
}

/** The signed note: text, a blank line, one signature line. */
export const signNote = (text: string, key: SigningKey): string => `${text}\n${signatureLine(text, key)}`;

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature bytes after the key ID. */
  signature: Uint8Array;
  line: string;
}

/** Splits a signed note at its last blank line; throws when it is not one. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (note.length > 1_000_000) throw new Error('note is too large');
  const at = note.lastIndexOf('\n\n');
  if (at < 0 || !note.endsWith('\n')) throw new Error('not a signed note (no blank line before signatures)');
  const text = note.slice(0, at + 1);
  checkText(text);
  const lines = note.slice(at + 2, -1).split('\n');
  if (lines.length > 100) throw new Error('note has too many signatures');
  const signatures = lines.map((line) => {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m || m[1].includes('+')) throw new Error('malformed signature line');
    const raw = fromB64(m[2]);
    if (raw.length < 5) throw new Error('signature too short');
    return { name: m[1], keyId: ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0, signature: raw.subarray(4), line: line + '\n' };
  });
  if (!signatures.length) throw new Error('note has no signatures');
  return { text, signatures };
}

/**
 * Checks a note against known keys: signatures from unknown keys are ignored; one from a known key that fails
 * rejects the note; at least one known key must have signed (signed-note §Signatures).
 */
export function verifyNote(note: string, keys: readonly VerifierKey[]): { ok: boolean; text: string; verified: string[]; reason?: string } {
  const { text, signatures } = parseNote(note);
  const verified: string[] = [];
  for (const s of signatures) {
    const k = keys.find((x) => x.name === s.name && x.keyId === s.keyId);
    if (!k) continue;
    const ok = k.type === SIG_ED25519 ? ed25519Verify(k.publicKey, utf8(text), s.signature) : verifyCosignatureBytes(k, text, s.signature);
    if (!ok) return { ok: false, text, verified, reason: `signature of ${s.name} does not verify` };
    verified.push(s.name);
  }
  return verified.length ? { ok: true, text, verified } : { ok: false, text, verified, reason: 'no signature from a known key' };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions: string[];
}

/** tlog-checkpoint note text: origin, tree size, base64 root hash, each on its own line. */
export function formatCheckpoint(c: { origin: string; size: number; root: Uint8Array }): string {
  if (!c.origin || /[\n]/.test(c.origin)) throw new Error('bad origin');
  return `${c.origin}\n${c.size}\n${b64(c.root)}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length < 3) throw new Error('checkpoint has fewer than three lines');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new Error('checkpoint origin is empty');
  if (!/^(0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new Error('checkpoint tree size is malformed');
  const root = fromB64(rootText);
  if (root.length !== 32) throw new Error('checkpoint root hash is not 32 bytes');
  if (extensions.some((e) => !e)) throw new Error('checkpoint has an empty extension line');
  return { origin, size: Number(sizeText), root, extensions };
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt(n);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return out;
}

const cosignedMessage = (checkpointText: string, time: number): Uint8Array => utf8(`cosignature/v1\ntime ${time}\n${checkpointText}`);

/** A witness's timestamped Ed25519 cosignature line (tlog-cosignature, type 0x04) over a checkpoint's note text. */
export function cosignatureLine(checkpointText: string, key: SigningKey, time: number): string {
  checkText(checkpointText);
  const id = keyId(key.name, SIG_COSIGNATURE_V1, publicKeyOf(key));
  const sig = ed25519Sign(key.seed, cosignedMessage(checkpointText, time));
  return `— ${key.name} ${b64(concat(u32(id), u64(time), sig))}\n`;
}

function verifyCosignatureBytes(k: VerifierKey, text: string, raw: Uint8Array): boolean {
  if (raw.length !== 72) return false;
  let time = 0n;
  for (let i = 0; i < 8; i++) time = (time << 8n) | BigInt(raw[i]);
  if (time >= 2n ** 63n) return false;
  return ed25519Verify(k.publicKey, cosignedMessage(text, Number(time)), raw.subarray(8));
}

/** The timestamp of a cosignature signature line (seconds), or null when it is not one. */
export function cosignatureTime(s: NoteSignature): number | null {
  if (s.signature.length !== 72) return null;
  let t = 0;
  for (let i = 0; i < 8; i++) t = t * 256 + s.signature[i];
  return t;
}
