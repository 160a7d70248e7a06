/** Encounter → one `encounter` row: type as code, class, period, first reason, discharge disposition. */
import type { Encounter } from '@medplum/fhirtypes';
import { conceptCode, conceptLabel, normalizeCoding, pickCoding } from './codes';
import { baseRow, refString } from './common';
import { periodRange } from './time';
import type { EncounterRow } from './types';

export function normalizeEncounter(r: Encounter): EncounterRow[] {
  // Encounter.type is a list; the first typed concept is the encounter's code (Synthea sends exactly one).
  const type = (r.type ?? []).find((t) => t?.coding?.length) ?? r.type?.[0];
  const reason = pickCoding((r.reasonCode ?? [])[0], 'condition');
  const cls = normalizeCoding(r.class);
  return [
    {
      ...baseRow('Encounter', 'encounter', r.status, type, periodRange(r.period), type?.text ?? null),
      domain: 'encounter',
      classSystem: cls?.system ?? null,
      classCode: cls?.code ?? null,
      classDisplay: cls?.display ?? null,
      serviceType: conceptLabel(r.serviceType),
      reasonCodeSystem: reason.system,
      reasonCode: reason.code,
      reasonDisplay: reason.display,
      dischargeDisposition: conceptCode(r.hospitalization?.dischargeDisposition),
      serviceProviderRef: refString(r.serviceProvider),
    },
  ];
}
