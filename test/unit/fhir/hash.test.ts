import fs from 'node:fs';
import { canonicalize } from 'json-canonicalize';
import { generateBundles } from '../../../bench/generate';
import { bundleHash, canonicalBundleJson, canonicalJson, sha256Hex, shallowSorted, sortedRewrite } from '../../../bridge/fhir/hash';
import { rewriteReferences } from '../../../bridge/fhir/references';
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

describe('sortedRewrite: references rewritten and keys sorted in one copy, so JSON.stringify of it is the RFC 8785 text', () => {
  // Every relative or urn reference resolved to a stand-in (as ingest resolves them to bridge ids), the rest kept.
  const resolve = (ref: string): string | undefined => (/^(urn:|[A-Z][A-Za-z]+\/)/.test(ref) ? `Resolved/${ref.length}` : undefined);

  test('equals rewriteReferences then the reference canonicalization, on the project bundles and the shared samples', () => {
    const bundles = [fixtureBundle('transaction-patient-encounter.json'), ...generateBundles({ bundles: 5, seed: 7 })];
    for (const f of [...sampleFiles('synthea-r4').slice(0, 10), ...sampleFiles('ips'), ...sampleFiles('us-core').slice(0, 40)])
      bundles.push(JSON.parse(fs.readFileSync(f, 'utf8')));
    let resources = 0;
    for (const b of bundles) {
      const entries = ((b as { entry?: { resource?: unknown }[] }).entry ?? []).map((e) => e.resource).filter(Boolean);
      for (const r of entries.length ? entries : [b]) {
        const rewritten = sortedRewrite(r, resolve);
        expect(JSON.stringify(rewritten)).toBe(canonicalize(rewriteReferences(r, resolve)));
        resources++;
      }
    }
    expect(resources).toBeGreaterThan(100);
  });

  test('a reference inside a Reference-typed `reference` (Consent.provision.actor) and contained resources are rewritten too', () => {
    const consent = {
      resourceType: 'Consent',
      provision: { actor: [{ reference: { reference: 'Patient/1' }, role: { text: 'x' } }] },
      contained: [{ resourceType: 'Patient', id: 'c', link: [{ other: { reference: 'Patient/2' } }] }],
      patient: { reference: '#c' },
    };
    const out = sortedRewrite(consent, resolve) as any;
    expect(out.provision.actor[0].reference.reference).toBe('Resolved/9');
    expect(out.contained[0].link[0].other.reference).toBe('Resolved/9');
    expect(out.patient.reference).toBe('#c');
    expect(Object.keys(out)).toEqual(['contained', 'patient', 'provision', 'resourceType']);
  });

  test('gives undefined for keys JavaScript reorders (array indexes, __proto__), which take the reference path instead', () => {
    expect(sortedRewrite({ a: { 10: 'x' } }, resolve)).toBeUndefined();
    expect(sortedRewrite([{ b: JSON.parse('{"__proto__": 1}') }], resolve)).toBeUndefined();
    expect(shallowSorted({ b: 1, a: 2 })).toEqual({ a: 2, b: 1 });
    expect(Object.keys(shallowSorted({ b: 1, a: 2 }) as object)).toEqual(['a', 'b']);
    expect(shallowSorted({ 1: 'x' })).toBeUndefined();
  });
});
