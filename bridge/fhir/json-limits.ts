/**
 * Limits on pushed JSON the FHIR specification leaves open, checked before anything else reads the value (pure).
 *
 * - Nesting: at most MAX_JSON_DEPTH levels of arrays and objects. Real FHIR data stays far below it (a Synthea bundle
 *   is about 10 deep; every nested QuestionnaireResponse item adds 4), and a deeper body would exhaust the stack of
 *   every recursive reader after the parser (validator, canonicalizer). Counted on the text, before JSON.parse.
 * - Strings (and keys) must be well-formed Unicode: JSON allows a lone surrogate escape (`"\ud800"`, RFC 8259 §8.2
 *   calls its behaviour unpredictable) but it is not a Unicode scalar value, so it has no UTF-8 form and PostgreSQL's
 *   jsonb refuses it; U+0000 is refused too (PostgreSQL text cannot hold it, and FHIR strings exclude code points below
 *   U+0020 other than tab, CR and LF: FHIR R4 datatypes.html#string).
 */
import { outcomes } from './outcome';

export const MAX_JSON_DEPTH = 100;

/** Deepest nesting of arrays and objects in JSON text, stopping as soon as it exceeds `limit`. */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote (native indexOf; most of a FHIR body's text is in strings).
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false; // unterminated: JSON.parse refuses it
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Whether the character at `at` is escaped: preceded by an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) n++;
  return n % 2 === 1;
}

/**
 * Text that may hold a string parseLimitedJson refuses: a surrogate or U+0000, as itself or as a `\u` escape. Text
 * decoded from UTF-8 holds neither literally, so for almost every body one native scan replaces a walk of the value.
 */
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]|\\u(?:0000|[dD][89abcdefABCDEF])/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badString(s: string): string | undefined {
  if (LONE_SURROGATE.test(s)) return 'holds a lone surrogate (\\uD800-\\uDFFF unpaired), which is not Unicode text';
  if (s.includes('\u0000')) return 'holds U+0000, which FHIR strings exclude';
  return undefined;
}

const pathOf = (keys: (string | number)[]): string => keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/** The first string or key of a parsed value that cannot be stored as text, with its path; undefined if none. */
export function unstorableString(value: unknown): { path: string; problem: string } | undefined {
  const keys: (string | number)[] = [];
  const walk = (v: unknown): { path: string; problem: string } | undefined => {
    if (typeof v === 'string') {
      const problem = badString(v);
      return problem ? { path: pathOf(keys), problem } : undefined;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        keys.push(i);
        const r = walk(v[i]);
        keys.pop();
        if (r) return r;
      }
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        keys.push(k);
        const problem = badString(k);
        const r = problem ? { path: pathOf(keys.slice(0, -1)), problem: `is a key that ${problem}` } : walk(x);
        keys.pop();
        if (r) return r;
      }
    }
    return undefined;
  };
  return walk(value);
}

/** JSON.parse with the limits above; every refusal is a 400 naming the problem. */
export function parseLimitedJson(text: string): unknown {
  if (jsonDepthExceeds(text)) {
    throw outcomes.tooComplex(`the JSON is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw outcomes.structure('the request body is not valid JSON');
  }
  const bad = MAYBE_UNSTORABLE.test(text) ? unstorableString(value) : undefined;
  if (bad) {
    const type = (value as { resourceType?: unknown }).resourceType;
    const path = typeof type === 'string' && /^[A-Z][A-Za-z]{0,63}$/.test(type) && bad.path ? `${type}.${bad.path}` : bad.path;
    throw outcomes.invalid(`the value at ${path || 'the root'} ${bad.problem}`, path || undefined);
  }
  return value;
}
