import type { Bundle } from '@medplum/fhirtypes';
import { matchLocks } from '../../../bridge/fhir/match-locks';
import { planBundle } from '../../../bridge/fhir/plan';

const plan = (entry: unknown[]) => planBundle({ resourceType: 'Bundle', type: 'transaction', entry } as Bundle, 100).entries;
const keys = (entry: unknown[]): string[] =>
  matchLocks(plan(entry))
    .map((l) => `${l.resourceType} ${l.key} ${l.exclusive ? 'x' : 's'}`)
    .sort();
const patient = (value: string, extra: object = {}) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value }], ...extra });

test('conditional creates lock their criteria and the identifiers they write', () => {
  expect(keys([{ resource: patient('1'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:mrn|1' } }])).toEqual([
    'Patient identifier-system=urn:mrn s',
    'Patient identifier=1 x',
    'Patient identifier=1 x',
  ]);
});

test('conditional updates lock their criteria, what they write and the id they were sent with', () => {
  expect(keys([{ resource: patient('2', { id: 'p2' }), request: { method: 'PUT', url: 'Patient?identifier=2' } }])).toEqual([
    'Patient _id=p2 x',
    'Patient identifier-system=urn:mrn s',
    'Patient identifier=2 x',
    'Patient identifier=2 x',
  ]);
});

test('conditional deletes lock their criteria; plain writes lock nothing of their own', () => {
  expect(keys([{ request: { method: 'DELETE', url: 'Patient?_id=abc' } }])).toEqual(['Patient _id=abc x']);
  expect(
    keys([
      { resource: patient('3'), request: { method: 'POST', url: 'Patient' } },
      { resource: patient('4', { id: 'p4' }), request: { method: 'PUT', url: 'Patient/p4' } },
      { request: { method: 'DELETE', url: 'Patient/p5' } },
    ]),
  ).toEqual([]);
});

test('conditional references lock their criteria shared, in every entry that carries a resource', () => {
  expect(
    keys([
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
          subject: { reference: 'Patient?identifier=urn:mrn|1' },
          performer: [{ reference: 'Practitioner?identifier=urn:npi|' }],
        },
        request: { method: 'POST', url: 'Observation' },
      },
      {
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/p1' } },
        request: { method: 'PUT', url: 'Observation/o1' },
      },
    ]),
  ).toEqual(['Patient identifier=1 s', 'Practitioner identifier-system=urn:npi x']);
});

test('a malformed conditional reference takes no lock here (linkReferences refuses it where it is read)', () => {
  expect(
    keys([
      {
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?name=x' } },
        request: { method: 'POST', url: 'Observation' },
      },
    ]),
  ).toEqual([]);
});
