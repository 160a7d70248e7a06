import { DEFAULT_COUNT, MAX_COUNT, parseSearch } from '../../../bridge/fhir/search-params';
import { FhirError } from '../../../bridge/fhir/outcome';

const loincOid = (s: string): string => (s === 'urn:oid:2.16.840.1.113883.6.1' ? 'http://loinc.org' : s);

describe('token parameters as FHIR R4 token search reads them', () => {
  test.each([
    ['code', 'x', [{ param: 'code', code: 'x' }]],
    ['code', 'http://loinc.org|x', [{ param: 'code', system: 'http://loinc.org', code: 'x' }]],
    ['code', '|x', [{ param: 'code', system: null, code: 'x' }]],
    ['code', 'http://loinc.org|', [{ param: 'code', system: 'http://loinc.org' }]],
    ['code', 'urn:oid:2.16.840.1.113883.6.1|', [{ param: 'code', system: 'http://loinc.org' }]],
    ['identifier', 'urn:oid:2.16.840.1.113883.6.1|7', [{ param: 'identifier', system: 'urn:oid:2.16.840.1.113883.6.1', code: '7' }]],
    [
      'identifier',
      'a,s|b,|c,s|',
      [
        { param: 'identifier', code: 'a' },
        { param: 'identifier', system: 's', code: 'b' },
        { param: 'identifier', system: null, code: 'c' },
        { param: 'identifier', system: 's' },
      ],
    ],
  ])('%s=%s', (name, value, tokens) => {
    expect(parseSearch('Observation', { [name]: value }, loincOid).tokens).toEqual([tokens]);
  });

  test.each(['|', 'a,|', ',a', ''])('"%s" names nothing: 400', (value) => {
    expect(() => parseSearch('Observation', { code: value })).toThrow(FhirError);
    expect(() => parseSearch('Observation', { code: value })).toThrow(/names neither a system nor a code/);
  });

  test('repeated parameters AND, commas OR', () => {
    expect(parseSearch('Patient', { identifier: ['a', 'b'] }).tokens).toEqual([[{ param: 'identifier', code: 'a' }], [{ param: 'identifier', code: 'b' }]]);
  });
});

test('paging and other parameters', () => {
  const q = parseSearch('Observation', { _id: 'a,b', patient: 'Patient/p', subject: 'q', _count: '5', _offset: '10' });
  expect(q).toMatchObject({ ids: ['a', 'b'], patientIds: ['p', 'q'], count: 5, offset: 10 });
  expect(parseSearch('Observation', {})).toMatchObject({ count: DEFAULT_COUNT, offset: 0, tokens: [], ids: [] });
  expect(parseSearch('Observation', { _count: String(MAX_COUNT + 1) }).count).toBe(MAX_COUNT);
  for (const bad of [{ _count: '-1' }, { _count: 'x' }, { _offset: '1.5' }, { nope: '1' }, { date: 'yesterday' }])
    expect(() => parseSearch('Observation', bad)).toThrow(FhirError);
  expect(parseSearch('Observation', { date: 'ge2020', _lastUpdated: 'lt2021-02' })).toMatchObject({
    dates: [{ prefix: 'ge', start: '2020-01-01T00:00:00.000Z' }],
    lastUpdated: [{ prefix: 'lt', start: '2021-02-01T00:00:00.000Z' }],
  });
});
