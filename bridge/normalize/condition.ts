/** Condition → one `condition` row: SNOMED preferred, onset/abatement as the time span, statuses as codes. */
import type { Condition } from '@medplum/fhirtypes';
import { conceptCode, conceptLabel } from './codes';
import { baseRow, notesText, refString } from './common';
import { choiceRange, fhirTimeRange, type TimeRange } from './time';
import type { ConditionRow } from './types';

/** onset[x] / abatement[x] that are not datable (Age, Range, string) as readable text. */
function ageOrText(age?: { value?: number; unit?: string }, range?: { low?: { value?: number }; high?: { value?: number } }, s?: string): string | null {
  if (typeof s === 'string') return s;
  if (age && age.value !== undefined) return `age ${age.value}${age.unit ? ' ' + age.unit : ''}`;
  if (range) return `age ${range.low?.value ?? ''}-${range.high?.value ?? ''}`;
  return null;
}

export function normalizeCondition(r: Condition): ConditionRow[] {
  const onset = choiceRange(r.onsetDateTime, r.onsetPeriod);
  const abatement: TimeRange = choiceRange(r.abatementDateTime, r.abatementPeriod);
  // The condition's span runs from the start of onset to the end of abatement (open while active).
  const time = { start: onset.start, end: abatement.end };
  return [
    {
      ...baseRow('Condition', 'condition', conceptCode(r.clinicalStatus), r.code, time, notesText(r.note) ?? r.code?.text ?? null),
      domain: 'condition',
      clinicalStatus: conceptCode(r.clinicalStatus),
      verificationStatus: conceptCode(r.verificationStatus),
      category: conceptCode(r.category?.[0]),
      severity: conceptLabel(r.severity),
      bodySite: conceptLabel(r.bodySite?.[0]),
      onsetText: ageOrText(r.onsetAge, r.onsetRange, r.onsetString),
      abatementText: ageOrText(r.abatementAge, r.abatementRange, r.abatementString),
      recordedTime: fhirTimeRange(r.recordedDate).start,
      encounterRef: refString(r.encounter),
    },
  ];
}
