/**
 * The log's signing key (Ed25519): configured, or created at first start under DATA_DIR (PKCS#8 PEM, mode 0600) so
 * every restart signs checkpoints with the same key. Its origin line defaults to a name derived from the public key.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hex } from './bytes';
import { ed25519PublicKey } from './ed25519';
import { sha256 } from './sha256';

export interface LogKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

function seedOf(pem: string, file: string): Uint8Array {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  // PKCS#8 of an Ed25519 key ends with the 32-byte seed (RFC 8410).
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function loadOrCreateLogKey(file: string): LogKey {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const seed = seedOf(fs.readFileSync(file, 'utf8'), file);
  return { seed, publicKey: ed25519PublicKey(seed) };
}

/** Default origin: `fhir-anchor-bridge/<first 16 hex digits of SHA-256(public key)>`, stable for as long as the key. */
export const defaultOrigin = (publicKey: Uint8Array): string => `fhir-anchor-bridge/${hex(sha256(publicKey)).slice(2, 18)}`;
