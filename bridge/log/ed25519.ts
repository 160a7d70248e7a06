/**
 * Ed25519 (RFC 8032) over raw keys: 32-byte seeds and public keys, 64-byte signatures. Node's implementation here;
 * the browser build aliases this module to a @noble/curves one with the same signatures.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// DER prefixes of PKCS#8 private and SPKI public Ed25519 keys (RFC 8410): the raw key follows.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// One key signs nearly everything (the log's): keep its KeyObject rather than parsing DER per signature.
// Its public key too: every signed note and promise names its key id, derived from the public key.
let cached: { seed: Uint8Array; key: KeyObject; pub?: Uint8Array } | undefined;
function keyOf(seed: Uint8Array): NonNullable<typeof cached> {
  if (cached && Buffer.compare(cached.seed, seed) === 0) return cached;
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return (cached = { seed: Uint8Array.from(seed), key });
}
const privateKey = (seed: Uint8Array): KeyObject => keyOf(seed).key;
const publicKey = (pub: Uint8Array): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });

export function ed25519Sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, msg, privateKey(seed)));
}

export function ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (pub.length !== 32 || sig.length !== 64) return false;
  try {
    return verify(null, msg, publicKey(pub), sig);
  } catch {
    return false;
  }
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const k = keyOf(seed);
  k.pub ??= new Uint8Array(createPublicKey(k.key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
  return Uint8Array.from(k.pub);
}

export const randomSeed = (): Uint8Array => new Uint8Array(randomBytes(32));
