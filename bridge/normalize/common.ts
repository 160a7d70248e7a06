/** Helpers shared by the domain normalizers: value[x], references, notes, row skeletons. */
import type { Annotation, CodeableConcept, Quantity, Range, Ratio, Reference } from '@medplum/fhirtypes';
import { pickCoding } from './codes';
import { fhirTimeRange } from './time';
import { toCanonicalQuantity } from './units';
import type { ClinicalBase, Domain, ValueFields } from './types';

export const NO_VALUE: Readonly<ValueFields> = Object.freeze({
  valueType: null,
  valueNum: null,
  valueUnit: null,
  valueOrig: null,
  unitOrig: null,
  unitStatus: null,
  valueComparator: null,
  valueText: null,
  valueCodeSystem: null,
  valueCode: null,
  valueCodeDisplay: null,
  valueJson: null,
});

/** Base columns for a row: status, picked code, time span, text; value columns empty. */
export function baseRow(
  resourceType: string,
  domain: Domain,
  status: string | null | undefined,
  concept: CodeableConcept | null | undefined,
  time: { start: string | null; end: string | null },
  text: string | null,
): ClinicalBase {
  const code = pickCoding(concept, domain);
  return {
    ...NO_VALUE,
    resourceType,
    status: status ?? null,
    codeSystem: code.system,
    code: code.code,
    codeDisplay: code.display,
    originalCodes: code.originalCodes,
    startTime: time.start,
    endTime: time.end,
    text,
  };
}

/** A Quantity as value columns (canonical + original). */
export function quantityValue(q: Quantity | null | undefined, valueType = 'Quantity'): ValueFields {
  if (!q) return { ...NO_VALUE };
  const c = toCanonicalQuantity(q.value, q.code ?? q.unit, q.system);
  return {
    ...NO_VALUE,
    valueType,
    valueNum: c.value,
    valueUnit: c.unit,
    valueOrig: c.valueOrig,
    unitOrig: c.unitOrig,
    unitStatus: c.status,
    valueComparator: q.comparator ?? null,
    valueText: c.valueOrig === null ? null : [q.comparator, c.valueOrig, q.unit ?? q.code].filter((x) => x != null).join(' '),
  };
}

/** Canonical JSON form of a Quantity inside Range/Ratio value_json. */
function quantityJson(q: Quantity | undefined): Record<string, unknown> | null {
  if (!q) return null;
  const c = toCanonicalQuantity(q.value, q.code ?? q.unit, q.system);
  return { value: c.value, unit: c.unit, valueOrig: c.valueOrig, unitOrig: c.unitOrig, status: c.status };
}

/** Any element carrying value[x] (Observation, Observation.component). */
export interface HasValueX {
  valueQuantity?: Quantity;
  valueCodeableConcept?: CodeableConcept;
  valueString?: string;
  valueBoolean?: boolean;
  valueInteger?: number;
  valueRange?: Range;
  valueRatio?: Ratio;
  valueSampledData?: { data?: string; origin?: Quantity; period?: number; dimensions?: number };
  valueTime?: string;
  valueDateTime?: string;
  valuePeriod?: { start?: string; end?: string };
}

/** value[x] of every R4 type → value columns. */
export function valueX(e: HasValueX): ValueFields {
  if (e.valueQuantity) return quantityValue(e.valueQuantity);
  if (e.valueCodeableConcept) {
    const c = pickCoding(e.valueCodeableConcept);
    return {
      ...NO_VALUE,
      valueType: 'CodeableConcept',
      valueText: c.display,
      valueCodeSystem: c.system,
      valueCode: c.code,
      valueCodeDisplay: c.display,
      valueJson: c.originalCodes,
    };
  }
  if (typeof e.valueString === 'string') return { ...NO_VALUE, valueType: 'string', valueText: e.valueString };
  if (typeof e.valueBoolean === 'boolean') return { ...NO_VALUE, valueType: 'boolean', valueText: String(e.valueBoolean) };
  if (typeof e.valueInteger === 'number') {
    const n = e.valueInteger;
    return { ...NO_VALUE, valueType: 'integer', valueNum: n, valueOrig: n, valueText: String(n), unitStatus: 'no_unit' };
  }
  if (e.valueRange) {
    const low = quantityJson(e.valueRange.low);
    const high = quantityJson(e.valueRange.high);
    const text = [e.valueRange.low?.value ?? '', e.valueRange.high?.value ?? ''].join('-');
    return { ...NO_VALUE, valueType: 'Range', valueText: text, valueJson: { low, high } };
  }
  if (e.valueRatio) {
    const n = e.valueRatio.numerator;
    const d = e.valueRatio.denominator;
    const text = `${n?.value ?? ''}${n?.unit ? ' ' + n.unit : ''}:${d?.value ?? ''}${d?.unit ? ' ' + d.unit : ''}`;
    return { ...NO_VALUE, valueType: 'Ratio', valueText: text, valueJson: { numerator: quantityJson(n), denominator: quantityJson(d) } };
  }
  if (e.valueSampledData) {
    const { data: _data, ...meta } = e.valueSampledData;
    return { ...NO_VALUE, valueType: 'SampledData', valueText: e.valueSampledData.data ?? null, valueJson: meta };
  }
  if (typeof e.valueTime === 'string') return { ...NO_VALUE, valueType: 'time', valueText: e.valueTime };
  if (typeof e.valueDateTime === 'string') {
    return { ...NO_VALUE, valueType: 'dateTime', valueText: e.valueDateTime, valueJson: fhirTimeRange(e.valueDateTime) };
  }
  if (e.valuePeriod) {
    const p = e.valuePeriod;
    const json = { start: fhirTimeRange(p.start).start, end: fhirTimeRange(p.end).end };
    return { ...NO_VALUE, valueType: 'Period', valueText: `${p.start ?? ''}/${p.end ?? ''}`, valueJson: json };
  }
  return { ...NO_VALUE };
}

/** Reference as sent (`Type/id`, `#contained`, or display when there is no reference). */
export function refString(r: Reference | null | undefined): string | null {
  return r?.reference ?? null;
}

/** Bridge id from `Patient/<id>` (optionally `/_history/<v>`); other forms are not a patient id. */
export function patientIdFrom(r: Reference | null | undefined): string | null {
  const m = /^Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(r?.reference ?? '');
  return m ? m[1] : null;
}

/** Notes joined by blank lines, or null. */
export function notesText(notes: Annotation[] | null | undefined): string | null {
  const parts = (notes ?? []).map((n) => n?.text).filter((t): t is string => typeof t === 'string' && t !== '');
  return parts.length ? parts.join('\n\n') : null;
}

/** First non-null of a list of candidates (`??` across many). */
export function first<T>(...xs: Array<T | null | undefined>): T | null {
  for (const x of xs) if (x !== null && x !== undefined) return x;
  return null;
}
