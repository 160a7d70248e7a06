/**
 * Identifier systems that name one human everywhere (passports, national person identifiers): patients of different
 * clinics sharing one are linked to one person. Pure data, no I/O.
 */

/**
 * ISO 3166-1 alpha-3, every current code (249), generated from the Debian iso-codes 4.15 table (iso_3166-1.json, which
 * follows the ISO 3166 Maintenance Agency). Passports use FHIR's pattern `http://hl7.org/fhir/sid/passport-{alpha-3}`
 * (FHIR R4 identifier registry, https://hl7.org/fhir/R4/identifier-registry.html).
 */
export const ISO_3166_ALPHA3: readonly string[] = [
  'ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN',
  'BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN',
  'CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU',
  'DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR',
  'GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV',
  'HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM',
  'KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA',
  'MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM',
  'NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL',
  'PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE',
  'SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK',
  'TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB',
  'VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE',
]
  .join(' ')
  .split(' ');

export const PASSPORT_SYSTEM_PREFIX = 'http://hl7.org/fhir/sid/passport-';

export const PASSPORT_SYSTEMS: readonly string[] = ISO_3166_ALPHA3.map((c) => PASSPORT_SYSTEM_PREFIX + c);

/** National person identifiers in common FHIR use, each with the NamingSystem or IG that publishes its system URI. */
export const NATIONAL_PERSON_SYSTEMS: readonly string[] = [
  // USA Social Security Number: FHIR R4 identifier registry; its OID form, HL7 OID registry 2.16.840.1.113883.4.1.
  'http://hl7.org/fhir/sid/us-ssn',
  'urn:oid:2.16.840.1.113883.4.1',
  // Passport numbers under the HL7 OID root for passports (HL7 OID registry 2.16.840.1.113883.4.330).
  'urn:oid:2.16.840.1.113883.4.330',
  // England NHS number: NHS England UK Core, NamingSystem nhs-number.
  'https://fhir.nhs.uk/Id/nhs-number',
  // France INS-NIR: ANS FR Core, INS-NIR identifier (OID 1.2.250.1.213.1.4.8).
  'urn:oid:1.2.250.1.213.1.4.8',
  // Germany Versicherten-ID (KVID-10): HL7 Deutschland basisprofil-de-r4, NamingSystem GkvKvid10 (profile identifier-kvid-10).
  'http://fhir.de/sid/gkv/kvid-10',
  // Netherlands BSN: Nictiz nl-core, NamingSystem BSN; its OID form as in FHIR R4's Patient example f001.
  'http://fhir.nl/fhir/NamingSystem/bsn',
  'urn:oid:2.16.840.1.113883.2.4.6.3',
  // Denmark CPR: HL7 Denmark DK Core, profile dk-core-cpr-identifier (system fixed to this OID).
  'urn:oid:1.2.208.176.1.2',
  // Sweden personnummer: HL7 Sweden basprofiler-r4, personnummer identifier of its Patient profile.
  'http://electronichealth.se/identifier/personnummer',
  // Norway fødselsnummer and D-nummer: HL7 Norway no-basis, NamingSystems Foedselsnummer and Dnummer (preferred OIDs).
  'urn:oid:2.16.578.1.12.4.1.4.1',
  'urn:oid:2.16.578.1.12.4.1.4.2',
  // Finland HETU (henkilötunnus): HL7 Finland finnish-base-profiles, identifier slice SSN (OID 1.2.246.21).
  'urn:oid:1.2.246.21',
  // Switzerland AHVN13 / NAVS13: HL7 Switzerland CH Core, profile ch-core-ahvn13-identifier.
  'urn:oid:2.16.756.5.32',
  // Italy codice fiscale: HL7 Italia, Patient identifier system used in its IGs (e.g. lab-report).
  'http://hl7.it/sid/codiceFiscale',
  // Australia Individual Healthcare Identifier: HL7 Australia au-fhir-base, AU IHI identifier profile.
  'http://ns.electronichealth.net.au/id/hi/ihi/1.0',
  // New Zealand NHI: HL7 New Zealand nzbase and nhi IGs, NamingSystem nhi-id (preferred URI).
  'https://standards.digital.health.nz/ns/nhi-id',
];

/** Systems of this bridge: a URI as identifier (RFC 3986) and the bridge's own person id. */
const BRIDGE_SYSTEMS: readonly string[] = ['urn:ietf:rfc:3986', 'https://fhir-anchor-bridge.dev/person'];

export const DEFAULT_PERSON_IDENTIFIER_SYSTEMS: string[] = [...NATIONAL_PERSON_SYSTEMS, ...PASSPORT_SYSTEMS, ...BRIDGE_SYSTEMS];

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The person-wide systems of a deployment: PERSON_IDENTIFIER_SYSTEMS, when set, replaces the defaults; then
 * PERSON_IDENTIFIER_SYSTEMS_ADD adds and PERSON_IDENTIFIER_SYSTEMS_REMOVE removes systems (comma-separated).
 */
export function personIdentifierSystems(replace?: string, add?: string, remove?: string): string[] {
  const base = list(replace).length ? list(replace) : DEFAULT_PERSON_IDENTIFIER_SYSTEMS;
  const drop = new Set(list(remove));
  return [...new Set([...base, ...list(add)])].filter((s) => !drop.has(s));
}
