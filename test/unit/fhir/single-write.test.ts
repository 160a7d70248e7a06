import { FhirError } from '../../../bridge/fhir/outcome';
import { asResourceIssues, singleWriteBundle } from '../../../bridge/fhir/single-write';

const patient = { resourceType: 'Patient', id: 'p1', gender: 'female' };
const status = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof FhirError ? err.status : -1;
  }
  return undefined;
};

test('each RESTful write becomes exactly one transaction entry', () => {
  expect(singleWriteBundle({ method: 'POST', type: 'Patient', resource: patient, ifNoneExist: 'identifier=s|v' })).toEqual({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: patient, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=s|v' } }],
  });
  expect(singleWriteBundle({ method: 'PUT', type: 'Patient', id: 'p1', resource: patient }).entry?.[0].request).toEqual({ method: 'PUT', url: 'Patient/p1' });
  expect(singleWriteBundle({ method: 'PUT', type: 'Patient', criteria: 'identifier=s|v', resource: patient }).entry?.[0].request).toEqual({
    method: 'PUT',
    url: 'Patient?identifier=s|v',
  });
  expect(singleWriteBundle({ method: 'DELETE', type: 'Patient', id: 'p1' }).entry).toEqual([{ request: { method: 'DELETE', url: 'Patient/p1' } }]);
  expect(singleWriteBundle({ method: 'DELETE', type: 'Patient', criteria: 'identifier=s|v' }).entry?.[0].request?.url).toBe('Patient?identifier=s|v');
});

test('a request that contradicts itself is a 400', () => {
  expect(status(() => singleWriteBundle({ method: 'POST', type: 'Observation', resource: patient }))).toBe(400);
  expect(status(() => singleWriteBundle({ method: 'POST', type: 'Patient', resource: [patient] }))).toBe(400);
  expect(status(() => singleWriteBundle({ method: 'PUT', type: 'Patient', id: 'p2', resource: patient }))).toBe(400);
  expect(status(() => singleWriteBundle({ method: 'PUT', type: 'Patient', id: 'p1', resource: { resourceType: 'Patient' } }))).toBe(400);
  expect(status(() => singleWriteBundle({ method: 'PUT', type: 'Patient', resource: patient }))).toBe(400);
  expect(status(() => singleWriteBundle({ method: 'DELETE', type: 'Patient' }))).toBe(400);
});

test('problems are located in the resource as sent', () => {
  expect(
    asResourceIssues(
      [
        { code: 'value', diagnostics: 'x', expression: 'Bundle.entry[0].resource.birthDate' },
        { code: 'value', diagnostics: 'y', expression: 'Bundle.entry[0].request.url' },
        { code: 'value', diagnostics: 'z' },
      ],
      'Patient',
    ).map((i) => i.expression),
  ).toEqual(['Patient.birthDate', 'Bundle.entry[0].request.url', undefined]);
});
