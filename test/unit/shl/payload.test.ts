/**
 * The SMART Health Link payload and file encryption (HL7 SMART Health Cards and Links IG STU1): `shlink:/` + base64url
 * of minified JSON, flags in alphabetical order, JWE compact dir/A256GCM with cty (and zip DEF from other sharers),
 * and the request bodies the bridge accepts. Pure.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { parseHealthLinkRequest, parseManifestRequest, SHL_DEFAULT_LABEL } from '../../../bridge/access/health-links';
import { decryptShlFile, encryptShlFile, newShlKey } from '../../../bridge/shl/jwe';
import { decodeShlink, encodeShlink, flagString, payloadFlags } from '../../../bridge/shl/payload';

const url = `https://bridge.example.org/shl/manifest/${'a'.repeat(43)}`;

test('a payload round-trips through shlink:/ and a viewer URL; minified JSON in the IG order, absent members left out', () => {
  const key = newShlKey();
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const link = encodeShlink({ label: 'Trip', flag: 'P', exp: 1_900_000_000, key, url });
  expect(link.startsWith('shlink:/')).toBe(true);
  expect(Buffer.from(link.slice(8), 'base64url').toString()).toBe(JSON.stringify({ url, key, exp: 1_900_000_000, flag: 'P', label: 'Trip' }));
  expect(decodeShlink(link)).toEqual({ url, key, exp: 1_900_000_000, flag: 'P', label: 'Trip' });
  expect(decodeShlink(`https://viewer.example.org/shl/view#${link}`)).toEqual(decodeShlink(link));
  expect(Object.keys(decodeShlink(encodeShlink({ url, key })))).toEqual(['url', 'key']);
});

test('flags are sorted and unique; U never with P; unknown flags are kept for the receiver to ignore', () => {
  expect(flagString(['P', 'L'])).toBe('LP');
  expect(flagString(['P', 'P'])).toBe('P');
  expect(flagString([])).toBeUndefined();
  expect(() => flagString(['U', 'P'])).toThrow(/U flag/);
  expect([...payloadFlags({ url, key: newShlKey(), flag: 'LPX' })]).toEqual(['L', 'P', 'X']);
});

test('what is not a SMART Health Link payload is refused', () => {
  const key = newShlKey();
  const enc = (o: unknown) => 'shlink:/' + Buffer.from(JSON.stringify(o)).toString('base64url');
  for (const bad of [
    'https://example.org/',
    'xshlink:/abc',
    'shlink:/***',
    'shlink:/' + Buffer.from('not json').toString('base64url'),
    enc([1]),
    enc({ url: 'ftp://x', key }),
    enc({ url, key: 'short' }),
    enc({ url, key, exp: 'tomorrow' }),
    enc({ url, key, v: 2 }),
  ]) {
    expect(() => decodeShlink(bad)).toThrow();
  }
});

test('files: JWE compact with alg dir, enc A256GCM, cty; a fresh IV each time; the wrong key fails', async () => {
  const key = newShlKey();
  const a = await encryptShlFile('{"resourceType":"Bundle"}', key, 'application/fhir+json');
  const b = await encryptShlFile('{"resourceType":"Bundle"}', key, 'application/fhir+json');
  const [header, encryptedKey, iv] = a.split('.');
  expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' });
  expect(encryptedKey).toBe('');
  expect(iv).not.toBe(b.split('.')[2]);
  expect(await decryptShlFile(a, key)).toEqual({ contentType: 'application/fhir+json', plaintext: '{"resourceType":"Bundle"}' });
  await expect(decryptShlFile(a, newShlKey())).rejects.toThrow();
  const parts = a.split('.');
  parts[3] = (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1); // the first 6 bits of the ciphertext changed
  await expect(decryptShlFile(parts.join('.'), key)).rejects.toThrow();
});

test('a file compressed with zip DEF (raw DEFLATE, which other sharers may send) is opened too', async () => {
  const key = newShlKey();
  const text = JSON.stringify({
    resourceType: 'Bundle',
    type: 'document',
    entry: Array.from({ length: 50 }, () => ({ resource: { resourceType: 'Patient' } })),
  });
  const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json', zip: 'DEF' })).toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), iv);
  cipher.setAAD(Buffer.from(header, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(deflateRawSync(Buffer.from(text))), cipher.final()]);
  const jwe = [header, '', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  expect(await decryptShlFile(jwe, key)).toEqual({ contentType: 'application/fhir+json', plaintext: text });
  await expect(decryptShlFile(jwe, newShlKey())).rejects.toThrow();
});

test('a link request: label (≤ 80 characters), passcode (4-128), expiresAt (an instant, future, ≤ 365 days; default 30)', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  expect(parseHealthLinkRequest(undefined, now)).toEqual({ label: SHL_DEFAULT_LABEL, exp: Date.parse('2027-01-01T10:00:00Z') / 1000 });
  // 80 characters (code points), 160 UTF-16 units: accepted; surrounding blanks trimmed.
  expect(parseHealthLinkRequest({ label: ` ${'🧳'.repeat(80)} `, passcode: '1234', expiresAt: '2026-12-24T18:00:00.5+01:00' }, now)).toEqual({
    label: '🧳'.repeat(80),
    passcode: '1234',
    exp: Date.parse('2026-12-24T17:00:00Z') / 1000,
  });
  for (const bad of [
    [],
    { label: 'x'.repeat(81) },
    { label: '🧳'.repeat(81) },
    { label: '' },
    { label: 'a\nb' },
    { label: 3 },
    { passcode: '123' },
    { passcode: 1234 },
    { expiresAt: '2026-12-24' },
    { expiresAt: '2026-12-01T00:00:00Z' },
    { expiresAt: '2028-01-01T00:00:00Z' },
    { other: 1 },
  ]) {
    expect(() => parseHealthLinkRequest(bad, now)).toThrow(expect.objectContaining({ status: 400 }));
  }
});

test('a manifest request: recipient required (≤ 200 characters, no control characters), passcode text, embeddedLengthMax ≥ 0', () => {
  expect(parseManifestRequest({ recipient: ' Dr. Rossi ', passcode: 'x', embeddedLengthMax: 0, extra: 'ignored' })).toEqual({
    recipient: 'Dr. Rossi',
    passcode: 'x',
    embeddedLengthMax: 0,
  });
  for (const bad of [
    null,
    'x',
    {},
    { recipient: ' ' },
    { recipient: 'a\u0007' },
    { recipient: 'x'.repeat(201) },
    { recipient: 'x', passcode: 1 },
    { recipient: 'x', embeddedLengthMax: 1.5 },
  ]) {
    expect(() => parseManifestRequest(bad)).toThrow(expect.objectContaining({ status: 400 }));
  }
});
