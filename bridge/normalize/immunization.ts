/** Immunization → one `immunization` row: vaccine code (CVX preferred), occurrence, dose, lot, route, site. */
import type { Immunization } from '@medplum/fhirtypes';
import { conceptCode, conceptLabel } from './codes';
import { baseRow, notesText, quantityValue, refString } from './common';
import { fhirTimeRange } from './time';
import type { ImmunizationRow } from './types';

export function normalizeImmunization(r: Immunization): ImmunizationRow[] {
  // occurrenceString ("last spring") has no date: it goes to text.
  const time = fhirTimeRange(r.occurrenceDateTime);
  const text = notesText(r.note) ?? r.occurrenceString ?? r.vaccineCode?.text ?? null;
  return [
    {
      ...baseRow('Immunization', 'immunization', r.status, r.vaccineCode, time, text),
      ...(r.doseQuantity ? quantityValue(r.doseQuantity) : {}),
      domain: 'immunization',
      primarySource: typeof r.primarySource === 'boolean' ? r.primarySource : null,
      lotNumber: r.lotNumber ?? null,
      route: conceptLabel(r.route),
      site: conceptLabel(r.site),
      statusReason: conceptCode(r.statusReason),
      encounterRef: refString(r.encounter),
    },
  ];
}
