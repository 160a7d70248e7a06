import { periodContains, provisionGrants, UNEVALUATED_PROVISION_ELEMENTS } from '../../../bridge/access/consent-rules';

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

describe('sharing actions (http://terminology.hl7.org/CodeSystem/consentaction)', () => {
  const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
  test.each([
    ['access', true],
    ['disclose', true],
    ['use', true],
    ['collect', false],
    ['correct', false],
    ['Access', false],
    ['', false],
  ])('%s → %s', (code, grants) => {
    expect(provisionGrants({ ...permit, action: [{ coding: [{ system: CONSENT_ACTION, code }] }] }, now)).toBe(grants);
    // a coding without a system is read as the consentaction code it spells
    expect(provisionGrants({ ...permit, action: [{ coding: [{ code }] }] }, now)).toBe(grants);
  });

  test.each(['http://example.org/actions', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', `${CONSENT_ACTION}/`])(
    'a sharing code of another system (%s) grants nothing',
    (system) => {
      for (const code of ['access', 'disclose', 'use']) expect(provisionGrants({ ...permit, action: [{ coding: [{ system, code }] }] }, now)).toBe(false);
    },
  );

  test('any one sharing coding among several actions grants; an empty action list grants nothing', () => {
    expect(
      provisionGrants({ ...permit, action: [{ coding: [{ system: 'http://other', code: 'x' }] }, { coding: [{ system: CONSENT_ACTION, code: 'use' }] }] }, now),
    ).toBe(true);
    expect(provisionGrants({ ...permit, action: [] }, now)).toBe(false);
    expect(provisionGrants({ ...permit, action: [{}] }, now)).toBe(false);
  });
});

describe('periods (partial dates cover their whole span)', () => {
  test.each<[{ start?: string; end?: string }, boolean]>([
    [{ start: '2025-06-15' }, true],
    [{ start: '2025-06-16' }, false],
    [{ end: '2025-06' }, true],
    [{ end: '2025-05' }, false],
    [{ start: '2025', end: '2025' }, true],
    [{ start: '2026' }, false],
    [{ end: '2024' }, false],
    [{ start: 'not a date' }, false],
    [{ end: 'not a date' }, false],
    [{ start: '2025-06-15T12:00:00Z', end: '2025-06-15T12:00:00Z' }, true],
    [{ start: '2025-06-15T12:00:01Z' }, false],
    [{ end: '2025-06-15T11:59:59Z' }, false],
    [{}, true],
  ])('%j → %s', (period, grants) => {
    expect(periodContains(period.start, period.end, now)).toBe(grants);
    expect(provisionGrants({ ...permit, period }, now)).toBe(grants);
  });
});
