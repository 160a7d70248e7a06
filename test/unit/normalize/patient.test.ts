import { normalizeContact, normalizePatient } from '../../../bridge/normalize/patient';

const NO_CONTACT = { postalCode: null, city: null, country: null, phones: [], emails: [] };

describe('normalizePatient', () => {
  it('canonicalizes identifier systems, drops value-less and duplicate identifiers, picks the official name', () => {
    const d = normalizePatient({
      resourceType: 'Patient',
      id: 'p1',
      gender: 'female',
      birthDate: '1974-12',
      identifier: [
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: '999-11-2222' },
        { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-2222' },
        { system: 'http://acme.org/mrn' },
        { value: 'no-system' },
      ],
      name: [
        { use: 'maiden', family: 'Old' },
        { use: 'official', family: 'Chalmers', given: ['Peter', 'James'] },
      ],
    });
    expect(d).toEqual({
      identifiers: [
        { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-11-2222' },
        { system: null, value: 'no-system' },
      ],
      family: 'Chalmers',
      given: ['Peter', 'James'],
      birthDate: '1974-12',
      gender: 'female',
      contact: NO_CONTACT,
    });
  });

  it('tolerates an empty Patient', () => {
    expect(normalizePatient({ resourceType: 'Patient' })).toEqual({
      identifiers: [],
      family: null,
      given: [],
      birthDate: null,
      gender: null,
      contact: NO_CONTACT,
    });
  });

  it('normalizes the main address and telecom for $match: postal code, city, country, phone digits, e-mail', () => {
    expect(
      normalizeContact({
        address: [
          { use: 'old', postalCode: '1' },
          { postalCode: 'sw1a-1aa', city: ' London ', country: 'gb' },
        ],
        telecom: [
          { system: 'phone', value: '+44 20 7946 0958' },
          { system: 'sms', value: '0044 20 7946 0958' },
          { system: 'email', value: 'A@B.uk' },
          { system: 'url', value: 'http://x' },
        ],
      }),
    ).toEqual({ postalCode: 'SW1A1AA', city: 'london', country: 'GB', phones: ['442079460958'], emails: ['a@b.uk'] });
  });
});
