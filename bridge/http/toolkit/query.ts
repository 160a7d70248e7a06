import { isResourceType } from '../../fhir/resource-types';
import { outcomes } from '../../fhir/outcome';
import { fhirTimeRange } from '../../normalize/time';

/** Parameters every FHIR interaction accepts and the bridge answers in JSON regardless (R4 http.html#parameters). */
const ALWAYS_ALLOWED = ['_format', '_pretty'];

/**
 * One reader for the query string of a request: names outside `allowed` are refused (400 not-supported, never
 * silently ignored), a parameter given twice is refused unless read with `all`, and each typed getter refuses a
 * malformed value with a 400 whose expression names the parameter.
 *
 *   const q = readQuery(req.query, ['patient', '_count', '_offset'], 'AuditEvent search');
 *   const count = q.int('_count', { min: 0, max: 1000, fallback: 50 });
 */
export function readQuery(query: Record<string, unknown>, allowed: readonly string[], what: string): QueryReader {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name) && !ALWAYS_ALLOWED.includes(name)) {
      throw outcomes.notSupported(`${what} does not support the parameter "${name}"; supported: ${allowed.join(', ') || 'none'}`, name);
    }
  }
  return new QueryReader(query);
}

export class QueryReader {
  constructor(private readonly query: Record<string, unknown>) {}

  /** Every value of `name`, in order (repeated parameters are AND-ed in FHIR search). */
  all(name: string): string[] {
    const v = this.query[name];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : String(x)));
  }

  /** The single value of `name`, or undefined; 400 when it is given more than once. */
  string(name: string): string | undefined {
    const v = this.query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw outcomes.invalid(`${name} must be given once`, name);
    return v;
  }

  /** As `string`, 400 when absent or empty. */
  required(name: string, hint = ''): string {
    const v = this.string(name);
    if (!v) throw outcomes.required(`the parameter ${name} is required${hint ? `: ${hint}` : ''}`, name);
    return v;
  }

  /** A decimal integer in [min, max]; `fallback` when absent. */
  int(name: string, range: { min: number; max: number; fallback: number }): number {
    const v = this.string(name);
    if (v === undefined) return range.fallback;
    if (!/^\d+$/.test(v) || Number(v) < range.min || Number(v) > range.max) {
      throw outcomes.invalid(`${name} must be an integer from ${range.min} to ${range.max}`, name);
    }
    return Number(v);
  }

  /** As `int`, but a value above `max` is served as `max` (FHIR lets the server choose its page size: `_count`). */
  count(name: string, range: { max: number; fallback: number }): number {
    const v = this.string(name);
    if (v === undefined) return range.fallback;
    if (!/^\d+$/.test(v)) throw outcomes.invalid(`${name} must be a non-negative integer`, name);
    return Math.min(Number(v), range.max);
  }

  /** A FHIR date, dateTime or instant read as the start (`'start'`) or end (`'end'`) of the range it denotes, in UTC. */
  instant(name: string, edge: 'start' | 'end' = 'start'): string | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const at = fhirTimeRange(v)[edge];
    if (!at) throw outcomes.invalid(`${name} must be a FHIR date, dateTime or instant, e.g. 2024-01-01T00:00:00Z`, name);
    return at;
  }

  /** A comma-separated list of FHIR R4 resource types (`_type=A,B`). */
  types(name: string): string[] | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const types = v
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    for (const t of types) if (!isResourceType(t)) throw outcomes.invalid(`${name}: "${t}" is not a FHIR R4 resource type`, name);
    return types.length ? types : undefined;
  }

  /** One of `choices`. */
  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(choices as readonly string[]).includes(v)) throw outcomes.invalid(`${name} must be one of ${choices.join(', ')}`, name);
    return v as T;
  }
}
