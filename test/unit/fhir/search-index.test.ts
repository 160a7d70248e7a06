import type { Resource } from '@medplum/fhirtypes';
import { searchIndex } from '../../../bridge/fhir/search-index';

describe('searchIndex', () => {
  test('indexes identifier arrays', () => {
    const index = searchIndex({ resourceType: 'Patient', id: 'p', identifier: [{ system: 's', value: '1' }, { value: '2' }] } as Resource);
    expect(index.values.tokens).toEqual([
      { param: 'identifier', system: 's', code: '1' },
      { param: 'identifier', system: null, code: '2' },
    ]);
  });

  test('indexes a single Identifier (Composition, 0..1 elements)', () => {
    // Composition.identifier is 0..1 in R4: one object, not an array (the IPS example documents carry one).
    const composition = {
      resourceType: 'Composition',
      status: 'final',
      type: { coding: [{ system: 'http://loinc.org', code: '60591-5' }] },
      identifier: { system: 'urn:oid:2.16.724.4.8.10.200.10', value: '3f69e0a5-2177-4540-baab-7a5d0877428f' },
      date: '2024-01-01',
      author: [{ display: 'x' }],
      title: 'IPS',
    } as unknown as Resource;
    const index = searchIndex(composition);
    expect(index.values.tokens).toContainEqual({ param: 'identifier', system: 'urn:oid:2.16.724.4.8.10.200.10', code: '3f69e0a5-2177-4540-baab-7a5d0877428f' });
    expect(index.values.tokens).toContainEqual({ param: 'type', system: 'http://loinc.org', code: '60591-5' }); // R4 names Composition's coded type `type`, not `code`
  });
});
