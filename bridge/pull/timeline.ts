/** `/patients/{id}/history`: the universal-schema timeline as JSON (pure). */
import type { PersonAccess } from '../access/types';
import type { Proof } from '../log/proof';
import type { PatientDemographics, TimelineFact } from '../store/pull';

export interface TimelineEvent {
  domain: string;
  resourceType: string;
  resourceId: string;
  componentIndex?: number;
  status: string | null;
  code: { system: string | null; code: string; display: string | null } | null;
  originalCodes: unknown;
  value: {
    type: string | null;
    /** In the canonical UCUM unit (`unit`) when `unitStatus` is `converted`. */
    num: number | null;
    unit: string | null;
    unitStatus: string | null;
    comparator: string | null;
    text: string | null;
    code: { system: string | null; code: string; display: string | null } | null;
    original: { value: string | null; unit: string | null };
  } | null;
  text: string | null;
  start: string | null;
  end: string | null;
  clinic: { id: string; name: string };
  patientId: string | null;
  /** `0x` hex SHA-256 of the bundle that wrote the current version of the source resource: look up its anchor receipt. */
  bundleHash: string | null;
  /** Version of the source resource the event was made from (null when the bridge runs no log). */
  version?: number | null;
  /** With `_proofs=true`: that version's `fhir-anchor-proof/1` (or `{pending: true}`, or null). */
  proof?: Proof | { pending: true } | null;
}

export interface Timeline {
  /** `id`, the internal person id, only for a caller holding consented access to another clinic's record of the person. */
  person: { id?: string; patients: (PatientDemographics & { basis: string })[] };
  events: TimelineEvent[];
}

function event(f: TimelineFact): TimelineEvent {
  const hasValue = f.valueType !== null || f.valueNum !== null || f.valueText !== null || f.valueCode !== null;
  return {
    domain: f.domain,
    resourceType: f.resourceType,
    resourceId: f.resourceId,
    ...(f.componentIndex !== null && f.componentIndex !== undefined ? { componentIndex: f.componentIndex } : {}),
    status: f.status,
    code: f.code ? { system: f.codeSystem, code: f.code, display: f.codeDisplay } : null,
    originalCodes: f.originalCodes,
    value: hasValue
      ? {
          type: f.valueType,
          num: f.valueNum,
          unit: f.valueUnit,
          unitStatus: f.unitStatus,
          comparator: f.valueComparator,
          text: f.valueText,
          code: f.valueCode ? { system: f.valueCodeSystem, code: f.valueCode, display: f.valueCodeDisplay } : null,
          original: { value: f.valueOrig, unit: f.unitOrig },
        }
      : null,
    text: f.text,
    start: f.startTime,
    end: f.endTime,
    clinic: { id: f.clinicId, name: f.clinicName },
    patientId: f.patientId,
    bundleHash: f.bundleHash,
  };
}

export function timeline(access: PersonAccess, patients: PatientDemographics[], facts: TimelineFact[]): Timeline {
  const basis = new Map(access.patients.map((p) => [p.patientId, p.basis]));
  return {
    person: {
      ...(access.patients.some((p) => p.basis === 'consent') ? { id: access.personId } : {}),
      patients: patients.map((p) => ({ ...p, basis: basis.get(p.id) ?? 'own' })),
    },
    events: facts.map(event),
  };
}
