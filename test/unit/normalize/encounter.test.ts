import { normalizeEncounter } from '../../../bridge/normalize/encounter';

describe('normalizeEncounter', () => {
  it('maps type, class, period, reason and disposition', () => {
    const [row] = normalizeEncounter({
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://hl7.org/fhir/v3/ActCode', code: 'IMP', display: 'inpatient' },
      type: [{ text: 'no codes' }, { coding: [{ system: 'http://snomed.info/sct', code: '183452005', display: 'Emergency hospital admission' }] }],
      period: { start: '2021-03-01T22:00:00-05:00', end: '2021-03-04' },
      reasonCode: [{ coding: [{ system: 'urn:oid:2.16.840.1.113883.6.90', code: 'I21.9' }] }],
      hospitalization: { dischargeDisposition: { coding: [{ code: 'home' }] } },
      serviceProvider: { reference: 'Organization/o1' },
    });
    expect(row).toMatchObject({
      domain: 'encounter',
      status: 'finished',
      code: '183452005',
      codeSystem: 'http://snomed.info/sct',
      classSystem: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      classCode: 'IMP',
      startTime: '2021-03-02T03:00:00.000Z',
      endTime: '2021-03-04T23:59:59.999Z',
      reasonCodeSystem: 'http://hl7.org/fhir/sid/icd-10-cm',
      reasonCode: 'I21.9',
      dischargeDisposition: 'home',
      serviceProviderRef: 'Organization/o1',
    });
  });

  it('tolerates a minimal Encounter', () => {
    const [row] = normalizeEncounter({ resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' } });
    expect(row).toMatchObject({ code: null, classSystem: null, classCode: 'AMB', startTime: null, endTime: null });
  });
});
