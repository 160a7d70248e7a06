import { classifySensitivity, icd10Labels, isWithheld, withheldLabels } from '../../../bridge/normalize/sensitivity';
import { withheldGroups } from '../../../bridge/model/sensitivity';

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SCT = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const cond = (system: string, code: string) => ({ resourceType: 'Condition', code: { coding: [{ system, code }] } });

describe('classifySensitivity', () => {
  test.each([
    ['depression F32.9', cond(ICD, 'F32.9'), ['MH', 'PSY']],
    ['schizophrenia F20 (WHO ICD-10)', cond('http://hl7.org/fhir/sid/icd-10', 'F20'), ['MH', 'PSY']],
    ['alcohol dependence F10.20', cond(ICD, 'F10.20'), ['ETH', 'SUD']],
    ['opioid use F11.10', cond(ICD, 'F11.10'), ['ETH', 'SUD']],
    ['nicotine F17.210 (F10–F19)', cond(ICD, 'F17.210'), ['ETH', 'SUD']],
    ['F09 is mental health, not substance', cond(ICD, 'F09'), ['MH', 'PSY']],
    ['HIV disease B20', cond(ICD, 'B20'), ['HIV', 'SEX']],
    ['asymptomatic HIV Z21', cond(ICD, 'Z21'), ['HIV', 'SEX']],
    ['syphilis A51.0', cond(ICD, 'A51.0'), ['SEX', 'STD']],
    ['pregnancy O80', cond(ICD, 'O80'), ['SEX']],
    ['pregnancy O9A.1', cond(ICD, 'O9A.111'), ['SEX']],
    ['contraception Z30.09', cond(ICD, 'Z30.09'), ['SEX']],
    ['SNOMED depressive disorder', cond(SCT, '35489007'), ['MH', 'PSY']],
    ['SNOMED alcoholism', cond(SCT, '7200002'), ['ETH', 'SUD']],
    ['SNOMED HIV infection', cond(SCT, '86406008'), ['HIV', 'SEX']],
    ['LOINC HIV test', { resourceType: 'Observation', code: { coding: [{ system: LOINC, code: '75622-1' }] } }, ['HIV', 'SEX']],
    ['LOINC PHQ-9 total', { resourceType: 'Observation', code: { coding: [{ system: LOINC, code: '44261-6' }] } }, ['MH', 'PSY']],
    ['LOINC OID alias', { resourceType: 'Observation', code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '2106-3' }] } }, ['SEX']],
    [
      'value code: HIV positive',
      {
        resourceType: 'Observation',
        code: { coding: [{ system: LOINC, code: '8867-4' }] },
        valueCodeableConcept: { coding: [{ system: SCT, code: '165816005' }] },
      },
      ['HIV', 'SEX'],
    ],
    ['reasonCode of an Encounter', { resourceType: 'Encounter', reasonCode: [{ coding: [{ system: ICD, code: 'F41.1' }] }] }, ['MH', 'PSY']],
    ['meta.security ETH', { resourceType: 'Observation', meta: { security: [{ system: ACT, code: 'ETH' }] } }, ['ETH']],
    [
      'meta.security by OID, confidentiality R',
      {
        resourceType: 'Observation',
        meta: {
          security: [
            { system: 'urn:oid:2.16.840.1.113883.5.4', code: 'HIV' },
            { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
          ],
        },
      },
      ['HIV', 'R'],
    ],
    // negative cases
    ['heart rate', { resourceType: 'Observation', code: { coding: [{ system: LOINC, code: '8867-4' }] } }, []],
    ['hypertension I10', cond(ICD, 'I10'), []],
    ['G30 Alzheimer (not F chapter)', cond(ICD, 'G30.9'), []],
    ['Z31 (fertility) is reproductive', cond(ICD, 'Z31.0'), ['SEX']],
    ['Z37 outcome of delivery is not listed', cond(ICD, 'Z37.0'), []],
    ['A49 is no STI', cond(ICD, 'A49.9'), []],
    ['F code in another system', cond('http://example.org/local', 'F32.9'), []],
    ['meta.security of another system', { resourceType: 'Observation', meta: { security: [{ system: 'http://example.org', code: 'HIV' }] } }, []],
    [
      'confidentiality N is no label',
      { resourceType: 'Observation', meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] } },
      [],
    ],
    ['unknown ActCode', { resourceType: 'Observation', meta: { security: [{ system: ACT, code: 'GDIS' }] } }, []],
    ['no code at all', { resourceType: 'Patient' }, []],
    ['garbage', 'not a resource', []],
  ])('%s', (_name, resource, labels) => {
    expect(classifySensitivity(resource)).toEqual(labels);
  });

  test('ICD-10 codes without dots and in lower case', () => {
    expect(icd10Labels('f329')).toEqual(['MH', 'PSY']);
    expect(icd10Labels('x')).toEqual([]);
  });
});

describe('what a deny provision withholds', () => {
  test('category codes withhold their members, plus R and V', () => {
    expect(withheldLabels(['ETH', 'MH', 'SEX'])).toEqual(['BH', 'ETH', 'HIV', 'MH', 'PSY', 'PSYTHPN', 'R', 'SDV', 'SEX', 'STD', 'SUD', 'V']);
    expect(withheldLabels(['HIV'])).toEqual(['HIV', 'R', 'V']);
    expect(withheldLabels([])).toEqual([]);
  });
  test('a resource is withheld when a label meets, or when it is not classified yet', () => {
    const ex = withheldLabels(['MH']);
    expect(isWithheld(['MH', 'PSY'], ex)).toBe(true);
    expect(isWithheld(['HIV', 'SEX'], ex)).toBe(false);
    expect(isWithheld([], ex)).toBe(false);
    expect(isWithheld(null, ex)).toBe(true);
    expect(isWithheld(null, [])).toBe(false);
    expect(isWithheld(['MH'], undefined)).toBe(false);
  });
  test('withheldGroups groups records by their withheld labels', () => {
    expect(withheldGroups([{ patientId: 'a' }, { patientId: 'b', excludedLabels: ['MH'] }, { patientId: 'c', excludedLabels: ['MH'] }])).toEqual([
      { patientIds: ['b', 'c'], labels: ['MH'] },
    ]);
  });
});
