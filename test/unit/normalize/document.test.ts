import { normalizeComposition, normalizeDocumentReference } from '../../../bridge/normalize/document';

describe('document', () => {
  it('DocumentReference: LOINC type, covered period, attachment metadata without data', () => {
    const [row] = normalizeDocumentReference({
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: 'final',
      subject: { reference: 'Patient/p' },
      type: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '34117-2', display: 'History and physical note' }] },
      category: [{ coding: [{ code: 'clinical-note' }] }],
      date: '2020-01-02T03:04:05Z',
      description: 'H&P',
      content: [{ attachment: { contentType: 'text/plain', data: 'SGVsbG8=', title: 'note.txt', size: 5 } }],
      context: { period: { start: '2019-12-30' }, encounter: [{ reference: 'Encounter/e1' }] },
    });
    expect(row).toMatchObject({
      domain: 'document',
      resourceType: 'DocumentReference',
      codeSystem: 'http://loinc.org',
      code: '34117-2',
      category: 'clinical-note',
      docStatus: 'final',
      startTime: '2019-12-30T00:00:00.000Z',
      title: 'note.txt',
      text: 'H&P',
      attachments: [{ contentType: 'text/plain', title: 'note.txt', size: 5 }],
      encounterRef: 'Encounter/e1',
    });
    expect(JSON.stringify(row)).not.toContain('SGVsbG8=');
  });

  it('DocumentReference without a period is dated by `date`', () => {
    const [row] = normalizeDocumentReference({ resourceType: 'DocumentReference', status: 'current', content: [], date: '2020-01-02T03:04:05Z' });
    expect(row).toMatchObject({ startTime: '2020-01-02T03:04:05.000Z', attachments: null, code: null });
  });

  it('Composition: type, date, title', () => {
    const [row] = normalizeComposition({
      resourceType: 'Composition',
      status: 'final',
      type: { coding: [{ system: 'http://loinc.org', code: '60591-5' }] },
      date: '2017-12-11T14:30:00+01:00',
      title: 'Patient Summary',
      author: [{ reference: 'Practitioner/x' }],
      subject: { reference: 'Patient/p' },
    });
    expect(row).toMatchObject({
      resourceType: 'Composition',
      code: '60591-5',
      startTime: '2017-12-11T13:30:00.000Z',
      title: 'Patient Summary',
      text: 'Patient Summary',
    });
  });
});
