import { normalizeProcedure } from '../../../bridge/normalize/procedure';

describe('normalizeProcedure', () => {
  it('prefers SNOMED over CPT and spans performedPeriod', () => {
    const [row] = normalizeProcedure({
      resourceType: 'Procedure',
      status: 'completed',
      subject: { reference: 'Patient/p' },
      code: {
        coding: [
          { system: 'CPT', code: '44950' },
          { system: 'http://snomed.info/sct', code: '80146002', display: 'Appendectomy' },
        ],
      },
      performedPeriod: { start: '2013-04-05T09:30:10+01:00', end: '2013-04-05T10:30:10+01:00' },
      bodySite: [{ text: 'abdomen' }],
      outcome: { text: 'successful' },
      note: [{ text: 'Routine' }, { text: 'No complications' }],
    });
    expect(row).toMatchObject({
      domain: 'procedure',
      code: '80146002',
      codeSystem: 'http://snomed.info/sct',
      startTime: '2013-04-05T08:30:10.000Z',
      endTime: '2013-04-05T09:30:10.000Z',
      bodySite: 'abdomen',
      outcome: 'successful',
      text: 'Routine\n\nNo complications',
    });
    expect(row.originalCodes?.coding[0]).toEqual({ system: 'CPT', code: '44950', display: null });
  });

  it('keeps CPT (canonical) when it is the only coding, and performedString as text', () => {
    const [row] = normalizeProcedure({
      resourceType: 'Procedure',
      status: 'completed',
      subject: { reference: 'Patient/p' },
      code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.12', code: '99213' }] },
      performedString: 'as a child',
    });
    expect(row).toMatchObject({ codeSystem: 'http://www.ama-assn.org/go/cpt', code: '99213', text: 'as a child', startTime: null });
  });
});
