import { loadConfig } from '../../../bridge/config';
import {
  DEFAULT_PERSON_IDENTIFIER_SYSTEMS,
  ISO_3166_ALPHA3,
  NATIONAL_PERSON_SYSTEMS,
  PASSPORT_SYSTEMS,
  personIdentifierSystems,
} from '../../../bridge/fhir/identifier-systems';

test('every current ISO 3166-1 alpha-3 code (249) has its passport system, once', () => {
  expect(ISO_3166_ALPHA3).toHaveLength(249);
  expect(new Set(ISO_3166_ALPHA3).size).toBe(249);
  for (const c of ISO_3166_ALPHA3) expect(c).toMatch(/^[A-Z]{3}$/);
  expect(ISO_3166_ALPHA3).toEqual([...ISO_3166_ALPHA3].sort());
  for (const c of ['DEU', 'USA', 'FRA', 'GBR', 'JPN', 'BRA', 'IND', 'SSD', 'ALA', 'BES', 'TWN', 'PSE']) {
    expect(DEFAULT_PERSON_IDENTIFIER_SYSTEMS).toContain(`http://hl7.org/fhir/sid/passport-${c}`);
  }
  expect(PASSPORT_SYSTEMS).toHaveLength(249);
});

test('defaults hold the national person identifiers and no duplicates', () => {
  for (const s of [
    'http://hl7.org/fhir/sid/us-ssn',
    'http://fhir.de/sid/gkv/kvid-10',
    'http://fhir.nl/fhir/NamingSystem/bsn',
    'urn:oid:2.16.756.5.32',
    'https://fhir.nhs.uk/Id/nhs-number',
  ]) {
    expect(NATIONAL_PERSON_SYSTEMS).toContain(s);
  }
  expect(new Set(DEFAULT_PERSON_IDENTIFIER_SYSTEMS).size).toBe(DEFAULT_PERSON_IDENTIFIER_SYSTEMS.length);
});

test('PERSON_IDENTIFIER_SYSTEMS replaces; _ADD and _REMOVE adjust (comma-separated, trimmed, no duplicates)', () => {
  expect(loadConfig({}).personIdentifierSystems).toEqual(DEFAULT_PERSON_IDENTIFIER_SYSTEMS);
  expect(loadConfig({ PERSON_IDENTIFIER_SYSTEMS: ' urn:a , urn:b,,' }).personIdentifierSystems).toEqual(['urn:a', 'urn:b']);
  const adjusted = loadConfig({
    PERSON_IDENTIFIER_SYSTEMS_ADD: 'urn:oid:1.2.3, http://fhir.de/sid/gkv/kvid-10',
    PERSON_IDENTIFIER_SYSTEMS_REMOVE: 'http://hl7.org/fhir/sid/passport-USA ,urn:ietf:rfc:3986',
  }).personIdentifierSystems;
  expect(adjusted).toContain('urn:oid:1.2.3');
  expect(adjusted).not.toContain('http://hl7.org/fhir/sid/passport-USA');
  expect(adjusted).not.toContain('urn:ietf:rfc:3986');
  expect(adjusted.filter((s) => s === 'http://fhir.de/sid/gkv/kvid-10')).toHaveLength(1);
  expect(adjusted).toHaveLength(DEFAULT_PERSON_IDENTIFIER_SYSTEMS.length - 1);
  expect(personIdentifierSystems('urn:a,urn:b', 'urn:c', 'urn:a')).toEqual(['urn:b', 'urn:c']);
});
