import { FhirError } from '../../../bridge/fhir/outcome';
import { MATCH_DEFAULT_COUNT, MATCH_MAX_COUNT, matchQueryOf, parseMatchParameters } from '../../../bridge/fhir/match-params';
import { normalizeContact } from '../../../bridge/normalize/patient';
import { DEFAULT_PERSON_IDENTIFIER_SYSTEMS } from '../../../bridge/config';

const patient = { resourceType: 'Patient', name: [{ family: 'Schmidt', given: ['Anna'] }], birthDate: '1985-03-14', gender: 'female' };
const params = (...parameter: unknown[]): unknown => ({ resourceType: 'Parameters', parameter });

function refusal(body: unknown): FhirError {
  try {
    parseMatchParameters(body);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('parseMatchParameters (PDQm Match Input Parameters)', () => {
  test('resource, onlyCertainMatches and count are read; count above the maximum is served as the maximum', () => {
    expect(parseMatchParameters(params({ name: 'resource', resource: patient }))).toEqual({ patient, onlyCertainMatches: false, count: MATCH_DEFAULT_COUNT });
    expect(
      parseMatchParameters(
        params({ name: 'resource', resource: patient }, { name: 'onlyCertainMatches', valueBoolean: true }, { name: 'count', valueInteger: 3 }),
      ),
    ).toEqual({ patient, onlyCertainMatches: true, count: 3 });
    expect(parseMatchParameters(params({ name: 'count', valueInteger: 10_000 }, { name: 'resource', resource: patient })).count).toBe(MATCH_MAX_COUNT);
  });

  test('a bare Patient is accepted, as PDQm allows when it is the only parameter', () => {
    expect(parseMatchParameters(patient).patient).toBe(patient);
  });

  test.each([
    ['not Parameters', { resourceType: 'Bundle' }, 400, undefined],
    ['not an object', [1, 2], 400, undefined],
    ['no resource', params({ name: 'count', valueInteger: 2 }), 400, 'Parameters.parameter'],
    ['a resource that is not a Patient', params({ name: 'resource', resource: { resourceType: 'Observation' } }), 400, 'Parameters.parameter[0].resource'],
    ['count 0', params({ name: 'resource', resource: patient }, { name: 'count', valueInteger: 0 }), 400, 'Parameters.parameter[1].valueInteger'],
    [
      'count not an integer',
      params({ name: 'resource', resource: patient }, { name: 'count', valueInteger: 2.5 }),
      400,
      'Parameters.parameter[1].valueInteger',
    ],
    ['count as a string', params({ name: 'resource', resource: patient }, { name: 'count', valueString: '2' }), 400, 'Parameters.parameter[1].valueInteger'],
    [
      'onlyCertainMatches not boolean',
      params({ name: 'resource', resource: patient }, { name: 'onlyCertainMatches', valueString: 'yes' }),
      400,
      'Parameters.parameter[1].valueBoolean',
    ],
    ['an unknown parameter', params({ name: 'resource', resource: patient }, { name: 'fuzzy', valueBoolean: true }), 400, 'Parameters.parameter[1].name'],
    ['a duplicated parameter', params({ name: 'resource', resource: patient }, { name: 'resource', resource: patient }), 400, 'Parameters.parameter[1]'],
    ['a bad birth date', params({ name: 'resource', resource: { ...patient, birthDate: '1985-02-30' } }), 400, 'Parameters.parameter[0].resource.birthDate'],
    ['a bad gender', params({ name: 'resource', resource: { ...patient, gender: 'f' } }), 400, 'Parameters.parameter[0].resource.gender'],
    [
      'a name that is not an array',
      params({ name: 'resource', resource: { ...patient, name: { family: 'x' } } }),
      400,
      'Parameters.parameter[0].resource.name',
    ],
    ['nothing to match on', params({ name: 'resource', resource: { resourceType: 'Patient', gender: 'female' } }), 400, 'Parameters.parameter[0].resource'],
  ])('refuses %s with a 400 naming the element', (_what, body, status, expression) => {
    const e = refusal(body);
    expect(e.status).toBe(status);
    if (expression) expect(e.issues[0].expression).toBe(expression);
  });
});

describe('matchQueryOf and the contact normalization', () => {
  test('only person-wide identifiers count, systems canonical; phone digits, e-mail lower case, main address', () => {
    const q = matchQueryOf(
      {
        resourceType: 'Patient',
        identifier: [
          { system: 'http://hl7.org/fhir/sid/passport-DEU', value: 'C01X00T47' },
          { system: 'urn:example:mrn', value: '12' },
        ],
        telecom: [
          { system: 'phone', value: '+49 (30) 123-456' },
          { system: 'email', value: ' Anna@Example.ORG ' },
          { system: 'phone', value: '0049 30 123456' },
        ],
        address: [
          { use: 'old', postalCode: '99999' },
          { postalCode: '10 115', city: ' Berlin ', country: 'de' },
        ],
      },
      DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
    );
    expect(q.identifiers).toEqual([{ system: 'http://hl7.org/fhir/sid/passport-DEU', value: 'C01X00T47' }]);
    expect(q.fields).toMatchObject({ phones: ['4930123456'], emails: ['anna@example.org'], postalCode: '10115', city: 'berlin', country: 'DE' });
  });

  test('malformed contact elements are ignored, not fatal', () => {
    expect(
      normalizeContact({ telecom: [null as never, { system: 'phone', value: '12' }, { system: 'email', value: 'not-an-address' }], address: 'x' as never }),
    ).toEqual({ postalCode: null, city: null, country: null, phones: [], emails: [] });
  });
});
