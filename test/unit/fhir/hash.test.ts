import fs from 'node:fs';
import { canonicalize } from 'json-canonicalize';
import { generateBundles } from '../../../bench/generate';
import { bundleHash, canonicalBundleJson, canonicalJson, sha256Hex } from '../../../bridge/fhir/hash';
import { fixtureBundle, sampleFiles } from '../../helpers/fixtures';

describe('canonicalJson (RFC 8785) matches the reference library byte for byte', () => {
  test('on edge cases: key order by UTF-16 code units, numbers, escapes, keys V8 reorders', () => {
    const cases: unknown[] = [
      { b: 1, a: [3, { d: null, c: true }], '': 'empty key' },
      { '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, é: 4, a: 5, A: 6, aa: 7, 'a\u0000': 8 },
      { n: [0, -0, 1e21, 1e-7, 0.1, 123456789012345680000, 5e-324, -1.5, 1.0] },
      { s: 'line\nbreak "quoted" \\ tab\t \u0001 \u2028 \ud800 lone surrogate' },
      { 10: 'ten', 9: 'nine', x: 'letters after digits', '01': 'not an index' },
      JSON.parse('{"__proto__": {"polluted": true}, "z": 1}'),
      [[], {}, [{}], 'top-level array'],
      'a string',
      42,
      null,
    ];
    for (const c of cases) expect(canonicalJson(c)).toBe(canonicalize(c));
    expect(canonicalJson({ 10: 'ten', 9: 'nine' })).toBe('{"10":"ten","9":"nine"}');
    expect(({}.constructor.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('on the project bundles and the shared samples, with the same hash the verifier computes', () => {
    const bundles = [fixtureBundle('transaction-patient-encounter.json'), ...generateBundles({ bundles: 5, seed: 5 })];
    for (const f of [...sampleFiles('synthea-r4').slice(0, 10), ...sampleFiles('ips')]) bundles.push(JSON.parse(fs.readFileSync(f, 'utf8')));
    for (const b of bundles) {
      const canonical = canonicalBundleJson(b as unknown as Record<string, unknown>);
      const { id: _id, meta: _meta, ...rest } = b as unknown as Record<string, unknown>;
      expect(canonical).toBe(canonicalize(rest));
      expect(sha256Hex(canonical)).toBe(bundleHash(b as unknown as Record<string, unknown>));
    }
  });
});
