import { normalizeMedication } from '../../../bridge/normalize/medication';

describe('normalizeMedication', () => {
  it('MedicationRequest with an RxNorm OID, dosage text and dose', () => {
    const [row] = normalizeMedication({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p' },
      medicationCodeableConcept: {
        coding: [
          { system: 'urn:oid:2.16.840.1.113883.6.69', code: '0069-2587-10' },
          { system: 'urn:oid:2.16.840.1.113883.6.88', code: '313782', display: 'Acetaminophen 325 MG Oral Tablet' },
        ],
      },
      authoredOn: '2020-04-05',
      dosageInstruction: [
        {
          text: '1 tablet every 6 hours',
          route: { text: 'oral' },
          doseAndRate: [{ doseQuantity: { value: 325, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
        },
      ],
    });
    expect(row).toMatchObject({
      domain: 'medication',
      resourceType: 'MedicationRequest',
      intent: 'order',
      codeSystem: 'http://www.nlm.nih.gov/research/umls/rxnorm',
      code: '313782',
      dosageText: '1 tablet every 6 hours',
      route: 'oral',
      valueNum: 0.000325,
      valueUnit: 'kg',
      valueOrig: 325,
      unitOrig: 'mg',
      startTime: '2020-04-05T00:00:00.000Z',
      medicationRef: null,
    });
  });

  it('keeps a medicationReference to a shared Medication as a reference', () => {
    const [row] = normalizeMedication({
      resourceType: 'MedicationStatement',
      status: 'active',
      subject: { reference: 'Patient/p' },
      medicationReference: { reference: 'Medication/m1', display: 'Aspirin' },
      effectivePeriod: { start: '2019' },
    });
    expect(row).toMatchObject({ medicationRef: 'Medication/m1', code: null, codeDisplay: 'Aspirin', startTime: '2019-01-01T00:00:00.000Z', endTime: null });
  });

  it('resolves a contained Medication', () => {
    const [row] = normalizeMedication({
      resourceType: 'MedicationAdministration',
      status: 'completed',
      subject: { reference: 'Patient/p' },
      contained: [{ resourceType: 'Medication', id: 'med', code: { coding: [{ system: 'RxNorm', code: '1191' }] } }],
      medicationReference: { reference: '#med' },
      effectiveDateTime: '2020-01-01T10:00:00Z',
      dosage: { text: 'IV push', dose: { value: 1, unit: 'TAB', system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm', code: 'TAB' } },
    });
    expect(row).toMatchObject({
      code: '1191',
      codeSystem: 'http://www.nlm.nih.gov/research/umls/rxnorm',
      medicationRef: null,
      dosageText: 'IV push',
      valueNum: 1,
      valueUnit: 'TAB',
      unitStatus: 'non_ucum',
    });
  });

  it('tolerates a medication with neither concept nor reference', () => {
    const [row] = normalizeMedication({ resourceType: 'MedicationStatement', status: 'unknown', subject: { reference: 'Patient/p' } } as never);
    expect(row).toMatchObject({ code: null, medicationRef: null, dosageText: null, valueNum: null });
  });
});
