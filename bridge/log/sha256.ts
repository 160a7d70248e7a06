/**
 * SHA-256 over byte strings. Node's implementation here; the browser build (web/vite.config.mts) aliases this module
 * to a @noble/hashes one with the same signature, so the verifier page runs the same log code.
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
