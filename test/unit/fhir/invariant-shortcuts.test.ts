/**
 * A shortcut may say an invariant holds only where Medplum's FHIRPath engine says so. Differential: every shortcut on
 * the project's bundles, the shared samples when present, and hand-made shapes around each invariant's edge.
 */
import fs from 'node:fs';
import { evalFhirPathTyped, toTypedValue, tryGetDataType, TypedValue } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { generateBundles } from '../../../bench/generate';
import { INVARIANT_SHORTCUTS, shortcutOf } from '../../../bridge/fhir/invariant-shortcuts';
import { loadFhirDefinitions } from '../../../bridge/fhir/validate';
import { fixtureBundle, hasSamples, sampleFiles } from '../../helpers/fixtures';

beforeAll(() => loadFhirDefinitions());

type Json = Record<string, unknown>;

/** What the FHIRPath engine makes of an invariant, with the variables the precheck and Medplum give it. */
function fhirPathHolds(key: string, value: Json, type: string, resource: Json): boolean {
  const typed: TypedValue = { type, value };
  const vars = { '%context': typed, '%resource': toTypedValue(resource), '%rootResource': toTypedValue(resource) };
  try {
    const r = evalFhirPathTyped(INVARIANT_SHORTCUTS[key].expression, [typed], vars);
    return r.length === 1 && r[0].value === true;
  } catch {
    return false;
  }
}

interface Case {
  key: string;
  value: Json;
  type: string;
  resource: Json;
}

/** The cases of one bundle: its own invariants, its entries', its resources' and every extension's. */
function casesOf(bundle: Json): Case[] {
  const out: Case[] = ['bdl-1', 'bdl-2', 'bdl-3', 'bdl-4', 'bdl-7', 'bdl-9', 'bdl-10', 'bdl-11', 'bdl-12'].map((key) => ({
    key,
    value: bundle,
    type: 'Bundle',
    resource: bundle,
  }));
  for (const entry of (bundle.entry as Json[] | undefined) ?? []) {
    out.push({ key: 'bdl-5', value: entry, type: 'BundleEntry', resource: bundle }, { key: 'bdl-8', value: entry, type: 'BundleEntry', resource: bundle });
    const r = entry.resource as Json | undefined;
    if (!r) continue;
    for (const key of ['dom-2', 'dom-4', 'dom-5']) out.push({ key, value: r, type: r.resourceType as string, resource: r });
    if (r.resourceType === 'Observation') for (const key of ['obs-6', 'obs-7']) out.push({ key, value: r, type: 'Observation', resource: r });
    const extensions = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(extensions);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if ((k === 'extension' || k === 'modifierExtension') && Array.isArray(x))
            for (const e of x) if (e && typeof e === 'object') out.push({ key: 'ext-1', value: e as Json, type: 'Extension', resource: r });
          extensions(x);
        }
      }
    };
    extensions(r);
  }
  return out;
}

/** Shapes at each invariant's edge, valid and not. */
function edgeBundles(): Json[] {
  const base = generateBundles({ bundles: 1, seed: 5 })[0] as unknown as Json;
  const variant = (change: (b: Json & { entry: Json[] }) => void): Json => {
    const b = structuredClone(base) as Json & { entry: Json[] };
    change(b);
    return b;
  };
  return [
    variant((b) => (b.entry[1].fullUrl = b.entry[0].fullUrl)),
    variant((b) => {
      b.entry[1].fullUrl = b.entry[0].fullUrl;
      (b.entry[1].resource as Json).meta = { versionId: '2' };
    }),
    variant((b) => {
      b.entry[1].fullUrl = b.entry[0].fullUrl;
      b.type = 'history';
    }),
    variant((b) => (b.type = 'collection')),
    variant((b) => (b.type = 'batch-response')),
    variant((b) => delete b.entry[0].request),
    variant((b) => (b.entry[0].response = { status: '201' })),
    variant((b) => (b.entry[0].search = { mode: 'match' })),
    variant((b) => (b.total = 3)),
    variant((b) => (b.entry[0].fullUrl = 'http://example.org/Patient/1/_history/2')),
    variant((b) => (b.entry[0] = { fullUrl: 'urn:uuid:only-a-url' })),
    variant((b) => (b.type = 'document')),
    variant((b) => (b.type = 'message')),
    variant((b) => (b.type = 7)),
    variant((b) => (b.entry[0].fullUrl = 42)),
    variant(
      (b) =>
        ((b.entry[0].resource as Json).contained = [
          { resourceType: 'Patient', id: 'c', meta: { versionId: '1' }, contained: [{ resourceType: 'Patient', id: 'd' }] },
        ]),
    ),
    variant((b) => {
      const r = b.entry[0].resource as Json;
      r.extension = [
        { url: 'http://e.org/both', valueString: 'v', extension: [{ url: 'x', valueString: 'w' }] },
        { url: 'http://e.org/neither' },
        { url: 'http://e.org/null', valueString: null },
        { url: 'http://e.org/empty', valueCodeableConcept: {} },
        { url: 'http://e.org/ext-of-primitive', _valueString: { extension: [{ url: 'x', valueCode: 'c' }] } },
        { url: 'http://e.org/empty-list', extension: [] },
        { url: 'http://e.org/nested', extension: [{ url: 'a', valueString: 'b' }] },
      ];
    }),
    variant((b) =>
      b.entry.push(
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'v', dataAbsentReason: { text: 'why' } } },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 's', code: 'c' }] },
            valueString: 'v',
            component: [{ code: { coding: [{ system: 's', code: 'c' }] }, valueString: 'w' }],
          },
        },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, dataAbsentReason: { text: 'why' }, component: [] } },
      ),
    ),
  ];
}

function allBundles(): Json[] {
  const bundles: Json[] = [fixtureBundle('transaction-patient-encounter.json'), ...generateBundles({ bundles: 3, seed: 11 })] as unknown as Json[];
  if (hasSamples) for (const f of [...sampleFiles('synthea-r4').slice(0, 5), ...sampleFiles('ips')]) bundles.push(JSON.parse(fs.readFileSync(f, 'utf8')));
  return [...bundles.filter((b) => b.resourceType === 'Bundle'), ...edgeBundles()];
}

test('every shortcut is bound to an invariant the loaded definitions hold, with the same expression', () => {
  const found = new Set<string>();
  for (const type of ['Bundle', 'BundleEntry', 'Extension', 'Observation', 'DomainResource', 'Patient']) {
    const schema = tryGetDataType(type);
    const constraints = [...(schema?.constraints ?? []), ...Object.values(schema?.elements ?? {}).flatMap((e) => e.constraints ?? [])];
    for (const c of constraints) if (shortcutOf(c.key, c.expression)) found.add(c.key);
  }
  expect([...found].sort()).toEqual(Object.keys(INVARIANT_SHORTCUTS).sort());
  expect(shortcutOf('bdl-7', 'true')).toBeUndefined();
  expect(shortcutOf('constructor', 'x')).toBeUndefined();
});

test('a shortcut says an invariant holds only where FHIRPath says so, and says it of ordinary data', () => {
  const unsound: string[] = [];
  const taken = new Map<string, number>();
  const refusedByFhirPath = new Set<string>();
  for (const bundle of allBundles()) {
    for (const c of casesOf(bundle)) {
      const fast = INVARIANT_SHORTCUTS[c.key].holds(c.value, c.resource);
      const truth = fhirPathHolds(c.key, c.value, c.type, c.resource);
      if (fast && !truth) unsound.push(`${c.key}: ${JSON.stringify(c.value).slice(0, 200)}`);
      if (fast) taken.set(c.key, (taken.get(c.key) ?? 0) + 1);
      if (!truth) refusedByFhirPath.add(c.key);
    }
  }
  expect(unsound).toEqual([]);
  // Every shortcut is taken somewhere (else it saves nothing), and the edge cases reach the failing side of each
  // (obs-7 never fails in Medplum's engine, whose intersect of Codings compares them by identity).
  expect([...taken.keys()].sort()).toEqual(Object.keys(INVARIANT_SHORTCUTS).sort());
  for (const key of ['bdl-1', 'bdl-2', 'bdl-3', 'bdl-4', 'bdl-5', 'bdl-7', 'bdl-8', 'bdl-9', 'bdl-12', 'dom-2', 'dom-4', 'ext-1', 'obs-6'])
    expect(refusedByFhirPath).toContain(key);
});

test('the precheck still refuses what the shortcuts pass on to FHIRPath (a duplicate fullUrl, a request in a collection)', () => {
  // Through the precheck itself, so the wiring (not only each shortcut) is checked.
  const { passesPrecheck } = jest.requireActual('../../../bridge/fhir/precheck') as typeof import('../../../bridge/fhir/precheck');
  const [bundle] = generateBundles({ bundles: 1, seed: 5 }) as Bundle[];
  expect(passesPrecheck(bundle)).toBe(true);
  const duplicate = structuredClone(bundle);
  duplicate.entry![1].fullUrl = duplicate.entry![0].fullUrl;
  const collection = structuredClone(bundle);
  collection.type = 'collection';
  const both = structuredClone(bundle);
  (both.entry![0].resource as unknown as Json).extension = [{ url: 'http://e.org/x', valueString: 'v', extension: [{ url: 'y', valueString: 'w' }] }];
  for (const b of [duplicate, collection, both]) expect(passesPrecheck(b)).toBe(false);
});
