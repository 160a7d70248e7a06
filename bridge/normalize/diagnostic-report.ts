/** DiagnosticReport → one `diagnostic_report` row: report code, effective span, conclusion, result references. */
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { conceptCode } from './codes';
import { baseRow, refString } from './common';
import { choiceRange, fhirTimeRange } from './time';
import type { DiagnosticReportRow } from './types';

export function normalizeDiagnosticReport(r: DiagnosticReport): DiagnosticReportRow[] {
  const time = choiceRange(r.effectiveDateTime, r.effectivePeriod);
  const results = (r.result ?? []).map(refString).filter((x): x is string => x !== null);
  return [
    {
      ...baseRow('DiagnosticReport', 'diagnostic_report', r.status, r.code, time, r.conclusion ?? r.code?.text ?? null),
      domain: 'diagnostic_report',
      category: conceptCode(r.category?.[0]),
      issuedTime: fhirTimeRange(r.issued).start,
      resultRefs: results.length ? results : null,
      encounterRef: refString(r.encounter),
    },
  ];
}
