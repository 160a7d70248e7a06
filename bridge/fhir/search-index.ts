import type { Resource } from '@medplum/fhirtypes';
import { fhirTimeRange } from '../normalize/time';
import { patientRefOf } from '../normalize';
import { searchValues, type SearchValues } from './search-values';

/** What search and the timeline need of a resource, extracted once at write time (pure). */
export interface SearchIndex {
  /** The values of its R4 search parameters (search-values.ts). */
  values: SearchValues;
  /** Its clinically relevant time (the timeline's order and range; not a search parameter). */
  dateStart: string | null;
  dateEnd: string | null;
  /** Bridge id of the Patient whose compartment holds the resource. */
  patientId: string | null;
}

type Json = Record<string, unknown>;

/** Elements holding the clinically relevant time, in preference order (the timeline's date). */
const DATE_ELEMENTS = [
  'effectiveDateTime',
  'effectivePeriod',
  'effectiveInstant',
  'onsetDateTime',
  'onsetPeriod',
  'performedDateTime',
  'performedPeriod',
  'occurrenceDateTime',
  'period',
  'authoredOn',
  'recordedDate',
  'billablePeriod',
  'date',
  'issued',
  'created',
  'birthDate',
  'dateTime',
];

/** FHIR date/dateTime/instant → [start, end] UTC instants (a partial date covers its whole year/month/day). */
export function dateRange(value: string): [string, string] | null {
  const r = fhirTimeRange(value);
  return r.start && r.end ? [r.start, r.end] : null;
}

function dates(resource: Json): [string | null, string | null] {
  for (const element of DATE_ELEMENTS) {
    const v = resource[element];
    if (typeof v === 'string') {
      const r = dateRange(v);
      if (r) return r;
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const p = v as { start?: string; end?: string };
      const s = p.start ? dateRange(p.start) : null;
      const e = p.end ? dateRange(p.end) : null;
      if (s || e) return [s?.[0] ?? null, e?.[1] ?? null];
    }
  }
  return [null, null];
}

/** Index entries of a resource whose references already point at bridge ids. */
export function searchIndex(resource: Resource, canonicalSystem: (s: string) => string = (s) => s): SearchIndex {
  const [dateStart, dateEnd] = dates(resource as unknown as Json);
  return { values: searchValues(resource, canonicalSystem), dateStart, dateEnd, patientId: patientRefOf(resource) };
}
