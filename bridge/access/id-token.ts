/**
 * The bridge's key for OpenID Connect id_tokens (OpenID Connect Core 1.0 §2, RS256 as §15.1 requires of a provider;
 * SMART App Launch 2.0 `sso-openid-connect` with the `fhirUser` claim). Read from ID_TOKEN_KEY_FILE, else created at
 * first start as DATA_DIR/id-token-key.json (a private JWK, mode 0600), so every restart signs with the same key; its
 * public half is published at /auth/jwks. Without a file (tests), a key made for the process.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';

export interface IdTokenKey {
  privateKey: KeyObject;
  publicJwk: { kty: string; n: string; e: string; kid: string; alg: 'RS256'; use: 'sig' };
}

/** RFC 7638 thumbprint of an RSA public key: SHA-256 of {"e","kty","n"} in that order, base64url. */
const thumbprint = (j: { e: string; kty: string; n: string }): string =>
  createHash('sha256')
    .update(JSON.stringify({ e: j.e, kty: j.kty, n: j.n }))
    .digest('base64url');

function fromPrivateKey(privateKey: KeyObject): IdTokenKey {
  const pub = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  return { privateKey, publicJwk: { kty: pub.kty, n: pub.n, e: pub.e, kid: thumbprint(pub), alg: 'RS256', use: 'sig' } };
}

export const generateIdTokenKey = (): IdTokenKey => fromPrivateKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

/** The key in `file` (a private RSA JWK), created there when absent. */
export function loadOrCreateIdTokenKey(file: string): IdTokenKey {
  if (fs.existsSync(file)) return fromPrivateKey(createPrivateKey({ key: JSON.parse(fs.readFileSync(file, 'utf8')) as JsonWebKey, format: 'jwk' }));
  const key = generateIdTokenKey();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(key.privateKey.export({ format: 'jwk' })), { mode: 0o600, flag: 'wx' });
  return key;
}

export const jwks = (key: IdTokenKey): { keys: IdTokenKey['publicJwk'][] } => ({ keys: [key.publicJwk] });

/** An id_token for `accountId` to `clientId`: iss the FHIR base, fhirUser the launch Patient's absolute URL. */
export function signIdToken(
  key: IdTokenKey,
  c: { issuer: string; accountId: string; clientId: string; fhirUser: string; lifetimeSeconds: number },
): Promise<string> {
  return new SignJWT({ fhirUser: c.fhirUser })
    .setProtectedHeader({ alg: 'RS256', kid: key.publicJwk.kid, typ: 'JWT' })
    .setIssuer(c.issuer)
    .setSubject(c.accountId)
    .setAudience(c.clientId)
    .setIssuedAt()
    .setExpirationTime(`${c.lifetimeSeconds}s`)
    .sign(key.privateKey);
}
