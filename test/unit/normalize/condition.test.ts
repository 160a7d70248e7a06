import { normalizeCondition } from '../../../bridge/normalize/condition';

describe('normalizeCondition', () => {
  it('prefers SNOMED over ICD-10-CM, spans onset..abatement, keeps statuses', () => {
    const [row] = normalizeCondition({
      resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
      verificationStatus: { coding: [{ code: 'confirmed' }] },
      category: [{ coding: [{ code: 'encounter-diagnosis' }] }],
      code: {
        coding: [
          { system: 'urn:oid:2.16.840.1.113883.6.90', code: 'J06.9' },
          { system: 'SNOMED CT', code: '54150009', display: 'URI' },
        ],
        text: 'Cold',
      },
      subject: { reference: 'Patient/p' },
      onsetDateTime: '2020-01',
      abatementDateTime: '2020-02-03',
      recordedDate: '2020-01-15T08:00:00-05:00',
      severity: { text: 'mild' },
    });
    expect(row).toMatchObject({
      domain: 'condition',
      status: 'resolved',
      clinicalStatus: 'resolved',
      verificationStatus: 'confirmed',
      category: 'encounter-diagnosis',
      codeSystem: 'http://snomed.info/sct',
      code: '54150009',
      codeDisplay: 'URI',
      text: 'Cold',
      severity: 'mild',
      startTime: '2020-01-01T00:00:00.000Z',
      endTime: '2020-02-03T23:59:59.999Z',
      recordedTime: '2020-01-15T13:00:00.000Z',
    });
    expect(row.originalCodes?.coding).toHaveLength(2);
  });

  it('keeps non-datable onset/abatement as text and tolerates an empty Condition', () => {
    const [row] = normalizeCondition({
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      onsetAge: { value: 40, unit: 'a' },
      abatementString: 'childhood',
    });
    expect(row).toMatchObject({ startTime: null, endTime: null, onsetText: 'age 40 a', abatementText: 'childhood', code: null, status: null });
  });
});
