/**
 * Compact JWE decryption for SMART Health Links (HL7 SMART Health Cards and Links IG, "SHL": files are JWE compact
 * with alg "dir", enc "A256GCM", optional zip "DEF" (raw DEFLATE), the key being the shlink's 32-byte base64url key).
 * RFC 7516 §5.2: the AAD is the ASCII of the protected header as sent; the tag is the last 16 bytes of AES-GCM output.
 */
export function fromBase64Url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function decryptCompactJwe(jwe: string, keyB64Url: string): Promise<string> {
  const parts = jwe.trim().split('.');
  if (parts.length !== 5) throw new Error('not a compact JWE');
  const [protectedB64, encryptedKey, ivB64, cipherB64, tagB64] = parts;
  const header = JSON.parse(new TextDecoder().decode(fromBase64Url(protectedB64))) as { alg?: string; enc?: string; zip?: string };
  if (header.alg !== 'dir' || header.enc !== 'A256GCM' || encryptedKey !== '') throw new Error('unsupported JWE (expected alg dir, enc A256GCM)');
  const rawKey = fromBase64Url(keyB64Url);
  if (rawKey.length !== 32) throw new Error('the link key is not 256 bits');
  const key = await crypto.subtle.importKey('raw', rawKey as BufferSource, { name: 'AES-GCM' }, false, ['decrypt']);
  const cipher = fromBase64Url(cipherB64);
  const tag = fromBase64Url(tagB64);
  const joined = new Uint8Array(cipher.length + tag.length);
  joined.set(cipher);
  joined.set(tag, cipher.length);
  const plain = new Uint8Array(
    await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(ivB64) as BufferSource, additionalData: new TextEncoder().encode(protectedB64), tagLength: 128 },
      key,
      joined as BufferSource,
    ),
  );
  return new TextDecoder().decode(header.zip === 'DEF' ? await inflateRaw(plain) : plain);
}
