import { importJWK, JWK } from 'jose';
import { outboundUrl } from '../fhir/outbound-url';

/**
 * A clinic's public JWKS (RFC 7517 §5) as registered for SMART Backend Services, or why it is refused: every key
 * must be a public RSA or P-384 EC key usable with RS384/ES384 and no key may carry private members.
 */
export async function checkJwks(value: unknown): Promise<{ keys: JWK[] } | string> {
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 20) return 'jwks must be {"keys": [1-20 public keys]}';
  for (const [i, key] of keys.entries()) {
    const k = key as JWK;
    if (!k || typeof k !== 'object') return `jwks.keys[${i}] is not a JWK`;
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in k)) return `jwks.keys[${i}] holds private key material: register the public keys only`;
    const alg = k.kty === 'EC' && k.crv === 'P-384' ? 'ES384' : k.kty === 'RSA' ? 'RS384' : undefined;
    if (!alg || (k.alg !== undefined && k.alg !== alg)) return `jwks.keys[${i}] must be an RSA (RS384) or EC P-384 (ES384) public key`;
    try {
      await importJWK(k, alg);
    } catch {
      return `jwks.keys[${i}] is not a valid ${alg} public key`;
    }
  }
  return { keys: keys as JWK[] };
}

/** A JWKS URL an admin may register: https, or http on the loopback interface (development and tests). */
export function checkJwksUrl(value: unknown): string | null {
  return outboundUrl(value)?.href ?? null;
}
