/**
 * Observation → `observation` rows. Decision: each component (e.g. systolic / diastolic of a blood pressure
 * panel) becomes its own row with `componentIndex` 0..n and the component's code and value, sharing the
 * parent's status, category and time; the parent row (componentIndex null) is always emitted too.
 * Rows are thus queryable by the component's LOINC code (8480-6) as OMOP does, and the parent keeps the panel code.
 */
import type { Observation, ObservationReferenceRange } from '@medplum/fhirtypes';
import { conceptCode } from './codes';
import { baseRow, notesText, refString, valueX, type HasValueX } from './common';
import { choiceRange, fhirTimeRange } from './time';
import { toCanonicalQuantity } from './units';
import type { ObservationRow, ValueFields } from './types';

/** Observation category code, preferring the THO observation-category system (vital-signs, laboratory …). */
export function observationCategory(r: Observation): string | null {
  for (const cat of r.category ?? []) {
    for (const c of cat?.coding ?? []) {
      if (c?.code && /observation-category$/.test(c.system ?? '')) return c.code;
    }
  }
  return conceptCode(r.category?.[0]);
}

/** Reference range bounds converted with the same rule as the value (so they compare to value_num). */
function refRange(ranges: ObservationReferenceRange[] | undefined, v: ValueFields): { low: number | null; high: number | null } {
  const rr = ranges?.[0];
  const conv = (q?: { value?: number; code?: string; unit?: string; system?: string }): number | null => {
    if (!q || q.value === undefined) return null;
    const c = toCanonicalQuantity(q.value, q.code ?? q.unit ?? v.unitOrig, q.system);
    return c.unit === v.valueUnit ? c.value : null;
  };
  return { low: conv(rr?.low), high: conv(rr?.high) };
}

export function normalizeObservation(r: Observation): ObservationRow[] {
  const time = choiceRange(r.effectiveDateTime ?? r.effectiveInstant, r.effectivePeriod);
  const shared = {
    domain: 'observation' as const,
    category: observationCategory(r),
    issuedTime: fhirTimeRange(r.issued).start,
    encounterRef: refString(r.encounter),
  };
  const row = (
    concept: Observation['code'] | undefined,
    e: HasValueX & {
      interpretation?: Observation['interpretation'];
      referenceRange?: ObservationReferenceRange[];
      dataAbsentReason?: Observation['dataAbsentReason'];
    },
    index: number | null,
    text: string | null,
  ): ObservationRow => {
    const value = valueX(e);
    const range = refRange(e.referenceRange, value);
    return {
      ...baseRow('Observation', 'observation', r.status, concept, time, text),
      ...value,
      ...shared,
      componentIndex: index,
      interpretation: conceptCode(e.interpretation?.[0]),
      refLow: range.low,
      refHigh: range.high,
      dataAbsentReason: conceptCode(e.dataAbsentReason),
    };
  };
  const rows = [row(r.code, r, null, notesText(r.note) ?? r.code?.text ?? null)];
  (r.component ?? []).forEach((c, i) => {
    if (c) rows.push(row(c.code, c, i, c.code?.text ?? null));
  });
  return rows;
}
