import { normalizeImmunization } from '../../../bridge/normalize/immunization';

describe('normalizeImmunization', () => {
  it('prefers CVX, converts the dose, keeps lot/route/site', () => {
    const [row] = normalizeImmunization({
      resourceType: 'Immunization',
      status: 'completed',
      patient: { reference: 'Patient/p' },
      vaccineCode: {
        coding: [
          { system: 'urn:oid:2.16.840.1.113883.6.69', code: '49281-0400-10' },
          { system: 'urn:oid:2.16.840.1.113883.12.292', code: '140', display: 'Influenza' },
        ],
      },
      occurrenceDateTime: '2013-01-10',
      primarySource: true,
      lotNumber: 'AAJN11K',
      route: { coding: [{ code: 'IM', display: 'Injection, intramuscular' }] },
      site: { text: 'left arm' },
      doseQuantity: { value: 5, system: 'http://unitsofmeasure.org', code: 'mL' },
    });
    expect(row).toMatchObject({
      domain: 'immunization',
      codeSystem: 'http://hl7.org/fhir/sid/cvx',
      code: '140',
      startTime: '2013-01-10T00:00:00.000Z',
      endTime: '2013-01-10T23:59:59.999Z',
      primarySource: true,
      lotNumber: 'AAJN11K',
      route: 'Injection, intramuscular',
      site: 'left arm',
      valueNum: 0.005,
      valueUnit: 'L',
    });
  });

  it('puts occurrenceString in text and not-done reasons in statusReason', () => {
    const [row] = normalizeImmunization({
      resourceType: 'Immunization',
      status: 'not-done',
      patient: { reference: 'Patient/p' },
      vaccineCode: { text: 'flu' },
      occurrenceString: 'last fall',
      statusReason: { coding: [{ code: 'PATOBJ' }] },
    });
    expect(row).toMatchObject({ status: 'not-done', startTime: null, text: 'last fall', statusReason: 'PATOBJ', valueNum: null });
  });
});
