/**
 * Content negotiation and preferences of FHIR REST requests (R4 http.html#mime-type, http.html#ops). Pure.
 * The bridge speaks JSON only: `_format` (which overrides Accept) or an Accept that admits no JSON type is 406.
 */

/** `_format` values and media types that name FHIR JSON (R4 lists json, application/json, application/fhir+json; DSTU2 clients send application/json+fhir). */
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);
/** Media ranges of an Accept header that a JSON answer satisfies. */
const JSON_RANGES = new Set(['*/*', 'application/*', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);

/** The media type of a format or media range without its parameters (`application/fhir+json; fhirVersion=4.0`), lowercased. */
const bare = (value: string): string => value.split(';')[0].trim().toLowerCase();

/** q of a media range (RFC 9110 §12.4.2): 1 when absent, 0 for a range the client refuses. */
function quality(range: string): number {
  const q = range
    .split(';')
    .slice(1)
    .map((p) => p.trim().split('='))
    .find(([k]) => k.trim().toLowerCase() === 'q');
  const n = q ? Number(q[1]) : 1;
  return Number.isFinite(n) ? n : 1;
}

/** Bulk Data export files are NDJSON (Bulk Data Access IG: the client asks with Accept: application/fhir+ndjson). */
export const NDJSON_RANGES = ['application/fhir+ndjson', 'application/ndjson', 'application/x-ndjson'];

/** null when a JSON answer (or one of `also`, media types the path serves) is acceptable, else what was asked for (for the 406's message). */
export function unacceptableFormat(format: string | undefined, accept: string | undefined, also: readonly string[] = []): string | null {
  if (format !== undefined) return JSON_FORMATS.has(bare(format)) ? null : `_format=${format}`;
  if (!accept?.trim()) return null;
  const ranges = accept.split(',').filter((r) => r.trim());
  return ranges.some((r) => quality(r) > 0 && (JSON_RANGES.has(bare(r)) || also.includes(bare(r)))) ? null : `Accept: ${accept}`;
}

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

/** `Prefer: return=…` (RFC 7240; R4 http.html#ops): undefined when absent or unknown (the default, representation, applies). */
export function returnPreference(prefer: string | undefined): ReturnPreference | undefined {
  for (const pref of (prefer ?? '').split(',')) {
    const [name, value] = pref
      .split(';')[0]
      .split('=')
      .map((s) => s.trim().replace(/^"|"$/g, ''));
    if (name?.toLowerCase() !== 'return' || !value) continue;
    const v = value.toLowerCase();
    if (v === 'minimal') return 'minimal';
    if (v === 'representation') return 'representation';
    if (v === 'operationoutcome') return 'OperationOutcome';
  }
  return undefined;
}
