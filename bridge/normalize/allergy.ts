/** AllergyIntolerance → one `allergy` row: substance code, statuses, criticality, reactions as JSON. */
import type { AllergyIntolerance } from '@medplum/fhirtypes';
import { conceptCode, pickCoding } from './codes';
import { baseRow, notesText } from './common';
import { choiceRange, fhirTimeRange } from './time';
import type { AllergyReaction, AllergyRow, NormalizedCode } from './types';

function code(c: Parameters<typeof pickCoding>[0]): NormalizedCode | null {
  if (!c) return null;
  const p = pickCoding(c, 'allergy');
  return { system: p.system, code: p.code, display: p.display };
}

export function normalizeAllergy(r: AllergyIntolerance): AllergyRow[] {
  const reactions: AllergyReaction[] = (r.reaction ?? []).map((x) => ({
    substance: code(x.substance),
    manifestations: (x.manifestation ?? []).map(code).filter((m): m is NormalizedCode => m !== null),
    severity: x.severity ?? null,
    onset: fhirTimeRange(x.onset).start,
    description: x.description ?? null,
  }));
  const clinical = conceptCode(r.clinicalStatus);
  return [
    {
      ...baseRow('AllergyIntolerance', 'allergy', clinical, r.code, choiceRange(r.onsetDateTime, r.onsetPeriod), notesText(r.note) ?? r.code?.text ?? null),
      domain: 'allergy',
      clinicalStatus: clinical,
      verificationStatus: conceptCode(r.verificationStatus),
      allergyType: r.type ?? null,
      category: r.category?.length ? r.category.join(',') : null,
      criticality: r.criticality ?? null,
      reactions: reactions.length ? reactions : null,
      recordedTime: fhirTimeRange(r.recordedDate).start,
    },
  ];
}
