import { patientGrant } from '../../../bridge/access/consent-rules';
import { recordAccess } from '../../../bridge/access/person-access';
import { parsePatientConsent } from '../../../bridge/fhir/patient-consent';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const now = new Date('2026-06-01T12:00:00Z');
const decision = (over: Record<string, unknown> = {}) => ({
  consentId: 'c',
  status: 'active' as const,
  periodStart: null,
  periodEnd: null,
  excludedLabels: [] as string[],
  ...over,
});

describe('patientGrant: the patient decision about a clinic', () => {
  test('none: clinic Consents apply (null)', () => expect(patientGrant(undefined, now)).toBeNull());
  test('active, no period: grants', () => expect(patientGrant(decision(), now)).toEqual({ grants: true, excludedLabels: [] }));
  test('active, period over: governs and grants nothing', () =>
    expect(patientGrant(decision({ periodStart: '2020-01-01T00:00:00.000Z', periodEnd: '2021-01-01T00:00:00.000Z' }), now)?.grants).toBe(false));
  test('active, period not begun: nothing yet', () => expect(patientGrant(decision({ periodStart: '2027-01-01T00:00:00.000Z' }), now)?.grants).toBe(false));
  test('revoked: governs and grants nothing', () => expect(patientGrant(decision({ status: 'inactive' }), now)?.grants).toBe(false));
});

describe('recordAccess: precedence', () => {
  const full = { grants: true, excludedLabels: [] };
  const restricted = { grants: true, excludedLabels: ['MH'] };
  const refused = { grants: false, excludedLabels: [] };
  test.each([
    ['own record, whatever the patient said', 'X', refused, false, false, { basis: 'own' }],
    ['no patient decision, clinic Consent', 'A', null, true, false, { basis: 'consent' }],
    ['no decision, nothing', 'A', null, false, false, { basis: null }],
    ['no decision, break-glass', 'A', null, false, true, { basis: 'break-glass' }],
    ['patient grants everything', 'A', full, false, false, { basis: 'consent' }],
    ['patient restricts', 'A', restricted, true, false, { basis: 'consent', excludedLabels: ['MH'] }],
    ['patient revoked although a clinic Consent exists', 'A', refused, true, false, { basis: null }],
    ['patient revoked, break-glass reads in full', 'A', refused, true, true, { basis: 'break-glass' }],
    ['patient restricts, break-glass reads in full', 'A', restricted, false, true, { basis: 'break-glass' }],
  ])('%s', (_name, holder, patient, clinicConsent, glass, expected) => {
    expect(recordAccess(holder as string, 'X', patient, clinicConsent as boolean, glass as boolean)).toEqual(expected);
  });
});

describe('parsePatientConsent', () => {
  const body = (provision: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({
    resourceType: 'Consent',
    status: 'active',
    patient: { reference: 'Patient/p1' },
    provision: { type: 'permit', actor: [{ reference: { reference: 'Organization/c1' } }], ...provision },
    ...over,
  });
  test('everything except: deny codes and what they withhold', () => {
    const p = parsePatientConsent(
      body({
        period: { start: '2026-01', end: '2026-12-31' },
        provision: [{ type: 'deny', securityLabel: ['SEX', 'MH', 'ETH'].map((code) => ({ system: ACT, code })) }],
      }),
      'create',
    );
    expect(p).toMatchObject({ patientId: 'p1', clinicId: 'c1', denyCodes: ['ETH', 'MH', 'SEX'], periodStart: '2026-01-01T00:00:00.000Z' });
    expect(p.excludedLabels).toContain('HIV');
    expect(p.periodEnd?.startsWith('2026-12-31T23:59:59')).toBe(true);
  });
  test('absolute references and the OID of ActCode are understood', () => {
    const p = parsePatientConsent(
      body(
        {
          actor: [{ reference: { reference: 'https://bridge.example/fhir/Organization/c2' } }],
          provision: [{ type: 'deny', securityLabel: [{ system: 'urn:oid:2.16.840.1.113883.5.4', code: 'HIV' }] }],
        },
        { patient: { reference: 'https://bridge.example/fhir/Patient/p2' } },
      ),
      'create',
    );
    expect([p.patientId, p.clinicId, p.denyCodes]).toEqual(['p2', 'c2', ['HIV']]);
  });
  test.each([
    ['inactive on create', body({}, { status: 'inactive' }), 422],
    ['two clinics', body({ actor: [{ reference: { reference: 'Organization/a' } }, { reference: { reference: 'Organization/b' } }] }), 422],
    ['an actor that is no Organization', body({ actor: [{ reference: { reference: 'Practitioner/a' } }] }), 422],
    [
      'another role',
      body({
        actor: [
          {
            role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT' }] },
            reference: { reference: 'Organization/a' },
          },
        ],
      }),
      422,
    ],
    ['a purpose', body({ purpose: [{ code: 'TREAT' }] }), 422],
    ['an unknown provision element', body({ foo: 1 }), 422],
    ['a non-sharing action', body({ action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'collect' }] }] }), 422],
    ['a research scope', body({}, { scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] } }), 422],
    ['a deny without labels', body({ provision: [{ type: 'deny' }] }), 422],
    ['a deny nesting deeper', body({ provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }], provision: [] }] }), 422],
    ['a label of another system', body({ provision: [{ type: 'deny', securityLabel: [{ system: 'http://example.org', code: 'MH' }] }] }), 422],
    ['no provision', body({}, { provision: undefined }), 400],
    ['a bad date', body({ period: { end: '31.12.2026' } }), 400],
  ])('refuses %s', (_name, b, status) => {
    expect(() => parsePatientConsent(b, 'create')).toThrow(expect.objectContaining({ status }));
  });
  test('update allows inactive', () => expect(parsePatientConsent(body({}, { status: 'inactive' }), 'update').status).toBe('inactive'));
});
