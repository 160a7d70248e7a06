import { exportJWK, generateKeyPair } from 'jose';
import { checkJwks, checkJwksUrl } from '../../../bridge/access/jwks';

test('public RS384 and P-384 keys pass; private, symmetric, other curves and empty sets do not', async () => {
  const ec = await generateKeyPair('ES384', { extractable: true });
  const rsa = await generateKeyPair('RS384', { extractable: true });
  const p256 = await generateKeyPair('ES256');
  const ok = await checkJwks({ keys: [await exportJWK(ec.publicKey), await exportJWK(rsa.publicKey)] });
  expect(typeof ok).toBe('object');
  expect(await checkJwks({ keys: [await exportJWK(ec.privateKey)] })).toMatch(/private key material/);
  expect(await checkJwks({ keys: [await exportJWK(rsa.privateKey)] })).toMatch(/private key material/);
  expect(await checkJwks({ keys: [await exportJWK(p256.publicKey)] })).toMatch(/RSA \(RS384\) or EC P-384/);
  expect(await checkJwks({ keys: [{ ...(await exportJWK(ec.publicKey)), alg: 'ES256' }] })).toMatch(/P-384/);
  expect(await checkJwks({ keys: [{ kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }] })).toMatch(/not a valid ES384/);
  expect(await checkJwks({ keys: [] })).toMatch(/1-20/);
  expect(await checkJwks(undefined)).toMatch(/1-20/);
});

test('JWKS URLs: https anywhere, http only on loopback', () => {
  expect(checkJwksUrl('https://clinic.example/.well-known/jwks.json')).toBe('https://clinic.example/.well-known/jwks.json');
  expect(checkJwksUrl('http://127.0.0.1:9000/jwks')).toBe('http://127.0.0.1:9000/jwks');
  expect(checkJwksUrl('http://clinic.example/jwks')).toBeNull();
  expect(checkJwksUrl('file:///etc/passwd')).toBeNull();
  expect(checkJwksUrl('not a url')).toBeNull();
  expect(checkJwksUrl(42)).toBeNull();
});
