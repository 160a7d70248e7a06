/**
 * Browser build of bridge/log/sha256.ts (same exports; vite swaps the module in, see web/vite.config.mts): SHA-256
 * (FIPS 180-4) by @noble/hashes instead of node:crypto, so the page runs the log core's own verification code.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/** SHA-256 of the concatenated parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Utf8 = (text: string): Uint8Array => sha256(new TextEncoder().encode(text));
