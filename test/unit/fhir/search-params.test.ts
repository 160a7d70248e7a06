import { DEFAULT_COUNT, MAX_COUNT, parseSearch } from '../../../bridge/fhir/search-params';
import { FhirError } from '../../../bridge/fhir/outcome';

const loincOid = (s: string): string => (s === 'urn:oid:2.16.840.1.113883.6.1' ? 'http://loinc.org' : s);
const BRIDGE_ID = '0b8e3f0c-8e5a-4c1e-9d4e-2f0b7c6a9e11';

describe('token parameters as FHIR R4 token search reads them', () => {
  test.each([
    ['code', 'x', [{ code: 'x' }]],
    ['code', 'http://loinc.org|x', [{ systems: ['http://loinc.org'], code: 'x' }]],
    ['code', '|x', [{ systems: null, code: 'x' }]],
    ['code', 'http://loinc.org|', [{ systems: ['http://loinc.org'] }]],
    // A system is searched as sent and as its canonical URI (codings are indexed under the canonical one).
    ['code', 'urn:oid:2.16.840.1.113883.6.1|', [{ systems: ['urn:oid:2.16.840.1.113883.6.1', 'http://loinc.org'] }]],
    ['identifier', 's|7', [{ systems: ['s'], code: '7' }]],
    ['identifier', 'a,s|b,|c,s|', [{ code: 'a' }, { systems: ['s'], code: 'b' }, { systems: null, code: 'c' }, { systems: ['s'] }]],
    // R4 search.html#escaping: \, and \| are part of the value.
    ['identifier', 'a\\,b', [{ code: 'a,b' }]],
    ['identifier', 's|a\\|b', [{ systems: ['s'], code: 'a|b' }]],
  ])('%s=%s', (name, value, values) => {
    expect(parseSearch('Observation', { [name]: value }, loincOid).filters).toEqual([{ kind: 'token', param: name, not: false, values }]);
  });

  test.each(['|', 'a,|', ',a', 'a|b|c'])('"%s" names no token: 400', (value) => {
    expect(() => parseSearch('Observation', { code: value })).toThrow(FhirError);
    expect(() => parseSearch('Observation', { code: value })).toThrow(/is not a token/);
  });

  test('an empty value is refused', () => {
    expect(() => parseSearch('Observation', { code: '' })).toThrow(/a value is needed/);
  });

  test('repeated parameters AND, commas OR', () => {
    expect(parseSearch('Patient', { identifier: ['a', 'b'] }).filters).toEqual([
      { kind: 'token', param: 'identifier', not: false, values: [{ code: 'a' }] },
      { kind: 'token', param: 'identifier', not: false, values: [{ code: 'b' }] },
    ]);
  });
});

describe('parameters come from the R4 SearchParameter definitions of the type', () => {
  test('patient and subject exist where R4 defines them, and only there', () => {
    expect(() => parseSearch('Observation', { patient: 'p' })).not.toThrow();
    expect(() => parseSearch('Patient', { patient: 'p' })).toThrow(/"patient" is not supported on Patient/);
    expect(() => parseSearch('Organization', { subject: 'p' })).toThrow(/"subject" is not supported on Organization/);
    expect(() => parseSearch('Patient', { family: 'x', given: 'y', birthdate: '1980', gender: 'female', 'address-country': 'DE', telecom: 'x' })).not.toThrow();
  });

  test('modifiers are checked against the parameter type', () => {
    expect(parseSearch('Patient', { 'family:exact': 'Müller' }).filters).toEqual([
      { kind: 'string', param: 'family', values: [{ value: 'muller', exact: 'Müller' }] },
    ]);
    expect(parseSearch('Patient', { 'name:contains': 'ÜL' }).filters).toEqual([{ kind: 'string', param: 'name', values: [{ value: 'ul', contains: true }] }]);
    expect(parseSearch('Observation', { 'code:text': 'Glucose' }).filters).toEqual([{ kind: 'text', param: 'code', values: [{ value: 'glucose' }] }]);
    expect(parseSearch('Observation', { 'status:not': 'final' }).filters).toEqual([{ kind: 'token', param: 'status', not: true, values: [{ code: 'final' }] }]);
    expect(parseSearch('Observation', { 'subject:missing': 'true' }).filters).toEqual([
      { kind: 'missing', param: 'subject', table: 'reference', missing: true },
    ]);
    expect(parseSearch('Observation', { 'subject:identifier': 's|1' }).filters).toEqual([
      { kind: 'token', param: 'subject:identifier', not: false, values: [{ systems: ['s'], code: '1' }] },
    ]);
    expect(parseSearch('Observation', { 'subject:Patient': 'x' }).filters).toEqual([
      { kind: 'reference', param: 'subject', values: [{ targetTypes: ['Patient'], id: 'x' }] },
    ]);
    for (const [key, value] of [
      ['family:text', 'x'],
      ['birthdate:exact', '2000'],
      ['code:contains', 'x'],
      ['code:below', 'x'],
      ['subject:missing', 'maybe'],
      ['subject:Patient', 'Group/1'],
      ['patient', 'Group/1'],
      ['_id:exact', 'x'],
    ]) {
      expect(() => parseSearch('Observation', { [key]: value })).toThrow(FhirError);
    }
  });

  test('references name the patients consent is asked for', () => {
    const q = parseSearch('Observation', { patient: `Patient/${BRIDGE_ID}`, subject: 'https://other.example/fhir/Patient/src-1' });
    expect(q.patientIds).toEqual([BRIDGE_ID]);
    expect(q.filters[1]).toEqual({ kind: 'reference', param: 'subject', values: [{ targetTypes: ['Patient'], id: 'src-1' }] });
    expect(parseSearch('Observation', { subject: `Group/${BRIDGE_ID}` }).patientIds).toEqual([]);
  });

  test('quantities keep their precision and convert to canonical UCUM units', () => {
    const [f] = parseSearch('Observation', { 'value-quantity': '5.4' }).filters;
    expect(f).toEqual({ kind: 'quantity', param: 'value-quantity', values: [{ prefix: 'eq', value: '5.4', low: '5.35', high: '5.45' }] });
    const [g] = parseSearch('Observation', { 'value-quantity': 'gt100|http://unitsofmeasure.org|mg/dL' }).filters;
    expect(g).toMatchObject({ values: [{ prefix: 'gt', value: '1', canonicalUnit: 'g/L' }] });
    const [h] = parseSearch('Observation', { 'value-quantity': 'le3|urn:local|cups' }).filters;
    expect(h).toMatchObject({ values: [{ prefix: 'le', value: '3', system: 'urn:local', code: 'cups' }] });
    for (const bad of ['five', 'gt', '5|x', '5|a|b|c', 'xx5']) expect(() => parseSearch('Observation', { 'value-quantity': bad })).toThrow(/is not a quantity/);
  });

  test('_sort takes the type’s parameters, _id and _lastUpdated', () => {
    expect(parseSearch('Observation', { _sort: '-date,code,_id' }).sort).toEqual([
      { param: 'date', table: 'date', descending: true },
      { param: 'code', table: 'token', descending: false },
      { param: '_id', table: 'id', descending: false },
    ]);
    expect(() => parseSearch('Observation', { _sort: 'family' })).toThrow(/not a search parameter of Observation/);
  });
});

test('paging and other parameters', () => {
  const q = parseSearch('Observation', { _id: 'a,b', _count: '5', _offset: '10' });
  expect(q).toMatchObject({ ids: ['a', 'b'], count: 5, offset: 10 });
  expect(parseSearch('Observation', {})).toMatchObject({ count: DEFAULT_COUNT, offset: 0, filters: [], ids: [] });
  expect(parseSearch('Observation', { _count: String(MAX_COUNT + 1) }).count).toBe(MAX_COUNT);
  for (const bad of [{ _count: '-1' }, { _count: 'x' }, { _offset: '1.5' }, { nope: '1' }, { date: 'yesterday' }, { date: 'ap2020' }])
    expect(() => parseSearch('Observation', bad)).toThrow(FhirError);
  expect(parseSearch('Observation', { date: 'ge2020', _lastUpdated: 'lt2021-02' })).toMatchObject({
    filters: [{ kind: 'date', param: 'date', values: [{ prefix: 'ge', start: '2020-01-01T00:00:00.000Z' }] }],
    lastUpdated: [{ prefix: 'lt', start: '2021-02-01T00:00:00.000Z' }],
  });
});
