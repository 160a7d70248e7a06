import { normalizeDiagnosticReport } from '../../../bridge/normalize/diagnostic-report';

describe('normalizeDiagnosticReport', () => {
  it('maps code, category, effective, issued, conclusion and result references', () => {
    const [row] = normalizeDiagnosticReport({
      resourceType: 'DiagnosticReport',
      status: 'final',
      subject: { reference: 'Patient/p' },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '57698-3', display: 'Lipid panel' }] },
      effectiveDateTime: '2011-03-04T08:30:00+11:00',
      issued: '2013-01-27T11:45:33+11:00',
      conclusion: 'Elevated LDL',
      result: [{ reference: 'Observation/a' }, { display: 'no reference' }, { reference: 'Observation/b' }],
    });
    expect(row).toMatchObject({
      domain: 'diagnostic_report',
      code: '57698-3',
      category: 'LAB',
      startTime: '2011-03-03T21:30:00.000Z',
      issuedTime: '2013-01-27T00:45:33.000Z',
      text: 'Elevated LDL',
      resultRefs: ['Observation/a', 'Observation/b'],
    });
  });

  it('tolerates no results', () => {
    expect(normalizeDiagnosticReport({ resourceType: 'DiagnosticReport', status: 'registered', code: {} })[0]).toMatchObject({ resultRefs: null, code: null });
  });
});
