import { normalizePatient } from '../../../bridge/normalize/patient';

describe('normalizePatient', () => {
  it('canonicalizes identifier systems, drops value-less and duplicate identifiers, picks the official name', () => {
    const d = normalizePatient({
      resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1974-12',
      identifier: [
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: '999-11-2222' },
        { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-2222' },
        { system: 'http://acme.org/mrn' },
        { value: 'no-system' },
      ],
      name: [{ use: 'maiden', family: 'Old' }, { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
    });
    expect(d).toEqual({
      identifiers: [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-2222' }, { system: null, value: 'no-system' }],
      family: 'Chalmers', given: ['Peter', 'James'], birthDate: '1974-12', gender: 'female',
    });
  });

  it('tolerates an empty Patient', () => {
    expect(normalizePatient({ resourceType: 'Patient' })).toEqual({ identifiers: [], family: null, given: [], birthDate: null, gender: null });
  });
});
