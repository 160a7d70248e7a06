/** Byte helpers shared by the log's pure modules (browser-safe: Buffer only where the platform has it). */

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** What {@link hex} writes for 32 bytes (a SHA-256 hash, a salt, a log id): `0x` + 64 lower-case hex digits. */
export const HEX32 = /^0x[0-9a-f]{64}$/;

export function hex(b: Uint8Array): string {
  let s = '0x';
  for (let i = 0; i < b.length; i++) s += BYTE_HEX[b[i]];
  return s;
}

/** `0x`-prefixed or bare hex to bytes; throws on anything else. */
export function fromHex(s: string): Uint8Array {
  if (!HEX.test(s)) throw new Error('not hex');
  const h = s.startsWith('0x') ? s.slice(2) : s;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Node's Buffer where there is one (the bridge), absent in a browser (the verifier page): looked up, never imported. */
const platform = (globalThis as { Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string } } }).Buffer;

/** RFC 4648 §4 base64 with padding (what C2SP notes use): the platform's encoder where there is one (3× faster). */
export function b64(b: Uint8Array): string {
  return platform ? platform.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') : b64Portable(b);
}

/** The same in plain JavaScript, for the browser (a test holds both to the same output). */
export function b64Portable(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
  }
  return s;
}

/** Strict RFC 4648 §4 base64 (padding required, no whitespace); throws on anything else. */
export function fromB64(s: string): Uint8Array {
  if (!B64_RE.test(s)) throw new Error('not base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = (B64.indexOf(s[i]) << 18) | (B64.indexOf(s[i + 1]) << 12) | ((B64.indexOf(s[i + 2]) & 63) << 6) | (B64.indexOf(s[i + 3]) & 63);
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  // Non-canonical encodings (unused bits set) would give two texts for one value: refuse them.
  if (b64(out) !== s) throw new Error('not canonical base64');
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
