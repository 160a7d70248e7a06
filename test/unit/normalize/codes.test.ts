import { canonicalSystem, conceptCode, pickCoding, CVX, ICD10CM, LOINC, RXNORM, SNOMED, UCUM } from '../../../bridge/normalize/codes';

describe('canonicalSystem', () => {
  it.each([
    ['urn:oid:2.16.840.1.113883.6.1', LOINC],
    ['2.16.840.1.113883.6.1', LOINC],
    ['LN', LOINC],
    ['https://loinc.org/', LOINC],
    ['urn:oid:2.16.840.1.113883.6.96', SNOMED],
    ['http://snomed.info/sct/', SNOMED],
    ['SNOMED CT', SNOMED],
    ['http://snomed.info/sct/731000124108', SNOMED],
    ['HTTP://SNOMED.INFO/SCT', SNOMED],
    ['urn:oid:2.16.840.1.113883.6.88', RXNORM],
    ['urn:oid:2.16.840.1.113883.12.292', CVX],
    ['urn:oid:2.16.840.1.113883.6.90', ICD10CM],
    ['http://www.cms.gov/Medicare/Coding/ICD10', ICD10CM],
    ['urn:oid:2.16.840.1.113883.6.3', 'http://hl7.org/fhir/sid/icd-10'],
    ['urn:oid:2.16.840.1.113883.6.8', UCUM],
    ['urn:oid:2.16.840.1.113883.6.69', 'http://hl7.org/fhir/sid/ndc'],
    ['urn:oid:2.16.840.1.113883.6.12', 'http://www.ama-assn.org/go/cpt'],
    ['urn:oid:2.16.840.1.113883.6.73', 'http://www.whocc.no/atc'],
    ['urn:oid:2.16.840.1.113883.4.6', 'http://hl7.org/fhir/sid/us-npi'],
    ['urn:oid:1.0.3166.1.2.2', 'urn:iso:std:iso:3166'],
    ['http://hl7.org/fhir/v2/0203', 'http://terminology.hl7.org/CodeSystem/v2-0203'],
    ['http://hl7.org/fhir/v3/ActCode', 'http://terminology.hl7.org/CodeSystem/v3-ActCode'],
    ['http://hl7.org/fhir/observation-category', 'http://terminology.hl7.org/CodeSystem/observation-category'],
    ['https://terminology.hl7.org/CodeSystem/v3-ActCode/', 'http://terminology.hl7.org/CodeSystem/v3-ActCode'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalSystem(input)).toBe(expected);
  });

  it('keeps unknown systems (trimmed), prefixes bare OIDs, maps blank to null', () => {
    expect(canonicalSystem(' http://acme.org/lab/codes ')).toBe('http://acme.org/lab/codes');
    expect(canonicalSystem('1.2.3.999')).toBe('urn:oid:1.2.3.999');
    expect(canonicalSystem('urn:oid:1.2.3.999')).toBe('urn:oid:1.2.3.999');
    expect(canonicalSystem('')).toBeNull();
    expect(canonicalSystem(undefined)).toBeNull();
  });

  it('is idempotent', () => {
    for (const s of ['LN', 'urn:oid:2.16.840.1.113883.6.96', 'http://hl7.org/fhir/v2/0203', 'x-custom', '1.2.3']) {
      const c = canonicalSystem(s);
      expect(canonicalSystem(c)).toBe(c);
    }
  });
});

describe('pickCoding', () => {
  const concept = {
    coding: [
      { system: 'http://acme.org/local', code: 'GLU' },
      { system: 'urn:oid:2.16.840.1.113883.6.96', code: '33747003', display: 'Glucose measurement' },
      { system: 'urn:oid:2.16.840.1.113883.6.1', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' },
    ],
    text: 'Glucose',
  };

  it('prefers LOINC for observations and SNOMED for conditions, with canonical systems', () => {
    expect(pickCoding(concept, 'observation')).toMatchObject({ system: LOINC, code: '2345-7' });
    expect(pickCoding(concept, 'condition')).toMatchObject({ system: SNOMED, code: '33747003' });
  });

  it('keeps every coding as sent plus the text', () => {
    expect(pickCoding(concept, 'observation').originalCodes).toEqual({
      coding: [
        { system: 'http://acme.org/local', code: 'GLU', display: null },
        { system: 'urn:oid:2.16.840.1.113883.6.96', code: '33747003', display: 'Glucose measurement' },
        { system: 'urn:oid:2.16.840.1.113883.6.1', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' },
      ],
      text: 'Glucose',
    });
  });

  it('falls back to userSelected, then order, and the text as display', () => {
    const c = {
      coding: [
        { system: 'http://a', code: '1' },
        { system: 'http://b', code: '2', userSelected: true },
      ],
      text: 'T',
    };
    expect(pickCoding(c, 'medication')).toMatchObject({ system: 'http://b', code: '2', display: 'T' });
  });

  it('handles text-only, code-less and absent concepts', () => {
    expect(pickCoding({ text: 'headache' }, 'condition')).toEqual({
      system: null,
      code: null,
      display: 'headache',
      originalCodes: { coding: [], text: 'headache' },
    });
    expect(pickCoding({ coding: [{ system: 'http://loinc.org', display: 'no code' }] })).toMatchObject({ code: null });
    expect(pickCoding(undefined)).toEqual({ system: null, code: null, display: null, originalCodes: null });
    expect(conceptCode({ coding: [{}, { code: 'x' }] })).toBe('x');
  });
});
