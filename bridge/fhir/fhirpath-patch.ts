/**
 * FHIRPath Patch (R4 fhirpatch.html), pure: a Parameters resource whose `operation` parameters each add, insert,
 * delete, replace or move one element found by a FHIRPath expression. Expressions are parsed and evaluated by Medplum's
 * FHIRPath engine; to change the element an expression finds, the bridge walks the expression's last steps itself
 * (`a.b`, `a.b[n]`, `.where(…)`, `.first()`, `.last()`), so it knows the element's parent and place. A Parameters that
 * is not a patch is 400; a patch that does not fit the resource (no such element, more than one, an index out of range)
 * is 422. The result is then validated and written like any update.
 */
import {
  capitalize,
  DotAtom,
  evalFhirPathTyped,
  FhirPathAtom,
  FunctionAtom,
  IndexerAtom,
  LiteralAtom,
  parseFhirPath,
  SymbolAtom,
  toJsBoolean,
  toTypedValue,
  tryGetDataType,
  type Atom,
  type InternalSchemaElement,
  type InternalTypeSchema,
  type TypedValue,
} from '@medplum/core';
import { FhirError, outcomes } from './outcome';

type Json = Record<string, unknown>;

/** One operation as R4 fhirpatch.html §Parameters lists its parts. */
export interface FhirPathPatchOperation {
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move';
  path: string;
  name?: string;
  value?: PatchValue;
  index?: number;
  source?: number;
  destination?: number;
}

/** A `value` part: a primitive or data type as sent in `value[x]`, or a complex value given as named parts. */
type PatchValue = { typeSuffix: string; json: unknown } | { parts: Json[] };

const OPERATION_TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move']);
/** The parts each operation type needs, beside `type` and `path` (fhirpatch.html, the table of operations). */
const NEEDS: Record<FhirPathPatchOperation['type'], (keyof FhirPathPatchOperation)[]> = {
  add: ['name', 'value'],
  insert: ['value', 'index'],
  delete: [],
  replace: ['value'],
  move: ['source', 'destination'],
};

/** The operations of a FHIRPath Patch Parameters resource, checked for form; else 400. */
export function parseFhirPathPatch(body: unknown): FhirPathPatchOperation[] {
  const b = body as Json | null;
  if (!b || typeof b !== 'object' || b.resourceType !== 'Parameters') throw outcomes.invalid('a FHIRPath Patch is a Parameters resource');
  const params = Array.isArray(b.parameter) ? (b.parameter as Json[]) : [];
  if (params.length === 0) throw outcomes.invalid('a FHIRPath Patch needs at least one parameter named "operation"');
  return params.map((p, i) => {
    const at = `operation ${i + 1}`;
    if (p?.name !== 'operation' || !Array.isArray(p.part)) throw outcomes.invalid(`${at}: every parameter of a FHIRPath Patch is an "operation" with parts`);
    const op: Partial<FhirPathPatchOperation> = {};
    for (const part of p.part as Json[]) readPart(op, part, at);
    if (!op.type) throw outcomes.invalid(`${at}: its "type" must be one of add, insert, delete, replace, move`);
    if (!op.path) throw outcomes.invalid(`${at}: "path" is required`);
    for (const need of NEEDS[op.type]) if (op[need] === undefined) throw outcomes.invalid(`${at} (${op.type}): "${need}" is required`);
    return op as FhirPathPatchOperation;
  });
}

function readPart(op: Partial<FhirPathPatchOperation>, part: Json, at: string): void {
  const name = part?.name;
  if (name === 'type') {
    if (typeof part.valueCode !== 'string' || !OPERATION_TYPES.has(part.valueCode))
      throw outcomes.invalid(`${at}: its "type" must be one of add, insert, delete, replace, move`);
    op.type = part.valueCode as FhirPathPatchOperation['type'];
  } else if (name === 'path' || name === 'name') {
    const v = part.valueString;
    if (typeof v !== 'string' || v.trim() === '') throw outcomes.invalid(`${at}: "${name}" must be a valueString`);
    if (name === 'name' && (!ELEMENT_NAME.test(v) || v in Object.prototype)) throw outcomes.invalid(`${at}: "name" must be an element name`);
    op[name] = v;
  } else if (name === 'index' || name === 'source' || name === 'destination') {
    const v = part.valueInteger;
    if (!Number.isInteger(v) || (v as number) < 0) throw outcomes.invalid(`${at}: "${name}" must be a valueInteger of 0 or more`);
    op[name] = v as number;
  } else if (name === 'value') {
    op.value = valueOf(part, at);
  } else {
    throw outcomes.invalid(`${at}: unknown part "${String(name)}"`);
  }
}

function valueOf(part: Json, at: string): PatchValue {
  const keys = Object.keys(part).filter((k) => k.startsWith('value') && k.length > 5);
  if (keys.length === 1) return { typeSuffix: keys[0].slice(5), json: part[keys[0]] };
  if (keys.length === 0 && Array.isArray(part.part) && part.part.length > 0) return { parts: part.part as Json[] };
  throw outcomes.invalid(`${at}: "value" needs exactly one value[x], or parts`);
}

/** `resource` with `ops` applied in order; the original is left as it was. */
export function applyFhirPathPatch(resource: Json, ops: FhirPathPatchOperation[]): Json {
  const doc = structuredClone(resource);
  ops.forEach((op, i) => {
    try {
      applyOne(doc, op);
    } catch (e) {
      if (e instanceof FhirError) throw e;
      // Medplum's parser and evaluator throw plain errors on an expression they cannot read.
      throw outcomes.invalid(`operation ${i + 1}: path "${op.path}" is not a FHIRPath expression the bridge can evaluate`);
    }
  });
  if (doc.resourceType !== resource.resourceType || doc.id !== resource.id) throw outcomes.businessRule('a patch may not change resourceType or id');
  return doc;
}

/** Where an element sits: in `parent[key]` (at `index` when that is an array); the root has no parent. */
interface Place {
  typed: TypedValue;
  name?: string;
  parent?: Json;
  key?: string;
  index?: number;
}

function applyOne(doc: Json, op: FhirPathPatchOperation): void {
  const places = locate(parseFhirPath(op.path), { typed: toTypedValue(doc) }, doc);
  const fail = (why: string) => outcomes.businessRule(`${op.type} at "${op.path}": ${why}`);
  if (op.type === 'delete') {
    if (places.length > 1) throw fail(`the path matches ${places.length} elements; a delete takes one`);
    if (places.length === 1) remove(places[0], fail); // no match: nothing to delete (fhirpatch.html)
    return;
  }
  if (op.type === 'insert' || op.type === 'move') return reorder(places, op, fail);
  if (places.length !== 1) throw fail(places.length === 0 ? 'the path matches no element' : `the path matches ${places.length} elements, not one`);
  const place = places[0];
  if (op.type === 'replace') return replace(place, op.value!, fail);
  add(place, op.name!, op.value!, fail);
}

/** The places of the elements `atom` selects, for the subset of FHIRPath that names an element's place. */
function locate(atom: Atom, root: Place, doc: Json): Place[] {
  if (atom instanceof FhirPathAtom) return locate(atom.child, root, doc);
  if (atom instanceof SymbolAtom) return atom.name === doc.resourceType ? [root] : childrenOf(root, atom.name);
  if (atom instanceof IndexerAtom) {
    const n = atom.expr instanceof LiteralAtom ? atom.expr.value.value : undefined;
    if (typeof n !== 'number') throw new Error('index');
    const all = locate(atom.left, root, doc);
    return n < all.length ? [all[n]] : [];
  }
  if (atom instanceof DotAtom) {
    const left = locate(atom.left, root, doc);
    if (atom.right instanceof SymbolAtom) {
      const name = atom.right.name;
      return left.flatMap((p) => childrenOf(p, name));
    }
    if (atom.right instanceof FunctionAtom) return filterBy(atom.right, left);
  }
  throw new Error('unsupported');
}

function filterBy(fn: FunctionAtom, places: Place[]): Place[] {
  if (fn.name === 'first') return places.slice(0, 1);
  if (fn.name === 'last') return places.slice(-1);
  if (fn.name === 'where' && fn.args.length === 1) {
    const criteria = new FhirPathAtom(fn.args[0].toString(), fn.args[0]);
    return places.filter((p) => toJsBoolean(evalFhirPathTyped(criteria, [p.typed])));
  }
  throw new Error('unsupported');
}

/** The elements named `name` (a choice element such as `value` found under its `value[x]` key) of the element at `p`. */
function childrenOf(p: Place, name: string): Place[] {
  const obj = p.typed.value as unknown;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const parent = obj as Json;
  const key = Object.hasOwn(parent, name)
    ? name
    : Object.keys(parent).find((k) => k.length > name.length && k.startsWith(name) && /[A-Z]/.test(k[name.length]));
  if (!key || parent[key] === undefined || parent[key] === null) return [];
  const typed = evalFhirPathTyped(name, [p.typed]);
  const v = parent[key];
  if (!Array.isArray(v)) return [{ typed: typed[0] ?? toTypedValue(v), name, parent, key }];
  return v.map((item, index) => ({ typed: typed.length === v.length ? typed[index] : toTypedValue(item), name, parent, key, index }));
}

function remove(p: Place, fail: (why: string) => Error): void {
  if (!p.parent || !p.key) throw fail('the resource itself cannot be deleted by a patch');
  const { parent, key } = p;
  const arr = parent[key];
  const ext = parent[`_${key}`]; // a primitive's id and extensions (R4 json.html#primitive)
  if (Array.isArray(arr) && p.index !== undefined) {
    arr.splice(p.index, 1);
    if (Array.isArray(ext)) ext.splice(p.index, 1);
    if (arr.length > 0) return;
  }
  delete parent[key];
  delete parent[`_${key}`];
}

function replace(p: Place, value: PatchValue, fail: (why: string) => Error): void {
  if (!p.parent || !p.key || !p.name) throw fail('the resource itself cannot be replaced by a patch');
  const elementType = p.typed.type;
  if ('typeSuffix' in value && p.key !== p.name) {
    // a choice element may change type: valueQuantity replaced by valueString moves to its new key.
    const key = p.name + capitalize(value.typeSuffix);
    delete p.parent[p.key];
    delete p.parent[`_${p.key}`];
    p.parent[key] = value.json;
    return;
  }
  const json = jsonOf(value, elementType);
  if (Array.isArray(p.parent[p.key]) && p.index !== undefined) (p.parent[p.key] as unknown[])[p.index] = json;
  else p.parent[p.key] = json;
}

function add(p: Place, name: string, value: PatchValue, fail: (why: string) => Error): void {
  const container = p.typed.value as unknown;
  if (!container || typeof container !== 'object' || Array.isArray(container)) throw fail('an element can only be added to an element with children');
  const target = container as Json;
  const schema = tryGetDataType(p.typed.type);
  const choice = elementOf(schema, `${name}[x]`);
  const element = elementOf(schema, name) ?? choice;
  if (!element) throw fail(`${p.typed.type} has no element "${name}"`);
  let key = name;
  if (choice) {
    if (!('typeSuffix' in value)) throw fail(`"${name}" is a choice of types: give the value as value[x]`);
    key = name + capitalize(value.typeSuffix);
    if (!choice.type.some((t) => capitalize(t.code) === capitalize(value.typeSuffix))) throw fail(`"${name}" cannot hold a ${value.typeSuffix}`);
  }
  const json = jsonOf(value, element.type[0]?.code);
  if (element.isArray) {
    const list = target[key];
    if (list !== undefined && !Array.isArray(list)) throw fail(`${name} is not a list`);
    target[key] = [...((list as unknown[]) ?? []), json];
    return;
  }
  const present = choice ? Object.keys(target).some((k) => k.startsWith(name) && /[A-Z]/.test(k[name.length] ?? '')) : target[key] !== undefined;
  if (present) throw fail(`"${name}" is already present and does not repeat: use replace`);
  target[key] = json;
}

/** insert and move: the path names a whole list (every element of one array). */
function reorder(places: Place[], op: FhirPathPatchOperation, fail: (why: string) => Error): void {
  if (places.length === 0) throw fail(op.type === 'insert' ? 'the path matches no list: use add for its first element' : 'the path matches no list');
  const { parent, key } = places[0];
  const list = parent && key ? parent[key] : undefined;
  if (!Array.isArray(list) || places.some((p) => p.parent !== parent || p.key !== key) || places.length !== list.length) {
    throw fail('the path must name every element of one list');
  }
  const ext = parent![`_${key}`];
  const exts = Array.isArray(ext) ? ext : undefined;
  if (op.type === 'insert') {
    if (op.index! > list.length) throw fail(`index ${op.index} is past the end of a list of ${list.length}`);
    list.splice(op.index!, 0, jsonOf(op.value!, places[0].typed.type));
    exts?.splice(op.index!, 0, null);
    return;
  }
  if (op.source! >= list.length || op.destination! >= list.length) throw fail(`source and destination must be below ${list.length}, the list's length`);
  const [moved] = list.splice(op.source!, 1);
  list.splice(op.destination!, 0, moved);
  if (exts) exts.splice(op.destination!, 0, exts.splice(op.source!, 1)[0]);
}

const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The schema's own element `name` (a lookup that never reaches Object.prototype's keys). */
function elementOf(schema: InternalTypeSchema | undefined, name: string): InternalSchemaElement | undefined {
  return schema && Object.hasOwn(schema.elements, name) ? schema.elements[name] : undefined;
}

/** The JSON of a `value`: as sent in value[x], or built from its parts, as lists where `typeName`'s schema repeats them. */
function jsonOf(value: PatchValue, typeName: string | undefined): unknown {
  if ('typeSuffix' in value) return value.json;
  const schema = typeName ? tryGetDataType(typeName) : undefined;
  const out: Json = {};
  for (const part of value.parts) {
    const name = typeof part?.name === 'string' ? part.name : undefined;
    // FHIR element names (R4 elementdefinition.html#path): never a prototype's key such as __proto__ or constructor.
    if (!name || !ELEMENT_NAME.test(name) || name in Object.prototype) throw outcomes.invalid('every part of a complex "value" needs an element name');
    const element = elementOf(schema, name);
    const inner = valueOf(part, `value part "${name}"`);
    const json = jsonOf(inner, element?.type[0]?.code);
    const key = 'typeSuffix' in inner && elementOf(schema, `${name}[x]`) ? name + capitalize(inner.typeSuffix) : name;
    if (element?.isArray || out[key] !== undefined)
      out[key] = [...(out[key] === undefined ? [] : Array.isArray(out[key]) ? (out[key] as unknown[]) : [out[key]]), json];
    else out[key] = json;
  }
  return out;
}
