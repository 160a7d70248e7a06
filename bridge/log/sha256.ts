/**
 * SHA-256 over byte strings. Node's implementation here; the browser build (web/vite.config.mts) swaps in
 * web/verifier/browser/sha256.ts, with the same exports, so the verifier page runs the same log code.
 */
import { hash } from 'node:crypto';

// crypto.hash (one shot) costs half of createHash().update().digest() for the short inputs of a Merkle tree. The
// digest is returned as a plain Uint8Array view of the Buffer, not a copy: an integration hashes three times a leaf.
const one = (data: Uint8Array | string): Uint8Array => {
  const b = hash('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return one(parts.length === 1 ? parts[0] : Buffer.concat(parts));
}

/** SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Utf8 = (text: string): Uint8Array => one(text);
