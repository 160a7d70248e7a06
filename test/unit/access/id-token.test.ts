import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { jwks, loadOrCreateIdTokenKey, signIdToken } from '../../../bridge/access/id-token';

test('the id_token key is created once (mode 0600), reloaded at restart with the same kid, and its JWKS verifies the tokens', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idkey-'));
  try {
    const file = path.join(dir, 'sub', 'id-token-key.json');
    const first = loadOrCreateIdTokenKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateIdTokenKey(file);
    expect(again.publicJwk).toEqual(first.publicJwk);
    expect(JSON.stringify(jwks(first))).not.toMatch(/"d"|"p"|"q"/); // public half only
    const jwt = await signIdToken(first, {
      issuer: 'https://b.example/fhir',
      accountId: 'acc',
      clientId: 'app',
      fhirUser: 'https://b.example/fhir/Patient/1',
      lifetimeSeconds: 60,
    });
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks(again)), { issuer: 'https://b.example/fhir', audience: 'app' });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: first.publicJwk.kid });
    expect(payload).toMatchObject({ sub: 'acc', fhirUser: 'https://b.example/fhir/Patient/1' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
