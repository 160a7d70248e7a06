/**
 * The precheck may say "valid" only of what Medplum's validator accepts. Differential test: valid resources (the
 * project's fixture and generated bundles, and the shared samples when present) and thousands of seeded random
 * mutations of them, each judged by both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { generateBundles, prng } from '../../../bench/generate';
import { passesPrecheck } from '../../../bridge/fhir/precheck';
import { loadFhirDefinitions, medplumIssues } from '../../../bridge/fhir/validate';
import { fixtureBundle, hasSamples, SAMPLES, sampleFiles } from '../../helpers/fixtures';
import { testWithSamples } from '../../helpers/samples';

beforeAll(() => loadFhirDefinitions());

/** Medplum's verdict as the bridge takes it (medplumIssues: without its 1 MB limit on base64Binary, which R4 does not set). */
const medplumAccepts = (resource: unknown): boolean => medplumIssues(resource as Resource).length === 0;

test('the oracle is Medplum: it refuses what Medplum refuses, except a base64Binary over 1 MB', () => {
  const doc = { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { data: 'QUJD'.repeat(300_000) } }] } as Resource;
  expect(() => validateResource(doc)).toThrow(OperationOutcomeError);
  expect(medplumAccepts(doc)).toBe(true);
  expect(passesPrecheck(doc)).toBe(true);
  const described = { ...doc, description: 'x'.repeat(1024 * 1024 + 1) } as Resource;
  expect(medplumAccepts(described)).toBe(false);
  expect(passesPrecheck(described)).toBe(false);
});

type Json = Record<string, unknown> | unknown[];

/** Every container (object or array) in a JSON value with a key in it, so a mutation can hit any depth. */
function slots(value: unknown, out: [Json, string | number][] = []): [Json, string | number][] {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([value, i]), slots(v, out)));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([value as Json, k]);
      slots(v, out);
    }
  }
  return out;
}

const REPLACEMENTS: ((old: unknown, rnd: () => number) => unknown)[] = [
  () => null,
  () => '',
  () => '   ',
  () => [],
  () => ({}),
  () => ({ id: 'only-an-id' }),
  (old) => (typeof old === 'string' ? 42 : 'a string'),
  (old) => (typeof old === 'number' ? `${old}` : 1.5),
  () => true,
  () => -1,
  () => 0,
  () => 'not a date',
  () => ' leading space',
  () => 'two  spaces',
  () => '2020-13-45',
  () => 'x'.repeat(70),
  (old) => [old],
  (old) => (Array.isArray(old) ? old[0] : old),
  (old) => (Array.isArray(old) ? [...old, ...old] : old),
  () => ({ resourceType: 'NotAType', id: 'x' }),
  () => ({ url: 'http://example.org/ext', valueString: 'v', extension: [{ url: 'http://example.org/inner', valueString: 'w' }] }),
  () => ({ reference: '#missing' }),
  () => ({ low: {}, high: {} }),
];

/** One random change to a deep copy of `resource`: replace, delete, add an unknown or a second choice property. */
function mutate(resource: Resource, rnd: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(resource));
  const all = slots(copy);
  const [container, key] = all[Math.floor(rnd() * all.length)];
  const roll = rnd();
  if (roll < 0.15 && !Array.isArray(container)) {
    delete container[key as string];
  } else if (roll < 0.22 && !Array.isArray(container)) {
    container[rnd() < 0.5 ? 'unknownProperty' : `_${String(key)}`] = rnd() < 0.5 ? 'x' : { extension: [{ url: 'http://example.org/e', valueCode: 'c' }] };
  } else if (
    roll < 0.3 &&
    !Array.isArray(container) &&
    /^(value|effective|onset|abatement|deceased|multipleBirth|occurrence|medication)[A-Z]/.test(String(key))
  ) {
    const base = /^[a-z]+/.exec(String(key))![0];
    container[rnd() < 0.5 ? `${base}String` : `${base}Foo`] = 'second variant';
  } else {
    const replace = REPLACEMENTS[Math.floor(rnd() * REPLACEMENTS.length)];
    (container as Record<string | number, unknown>)[key] = replace((container as Record<string | number, unknown>)[key], rnd);
  }
  return copy;
}

function sampleResources(): Resource[] {
  const bundles: Bundle[] = [fixtureBundle('transaction-patient-encounter.json'), ...generateBundles({ bundles: 3, seed: 11 })];
  if (hasSamples) {
    // A few of each kind keep the run short; the bench and conformance suites cover the rest.
    const files = [
      ...sampleFiles('synthea-r4').slice(0, 3),
      ...sampleFiles('ips'),
      ...sampleFiles('hl7-r4-examples'),
      ...sampleFiles('us-core-9.0.0-examples').slice(0, 40),
    ];
    for (const f of files) {
      const parsed = JSON.parse(fs.readFileSync(f, 'utf8'));
      if (parsed?.resourceType === 'Bundle') bundles.push(parsed);
      else if (parsed?.resourceType) bundles.push({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: parsed }] });
    }
  }
  return bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r));
}

describe('precheck', () => {
  const resources = sampleResources();

  test('says valid of every valid project resource (the fast path is taken for ordinary data)', () => {
    const own = [fixtureBundle('transaction-patient-encounter.json'), ...generateBundles({ bundles: 3, seed: 11 })];
    for (const bundle of own) {
      expect(medplumAccepts(bundle)).toBe(true);
      expect(passesPrecheck(bundle)).toBe(true);
    }
  });

  test('never says valid of a resource Medplum refuses, over seeded random mutations', () => {
    const rnd = prng(20261124);
    let refused = 0;
    let fastValid = 0;
    const unsound: string[] = [];
    const mutants = hasSamples ? 6000 : 3000;
    for (let i = 0; i < mutants; i++) {
      const original = resources[Math.floor(rnd() * resources.length)];
      const mutant = mutate(original, rnd);
      const accepted = medplumAccepts(mutant);
      const fast = passesPrecheck(mutant);
      if (!accepted) refused++;
      if (fast) fastValid++;
      if (fast && !accepted) unsound.push(JSON.stringify(mutant).slice(0, 300));
    }
    expect(unsound).toEqual([]);
    // The mutations must actually produce both kinds, or this test proves nothing.
    expect(refused).toBeGreaterThan(mutants / 4);
    expect(fastValid).toBeGreaterThan(mutants / 10);
  });

  test('never says valid of an invalid whole bundle (bundle invariants, entries)', () => {
    const bundle = generateBundles({ bundles: 1, seed: 3 })[0];
    const duplicateFullUrl = structuredClone(bundle);
    duplicateFullUrl.entry![1].fullUrl = duplicateFullUrl.entry![0].fullUrl; // bdl-7
    const noRequest = structuredClone(bundle);
    delete noRequest.entry![0].request; // bdl-3
    const badEntry = structuredClone(bundle);
    (badEntry.entry![0].resource as unknown as Record<string, unknown>).gender = 'sometimes';
    for (const b of [duplicateFullUrl, noRequest]) {
      expect(medplumAccepts(b)).toBe(false);
      expect(passesPrecheck(b)).toBe(false);
    }
    // A code outside its value set is the bridge's own terminology check, not Medplum's: the precheck follows Medplum.
    expect(passesPrecheck(badEntry)).toBe(medplumAccepts(badEntry));
  });

  testWithSamples(['synthea-r4'], 'agrees with Medplum on every shared sample it calls valid', () => {
    for (const r of resources) if (passesPrecheck(r)) expect(medplumAccepts(r)).toBe(true);
    expect(fs.existsSync(path.join(SAMPLES, 'synthea-r4'))).toBe(true);
  });
});
