/**
 * SMART Health Link file encryption (HL7 SMART Health Cards and Links IG STU1, "Encrypting and Decrypting Files"):
 * JWE compact serialization, `"alg": "dir"`, `"enc": "A256GCM"`, a `cty` naming the content type; a unique IV for every
 * encryption (jose draws a random 96-bit IV each time). The optional `zip: "DEF"` (raw DEFLATE before encryption) is
 * not produced here (jose 5 refuses the header), but files of other sharers that use it are opened: decrypted with
 * node:crypto (A256GCM, AAD = the ASCII protected header, RFC 7516 §5.2) and inflated raw.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { CompactEncrypt, compactDecrypt } from 'jose';

export const SHL_KEY_BYTES = 32;

/** A new file key: 32 random bytes, base64url (43 characters), as the payload's `key`. */
export const newShlKey = (): string => randomBytes(SHL_KEY_BYTES).toString('base64url');

const keyBytes = (key: string): Uint8Array => {
  const k = Buffer.from(key, 'base64url');
  if (k.length !== SHL_KEY_BYTES) throw new Error('a SMART Health Link key is 32 bytes');
  return k;
};

/** `plaintext` (UTF-8) encrypted for the link's key, with `cty` = `contentType`. */
export function encryptShlFile(plaintext: string, key: string, contentType: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: contentType }).encrypt(keyBytes(key));
}

export interface ShlFile {
  contentType: string | undefined;
  plaintext: string;
}

/** A file of a SMART Health Link decrypted with the payload's key; throws when the key or the file is not right. */
export async function decryptShlFile(jwe: string, key: string): Promise<ShlFile> {
  const k = keyBytes(key);
  const parts = jwe.split('.');
  if (parts.length !== 5) throw new Error('not a compact JWE');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string; enc?: string; cty?: string; zip?: string };
  if (header.alg !== 'dir' || header.enc !== 'A256GCM') throw new Error('a SMART Health Link file is encrypted with alg dir, enc A256GCM');
  if (header.zip === undefined) {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, k, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return { contentType: protectedHeader.cty, plaintext: new TextDecoder('utf-8', { fatal: true }).decode(plaintext) };
  }
  if (header.zip !== 'DEF') throw new Error(`JWE zip "${header.zip}" is not supported`);
  const [protectedB64, encryptedKey, iv, ciphertext, tag] = parts;
  if (encryptedKey !== '') throw new Error('alg dir carries no encrypted key');
  const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(protectedB64, 'ascii'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const deflated = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  return { contentType: header.cty, plaintext: new TextDecoder('utf-8', { fatal: true }).decode(inflateRawSync(deflated)) };
}
