import { provisionGrants, UNEVALUATED_PROVISION_ELEMENTS } from '../../../bridge/access/consent-rules';

const now = new Date('2025-06-15T12:00:00Z');
const permit = { type: 'permit', actor: [{ reference: { reference: 'Organization/x' } }] };
const action = (...codes: string[]) => [{ coding: codes.map((code) => ({ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code })) }];

test('a plain permit grants, within its period', () => {
  expect(provisionGrants(permit, now)).toBe(true);
  expect(provisionGrants({ ...permit, period: { start: '2025-01-01', end: '2025-12-31' } }, now)).toBe(true);
  expect(provisionGrants({ ...permit, period: { end: '2025-06-01' } }, now)).toBe(false);
  expect(provisionGrants({ ...permit, type: 'deny' }, now)).toBe(false);
  expect(provisionGrants(null, now)).toBe(false);
});

test('listed actions must include sharing (access, disclose or use)', () => {
  expect(provisionGrants({ ...permit, action: action('access') }, now)).toBe(true);
  expect(provisionGrants({ ...permit, action: action('collect', 'disclose') }, now)).toBe(true);
  expect(provisionGrants({ ...permit, action: action('collect') }, now)).toBe(false);
  expect(provisionGrants({ ...permit, action: [{ text: 'share it' }] }, now)).toBe(false);
});

test('fails closed on every criterion that narrows what is shared', () => {
  const narrowing: Record<(typeof UNEVALUATED_PROVISION_ELEMENTS)[number], unknown> = {
    provision: [{ type: 'deny', class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] }],
    data: [{ meaning: 'instance', reference: { reference: 'Observation/1' } }],
    class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Condition' }],
    code: [{ coding: [{ system: 'http://snomed.info/sct', code: '74732009' }] }],
    dataPeriod: { start: '2020-01-01' },
    securityLabel: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
    purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
  };
  for (const [element, value] of Object.entries(narrowing)) expect([element, provisionGrants({ ...permit, [element]: value }, now)]).toEqual([element, false]);
});
