/** Procedure → one `procedure` row: code (SNOMED, then CPT/HCPCS), performed[x] span, body site, outcome. */
import type { Procedure } from '@medplum/fhirtypes';
import { conceptCode, conceptLabel } from './codes';
import { baseRow, notesText, refString } from './common';
import { choiceRange } from './time';
import type { ProcedureRow } from './types';

export function normalizeProcedure(r: Procedure): ProcedureRow[] {
  const time = choiceRange(r.performedDateTime, r.performedPeriod);
  const text = notesText(r.note) ?? r.performedString ?? r.code?.text ?? null;
  return [
    {
      ...baseRow('Procedure', 'procedure', r.status, r.code, time, text),
      domain: 'procedure',
      category: conceptCode(r.category),
      bodySite: conceptLabel(r.bodySite?.[0]),
      outcome: conceptLabel(r.outcome),
      reasonCode: conceptCode(r.reasonCode?.[0]),
      encounterRef: refString(r.encounter),
    },
  ];
}
