import { FhirError } from '../../../bridge/fhir/outcome';
import { checkCodes } from '../../../bridge/fhir/terminology';
import { validateBundle } from '../../../bridge/fhir/validate';

const where = (fn: () => unknown): (string | undefined)[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FhirError) return err.issues.map((i) => i.expression);
    throw err;
  }
  return [];
};

test('required codes the structural validator lets through are checked', () => {
  expect(checkCodes({ resourceType: 'Patient', gender: 'robot' } as never, 'Bundle.entry[0].resource').map((i) => i.expression)).toEqual([
    'Bundle.entry[0].resource.gender',
  ]);
  expect(checkCodes({ resourceType: 'Observation', status: 'final' } as never, 'Observation')).toEqual([]);
  const cond = {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'gone' }] },
  };
  expect(checkCodes(cond as never, 'Condition').map((i) => i.expression)).toEqual(['Condition.clinicalStatus.coding[0].code']);
  const local = { resourceType: 'Condition', clinicalStatus: { coding: [{ system: 'http://local', code: 'gone' }] } };
  expect(checkCodes(local as never, 'Condition')).toEqual([]);
});

test('bundle validation names structure, type and code problems with their FHIRPath', () => {
  expect(where(() => validateBundle({ resourceType: 'Bundle', type: 'nope' }))).toEqual(['Bundle.type']);
  expect(where(() => validateBundle({ resourceType: 'Patient' }))).toEqual(['resourceType']);
  expect(where(() => validateBundle([]))).toEqual([undefined]);
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        resource: {
          resourceType: 'Patient',
          birthDate: 'soon',
          gender: 'x',
          contained: [{ resourceType: 'Observation', status: 'maybe', code: { text: 'c' } }],
        },
      },
    ],
  };
  expect(where(() => validateBundle(bundle)).sort()).toEqual([
    'Bundle.entry[0].resource.birthDate',
    'Bundle.entry[0].resource.contained[0].status',
    'Bundle.entry[0].resource.gender',
  ]);
});

test('in a batch, an entry problem is returned for that entry instead of thrown', () => {
  const { entryIssues } = validateBundle({
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
    ],
  });
  expect([...entryIssues.keys()]).toEqual([0]);
});

test('a malformed primitive extension is a 400 naming the problem, not a server error', () => {
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', _birthDate: 'not an object' } }] };
  let caught: unknown;
  try {
    validateBundle(bundle);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FhirError);
  expect((caught as FhirError).status).toBe(400);
  expect((caught as FhirError).issues[0].diagnostics).toMatch(/primitive extension/i);
});
