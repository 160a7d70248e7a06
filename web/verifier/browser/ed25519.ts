/**
 * Browser build of bridge/log/ed25519.ts (same exports; vite swaps the module in, see web/vite.config.mts): Ed25519
 * (RFC 8032) by @noble/curves instead of node:crypto. Verification is RFC 8032's strict rule (`zip215: false`), as
 * OpenSSL's, so a signature the CLI refuses is refused here too.
 */
import { ed25519 } from '@noble/curves/ed25519';

export function ed25519Verify(pub32: Uint8Array, msg: Uint8Array, sig64: Uint8Array): boolean {
  if (pub32.length !== 32 || sig64.length !== 64) return false;
  try {
    return ed25519.verify(sig64, msg, pub32, { zip215: false });
  } catch {
    return false; // a public key that is not a curve point
  }
}

export function ed25519Sign(seed32: Uint8Array, msg: Uint8Array): Uint8Array {
  return ed25519.sign(msg, seed32);
}

export function ed25519PublicKey(seed32: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed32);
}

export function randomSeed(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
