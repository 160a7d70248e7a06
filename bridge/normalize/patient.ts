/** Patient → demographics for the `patient` table (owned by the core schema): identifiers, name, birth date, gender. */
import type { HumanName, Patient } from '@medplum/fhirtypes';
import { canonicalSystem } from './codes';
import type { PatientDemographics, PatientIdentifier } from './types';

/** The name to index: official, else usual, else the first one that is not old/maiden. */
function mainName(names: HumanName[] | undefined): HumanName | undefined {
  const ns = (names ?? []).filter(Boolean);
  return (
    ns.find((n) => n.use === 'official') ??
    ns.find((n) => n.use === 'usual') ??
    ns.find((n) => n.use !== 'old' && n.use !== 'maiden') ??
    ns[0]
  );
}

export function normalizePatient(r: Patient): PatientDemographics {
  const identifiers: PatientIdentifier[] = [];
  const seen = new Set<string>();
  for (const id of r.identifier ?? []) {
    if (!id?.value) continue;
    const system = canonicalSystem(id.system);
    const key = `${system ?? ''}|${id.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    identifiers.push({ system, value: id.value });
  }
  const name = mainName(r.name);
  return {
    identifiers,
    family: name?.family ?? null,
    given: (name?.given ?? []).filter((g): g is string => typeof g === 'string'),
    birthDate: r.birthDate ?? null,
    gender: r.gender ?? null,
  };
}
