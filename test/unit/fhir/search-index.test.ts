import type { Resource } from '@medplum/fhirtypes';
import { searchIndex } from '../../../bridge/fhir/search-index';
import { indexedResourceTypes, searchParamsOf } from '../../../bridge/fhir/search-definitions';
import { searchValues } from '../../../bridge/fhir/search-values';

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

describe('union parameters (a parameter whose paths are other parameters’ paths)', () => {
  test('R4 Observation’s combo-* parameters are answered by their parts; nothing else is a union', () => {
    const unions = indexedResourceTypes().flatMap((t) =>
      [...searchParamsOf(t).values()].filter((d) => d.indexedAs.join() !== d.code).map((d) => `${t}.${d.code}=${d.indexedAs.join('+')}`),
    );
    expect(unions.sort()).toEqual([
      'Observation.combo-code=code+component-code',
      'Observation.combo-data-absent-reason=component-data-absent-reason+data-absent-reason',
      'Observation.combo-value-concept=component-value-concept+value-concept',
      'Observation.combo-value-quantity=component-value-quantity+value-quantity',
    ]);
  });

  test('a union has no index values of its own; its parts have them all', () => {
    const v = searchValues({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 141, code: 'mm[Hg]' } }],
    } as never);
    const params = [...v.tokens, ...v.strings, ...v.quantities].map((x) => x.param);
    expect(params.filter((p) => p.startsWith('combo-'))).toEqual([]);
    expect(v.tokens.filter((t) => t.param === 'code' || t.param === 'component-code').map((t) => `${t.param}=${t.code}`)).toEqual([
      'code=85354-9',
      'component-code=8480-6',
    ]);
    expect(v.quantities.map((q) => `${q.param}=${q.value}`)).toEqual(['component-value-quantity=141']);
  });
});
