/**
 * A fast path in front of Medplum's validator. Medplum's crawler visits every element of every schema and builds a
 * typed value per property, which made it 70% of a push's CPU. This walks only the keys present, over lookup tables
 * compiled once per type from the same Medplum schemas, and applies the same rules: known properties, array or
 * single, cardinality, primitive JSON types and formats (Medplum's own regexes), and every error-severity invariant
 * Medplum evaluates, through Medplum's own FHIRPath engine.
 *
 * It answers only "valid" or "not sure". Anything unusual (a null, an empty value, a primitive extension `_x`, two
 * variants of one choice element, an unknown type, a failed invariant) is "not sure", and the caller then runs
 * Medplum's validator, which decides and explains. So a wrong answer here can only cost time, never accept what
 * Medplum refuses, provided "valid" is never said of a resource Medplum refuses: test/unit/precheck.test.ts checks
 * exactly that over the samples and thousands of mutations of them.
 */
import {
  capitalize,
  evalFhirPathTyped,
  fhirTypeToJsType,
  InternalSchemaElement,
  InternalTypeSchema,
  isResourceType,
  toTypedValue,
  tryGetDataType,
  TypedValue,
  UCUM,
  validationRegexes,
} from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

import { isObject as isPlainObject, shortcutOf } from './invariant-shortcuts';

/** An invariant, with its plain-JavaScript proof where one exists (fhir/invariant-shortcuts.ts). */
type Constraint = NonNullable<InternalSchemaElement['constraints']>[number] & {
  holds?: (value: Record<string, unknown>, resource: Record<string, unknown>) => boolean;
};

/** Invariants Medplum's validator does not evaluate (its `skippedConstraintKeys`); skipping one it does evaluate would be unsound. */
const SKIPPED_CONSTRAINTS = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const MAX_STRING_LENGTH = 1024 * 1024;

interface PrimitiveRule {
  jsType: 'string' | 'number' | 'boolean';
  regex?: RegExp;
  /** R4 datatypes.html: a string SHALL NOT exceed 1 MB; base64Binary has no such limit (the body limit bounds it). */
  lengthLimited: boolean;
  integer: boolean;
  positive: boolean;
  unsigned: boolean;
}

interface Property {
  /** The schema element key, e.g. `value[x]`: two keys of one element (valueString and valueQuantity) are "not sure". */
  element: string;
  isArray: boolean;
  min: number;
  max: number;
  /** A type code: a primitive, a complex type, or `Resource` (typed by the value's resourceType). */
  type: string;
  primitive?: PrimitiveRule;
  constraints: Constraint[];
}

interface CompiledType {
  properties: Map<string, Property>;
  /** Element keys with min > 0 (any variant of a choice element satisfies it). */
  required: string[];
  isResource: boolean;
  /** Root invariants, evaluated only for the resource validation starts at (as Medplum does). */
  constraints: Constraint[];
}

const errorConstraints = (cs: Constraint[] | undefined): Constraint[] =>
  (cs ?? []).filter((c) => c.severity === 'error' && !SKIPPED_CONSTRAINTS.has(c.key)).map((c) => ({ ...c, holds: shortcutOf(c.key, c.expression) }));

function primitiveRule(type: string): PrimitiveRule | undefined {
  const jsType = (fhirTypeToJsType as Record<string, 'string' | 'number' | 'boolean'>)[type];
  if (!jsType) return undefined;
  return {
    jsType,
    regex: validationRegexes[type],
    lengthLimited: type !== 'base64Binary',
    integer: type === 'integer' || type === 'positiveInt' || type === 'unsignedInt',
    positive: type === 'positiveInt',
    unsigned: type === 'unsignedInt',
  };
}

const compiled = new Map<string, CompiledType | null>();

/** The lookup tables of one type, or null when its schema uses something this walker does not model (slices, patterns). */
function compile(typeName: string): CompiledType | null {
  const cached = compiled.get(typeName);
  if (cached !== undefined) return cached;
  const schema: InternalTypeSchema | undefined = tryGetDataType(typeName);
  let result: CompiledType | null = null;
  if (schema) result = compileSchema(schema);
  compiled.set(typeName, result);
  return result;
}

function compileSchema(schema: InternalTypeSchema): CompiledType | null {
  const properties = new Map<string, Property>();
  const required: string[] = [];
  for (const [key, element] of Object.entries(schema.elements)) {
    if (element.slicing || element.pattern || element.fixed || !element.type?.length) return null;
    const isChoice = key.endsWith('[x]');
    if (!isChoice && element.type.length !== 1) return null;
    for (const t of element.type) {
      const name = isChoice ? key.slice(0, -3) + capitalize(t.code) : key;
      if (properties.has(name) || name.includes('.')) return null;
      properties.set(name, {
        element: key,
        isArray: !!element.isArray,
        min: element.min,
        max: element.max ?? Infinity,
        type: t.code,
        primitive: primitiveRule(t.code),
        constraints: errorConstraints(element.constraints),
      });
    }
    if (element.min > 0) required.push(key);
  }
  return { properties, required, isResource: isResourceType(schema.name), constraints: errorConstraints(schema.constraints) };
}

/** State of one walk: the resources being inside (for %resource) and the root (for %rootResource). */
interface Walk {
  root: TypedValue;
  resources: Resource[];
}

const fhirPathCache = new Map<string, unknown>();
const ucum = toTypedValue(UCUM);

/** Evaluates invariants exactly as Medplum's validator does (same engine, same variables) unless a shortcut proves one holds; true when all hold. */
function invariantsHold(constraints: Constraint[], value: TypedValue, walk: Walk): boolean {
  const resource = walk.resources[walk.resources.length - 1] as unknown as Record<string, unknown> | undefined;
  let current: TypedValue | undefined;
  for (const constraint of constraints) {
    if (constraint.holds && resource && isPlainObject(value.value) && constraint.holds(value.value, resource)) continue;
    current ??= resource && toTypedValue(resource);
    // A fresh variables object per expression, as Medplum does, so no evaluation sees another's.
    const variables: Record<string, TypedValue> = { '%context': value, '%ucum': ucum, '%rootResource': walk.root };
    if (current) variables['%resource'] = current;
    try {
      const result = evalFhirPathTyped(constraint.expression, [value], variables, fhirPathCache as never);
      if (result.length !== 1 || result[0].value !== true) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function primitiveValid(value: unknown, rule: PrimitiveRule): boolean {
  if (typeof value !== rule.jsType) return false;
  if (rule.jsType === 'string') {
    const s = value as string;
    if (!s.trim() || (rule.lengthLimited && s.length > MAX_STRING_LENGTH)) return false;
    return !rule.regex || rule.regex.test(s);
  }
  if (rule.jsType === 'number') {
    const n = value as number;
    if (!Number.isFinite(n)) return false;
    if (rule.integer && !Number.isInteger(n)) return false;
    if (rule.positive && n <= 0) return false;
    if (rule.unsigned && n < 0) return false;
  }
  return true;
}

function valueValid(value: unknown, property: Property, walk: Walk): boolean {
  if (property.primitive) {
    if (!primitiveValid(value, property.primitive)) return false;
  } else if (!isPlainObject(value)) {
    return false;
  }
  let type = property.type;
  if (type === 'Resource') {
    const resourceType = (value as { resourceType?: unknown }).resourceType;
    if (typeof resourceType !== 'string' || !isResourceType(resourceType)) return false;
    type = resourceType;
  }
  if (property.constraints.length && !invariantsHold(property.constraints, { type, value }, walk)) return false;
  if (property.primitive) return true;
  const compiledType = compile(type);
  return compiledType !== null && objectValid(value as Record<string, unknown>, compiledType, walk);
}

function objectValid(obj: Record<string, unknown>, type: CompiledType, walk: Walk): boolean {
  const keys = Object.keys(obj);
  if (keys.length === 0) return false;
  if (type.isResource) walk.resources.push(obj as unknown as Resource);
  const seen = new Set<string>();
  for (const key of keys) {
    if (key === 'resourceType') {
      if (type.isResource) continue;
      return false;
    }
    const property = type.properties.get(key);
    if (!property || seen.has(property.element)) return false;
    seen.add(property.element);
    const value = obj[key];
    if (property.isArray) {
      if (!Array.isArray(value) || value.length === 0 || value.length < property.min || value.length > property.max) return false;
      for (const item of value) if (!valueValid(item, property, walk)) return false;
    } else {
      if (Array.isArray(value) || value === null || value === undefined || value === '' || property.min > 1) return false;
      if (!valueValid(value, property, walk)) return false;
    }
  }
  for (const element of type.required) if (!seen.has(element)) return false;
  if (type.isResource) walk.resources.pop();
  return true;
}

/**
 * True only when Medplum's `validateResource` would find no error in `resource`; false means "not sure" (run it).
 * Needs the FHIR definitions loaded (loadFhirDefinitions).
 */
export function passesPrecheck(resource: unknown): boolean {
  if (!isPlainObject(resource) || typeof resource.resourceType !== 'string' || !isResourceType(resource.resourceType)) return false;
  const type = compile(resource.resourceType);
  if (!type) return false;
  const root = toTypedValue(resource);
  if (root.type !== resource.resourceType) return false;
  // Medplum's validator starts with the root on its resource stack, and its crawler pushes it again on entering.
  const walk: Walk = { root, resources: [resource as unknown as Resource] };
  if (type.constraints.length && !invariantsHold(type.constraints, root, walk)) return false;
  return objectValid(resource, type, walk);
}
