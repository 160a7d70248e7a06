/**
 * The search index values of one resource (pure): every indexed R4 search parameter of its type (search-definitions.ts)
 * evaluated over the resource as served (references already bridge ids), in the forms R4 search.html defines:
 * strings accent- and case-folded for the default starts-with match, tokens as system|code, dates as instant ranges,
 * references as type/id, quantities as sent and in canonical UCUM units.
 */
import { toCanonicalQuantity } from '../normalize/units';
import { fhirTimeRange } from '../normalize/time';
import { searchParamsOf, type PathStep, type SearchParamDef } from './search-definitions';
import type { SearchValues } from '../model/search';
export type { SearchValues } from '../model/search';

type Json = Record<string, unknown>;

/** A deleted version's values: none. */
export const NO_VALUES: SearchValues = Object.freeze({ strings: [], texts: [], tokens: [], dates: [], references: [], quantities: [] }) as SearchValues;

/** Index strings are kept to this length: a starts-with search of a longer text matches on its first characters. */
export const STRING_INDEX_LENGTH = 200;

/** R4 search.html#string: "case and accent insensitive", so both sides are compared folded. */
export function foldString(s: string): string {
  const folded = s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return folded.length > STRING_INDEX_LENGTH ? folded.slice(0, STRING_INDEX_LENGTH) : folded;
}

/** FHIR data type names that end a choice element's name (`value[x]` → valueQuantity). */
const CHOICE_TYPES = new Set(
  (
    'Base64Binary Boolean Canonical Code Date DateTime Decimal Id Instant Integer Markdown Oid PositiveInt String Time ' +
    'UnsignedInt Uri Url Uuid Address Age Annotation Attachment CodeableConcept Coding ContactPoint Count Distance Duration ' +
    'HumanName Identifier Money Period Quantity Range Ratio Reference SampledData Signature Timing ContactDetail Contributor ' +
    'DataRequirement Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext Dosage Meta'
  ).split(' '),
);

const capitalize = (s: string): string => s[0].toUpperCase() + s.slice(1);

function push(out: unknown[], value: unknown): void {
  if (Array.isArray(value)) for (const v of value) push(out, v);
  else if (value !== undefined && value !== null) out.push(value);
}

/** The values one step selects from one object. */
function select(obj: Json, step: PathStep): unknown[] {
  const out: unknown[] = [];
  if (step.as) {
    const choice = obj[step.asKey ?? step.name + capitalize(step.as)];
    if (choice !== undefined) push(out, choice);
    else if (obj[step.name] !== undefined && step.as === 'Reference') push(out, obj[step.name]);
  } else if (obj[step.name] !== undefined) push(out, obj[step.name]);
  else if (step.choice) {
    for (const key in obj) {
      if (key.length > step.name.length && key.startsWith(step.name) && CHOICE_TYPES.has(key.slice(step.name.length))) push(out, obj[key]);
    }
  }
  let selected = out;
  if (step.whereEq) {
    const [field, literal] = step.whereEq;
    selected = selected.filter((v) => v && typeof v === 'object' && (v as Json)[field] === literal);
  }
  if (step.resolveIs) {
    const type = step.resolveIs;
    selected = selected.filter((v) => referenceTarget(v)?.targetType === type);
  }
  if (step.index !== undefined) selected = selected.length > step.index ? [selected[step.index]] : [];
  return selected;
}

/** The values a compiled path selects from the resource. */
export function evaluatePath(resource: unknown, steps: PathStep[]): unknown[] {
  let current: unknown[] = [resource];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) if (node && typeof node === 'object' && !Array.isArray(node)) for (const v of select(node as Json, step)) next.push(v);
    if (!next.length) return next;
    current = next;
  }
  return current;
}

/**
 * A reference's target as `type` and `id`: relative (`Patient/1`), absolute (`https://x/fhir/Patient/1`, also with
 * `_history/n`), or a canonical/urn kept whole (type null). Contained references (`#x`) have no target.
 */
export function referenceTarget(value: unknown): { targetType: string | null; targetId: string } | undefined {
  const ref = typeof value === 'string' ? value : value && typeof value === 'object' ? (value as { reference?: unknown }).reference : undefined;
  if (typeof ref !== 'string' || !ref || ref.startsWith('#')) return undefined;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref);
  return m ? { targetType: m[1], targetId: m[2] } : { targetType: null, targetId: ref };
}

const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

function stringsOf(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    // HumanName and Address: every part (R4 search.html#string "any of the string fields").
    for (const part of NAME_PARTS) {
      const v = (value as Json)[part];
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') out.push(s);
    }
  }
}

type Canonical = (system: string) => string;

function addValues(def: SearchParamDef, value: unknown, into: SearchValues, canonical: Canonical): void {
  const param = def.code;
  switch (def.type) {
    case 'string': {
      const found: string[] = [];
      stringsOf(value, found);
      for (const s of found) if (s.trim()) into.strings.push({ param, value: foldString(s), exact: s });
      return;
    }
    case 'uri':
      if (typeof value === 'string' && value) into.tokens.push({ param, system: null, code: value });
      return;
    case 'token':
      return tokenValues(param, value, into, canonical);
    case 'date':
      return dateValues(param, value, into);
    case 'reference': {
      const target = referenceTarget(value);
      if (target) into.references.push({ param, ...target });
      const identifier = value && typeof value === 'object' ? (value as { identifier?: { system?: string; value?: string } }).identifier : undefined;
      if (identifier?.value) into.tokens.push({ param: `${param}:identifier`, system: identifier.system ?? null, code: identifier.value });
      return;
    }
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value))
        into.quantities.push({ param, value, system: null, code: null, canonicalValue: null, canonicalUnit: null });
      return;
    case 'quantity': {
      const q = value as { value?: unknown; system?: string; code?: string; unit?: string; currency?: string };
      if (!q || typeof q !== 'object' || typeof q.value !== 'number' || !Number.isFinite(q.value)) return;
      if (q.currency) {
        into.quantities.push({ param, value: q.value, system: 'urn:iso:std:iso:4217', code: q.currency, canonicalValue: null, canonicalUnit: null });
        return;
      }
      const code = q.code ?? q.unit ?? null;
      const c = toCanonicalQuantity(q.value, code, q.system ?? null);
      const converted = c.status === 'converted' && c.value !== null;
      into.quantities.push({
        param,
        value: q.value,
        system: q.system ?? null,
        code,
        canonicalValue: converted ? c.value : null,
        canonicalUnit: converted ? c.unit : null,
      });
      return;
    }
  }
}

function tokenValues(param: string, value: unknown, into: SearchValues, canonical: Canonical): void {
  if (typeof value === 'string') {
    if (value) into.tokens.push({ param, system: null, code: value });
    return;
  }
  if (typeof value === 'boolean') {
    into.tokens.push({ param, system: null, code: String(value) });
    return;
  }
  if (!value || typeof value !== 'object') return;
  const v = value as Json;
  const text = (s: unknown): void => {
    if (typeof s === 'string' && s.trim()) into.texts.push({ param, value: foldString(s) });
  };
  const coding = (c: Json): void => {
    if (typeof c.code === 'string' && c.code) into.tokens.push({ param, system: typeof c.system === 'string' ? canonical(c.system) : null, code: c.code });
    text(c.display);
  };
  if (Array.isArray(v.coding) || (typeof v.text === 'string' && v.value === undefined && v.code === undefined)) {
    // CodeableConcept, a text alone being one too
    if (Array.isArray(v.coding)) for (const c of v.coding) if (c && typeof c === 'object') coding(c as Json);
    text(v.text);
  } else if (typeof v.value === 'string') {
    // Identifier (system|value, :text on its type) or ContactPoint (its system: phone, email ...)
    into.tokens.push({ param, system: typeof v.system === 'string' ? v.system : null, code: v.value });
    text((v.type as Json | undefined)?.text);
  } else if (typeof v.code === 'string') coding(v);
}

function dateValues(param: string, value: unknown, into: SearchValues): void {
  const range = (s: unknown): { start: string | null; end: string | null } | undefined => {
    if (typeof s !== 'string') return undefined;
    const r = fhirTimeRange(s);
    return r.start && r.end ? { start: r.start, end: r.end } : undefined;
  };
  if (typeof value === 'string') {
    const r = range(value);
    if (r) into.dates.push({ param, start: r.start as string, end: r.end as string });
    return;
  }
  if (!value || typeof value !== 'object') return;
  const v = value as { start?: string; end?: string; event?: unknown };
  if (v.start !== undefined || v.end !== undefined) {
    // Period: an open end is unbounded (R4 datatypes.html#Period).
    const s = range(v.start);
    const e = range(v.end);
    if (s || e) into.dates.push({ param, start: s?.start ?? '-infinity', end: e?.end ?? 'infinity' });
  } else if (Array.isArray(v.event)) {
    // Timing: each event.
    for (const ev of v.event) dateValues(param, ev, into);
  }
}

/** Every index value of `resource`; `canonical` maps code systems to their canonical URI (as searched). */
export function searchValues(resource: { resourceType: string }, canonical: Canonical = (s) => s): SearchValues {
  const into: SearchValues = { strings: [], texts: [], tokens: [], dates: [], references: [], quantities: [] };
  const root = resource as unknown as Json;
  for (const def of searchParamsOf(resource.resourceType).values()) {
    if (def.indexedAs[0] !== def.code || def.indexedAs.length > 1) continue; // a union: its parts are indexed
    const marks = [into.strings.length, into.tokens.length, into.dates.length, into.references.length, into.quantities.length, into.texts.length];
    for (const path of def.paths) {
      if (!mayHave(root, path[0])) continue; // most parameters of a type name elements a resource does not have
      for (const value of evaluatePath(resource, path)) addValues(def, value, into, canonical);
    }
    // A code in two codings, a name part given twice: each value once. A parameter's values are few and
    // contiguous, so they are compared among themselves only.
    uniqueFrom(into.strings, marks[0], (a, b) => a.param === b.param && a.exact === b.exact);
    uniqueFrom(into.tokens, marks[1], (a, b) => a.param === b.param && a.system === b.system && a.code === b.code);
    uniqueFrom(into.dates, marks[2], (a, b) => a.param === b.param && a.start === b.start && a.end === b.end);
    uniqueFrom(into.references, marks[3], (a, b) => a.param === b.param && a.targetType === b.targetType && a.targetId === b.targetId);
    uniqueFrom(into.quantities, marks[4], (a, b) => a.param === b.param && a.value === b.value && a.system === b.system && a.code === b.code);
    uniqueFrom(into.texts, marks[5], (a, b) => a.param === b.param && a.value === b.value);
  }
  return into;
}

/** Whether the resource could hold the first step's element: under its name, or (a choice) a name it starts. */
function mayHave(root: Json, step: PathStep | undefined): boolean {
  if (!step || root[step.name] !== undefined) return true;
  if (step.asKey) return root[step.asKey] !== undefined;
  return !!step.choice;
}

/** Drops, from `rows[from…]`, each row equal to one before it there. */
function uniqueFrom<T>(rows: T[], from: number, same: (a: T, b: T) => boolean): void {
  if (rows.length - from < 2) return;
  let kept = from + 1;
  for (let i = from + 1; i < rows.length; i++) {
    let seen = false;
    for (let j = from; j < kept && !seen; j++) seen = same(rows[j], rows[i]);
    if (!seen) rows[kept++] = rows[i];
  }
  rows.length = kept;
}
