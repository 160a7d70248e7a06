import { normalizeAllergy } from '../../../bridge/normalize/allergy';

describe('normalizeAllergy', () => {
  it('maps substance, statuses, criticality, categories and reactions', () => {
    const [row] = normalizeAllergy({
      resourceType: 'AllergyIntolerance',
      patient: { reference: 'Patient/p' },
      clinicalStatus: { coding: [{ code: 'active' }] },
      verificationStatus: { coding: [{ code: 'confirmed' }] },
      type: 'allergy',
      category: ['food', 'medication'],
      criticality: 'high',
      code: { coding: [{ system: 'http://snomed.info/sct/', code: '227493005', display: 'Cashew nuts' }] },
      onsetDateTime: '2004',
      recordedDate: '2014-10-09T14:58:00+11:00',
      reaction: [
        {
          manifestation: [{ coding: [{ system: 'urn:oid:2.16.840.1.113883.6.96', code: '39579001', display: 'Anaphylactic reaction' }] }],
          severity: 'severe',
          onset: '2012-06-12',
        },
      ],
    });
    expect(row).toMatchObject({
      domain: 'allergy',
      status: 'active',
      clinicalStatus: 'active',
      verificationStatus: 'confirmed',
      allergyType: 'allergy',
      category: 'food,medication',
      criticality: 'high',
      codeSystem: 'http://snomed.info/sct',
      code: '227493005',
      startTime: '2004-01-01T00:00:00.000Z',
      recordedTime: '2014-10-09T03:58:00.000Z',
      reactions: [
        {
          substance: null,
          manifestations: [{ system: 'http://snomed.info/sct', code: '39579001', display: 'Anaphylactic reaction' }],
          severity: 'severe',
          onset: '2012-06-12T00:00:00.000Z',
          description: null,
        },
      ],
    });
  });

  it('tolerates a text-only allergy', () => {
    const [row] = normalizeAllergy({ resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p' }, code: { text: 'penicillin' } });
    expect(row).toMatchObject({ code: null, codeDisplay: 'penicillin', reactions: null, category: null });
  });
});
