import { validateResource } from '@medplum/core';
import { toAuditEvent as render } from '../../../bridge/fhir/audit-event';
import { wholeView } from '../../../bridge/access/audit-visibility';
import { loadFhirDefinitions } from '../../../bridge/fhir/validate';
import { auditCanonical, StoredAudit } from '../../../bridge/store/audit';

/** The whole entry, as the bridge itself sees it (what a clinic is shown is tested in audit-visibility.test.ts). */
const toAuditEvent = (a: StoredAudit) => render(a, wholeView(a));
import { periodContains } from '../../../bridge/access/consent-rules';
import { bundleHash, sha256Hex } from '../../../bridge/fhir/hash';

const base: StoredAudit = {
  id: '3f1c1a52-6f0a-4a4e-9a43-0d5a0f0c9d11',
  recorded: '2025-03-01T10:00:00.000Z',
  clinicId: '0c9f3e0e-2b39-4d35-8d3f-3d4c0a2b7e55',
  agent: null,
  action: 'read',
  outcome: 'success',
  personId: 'a7d9a1c4-1f0e-4c44-9e0e-5b2f1f0e9a01',
  patientIds: ['5b0e3c1a-9c1d-4f7e-8a2b-1c2d3e4f5a6b'],
  resourceTypes: ['Observation'],
  purpose: 'unconscious in ER',
  breakGlass: true,
  detail: 'basis break-glass',
  hash: '0x' + 'ab'.repeat(32),
};

beforeAll(() => loadFhirDefinitions());

test.each<[string, Partial<StoredAudit>]>([
  ['break-glass read', {}],
  ['break-glass read with a coded purpose', { purpose: 'ETREAT: unconscious in ER' }],
  ['admin enables break-glass', { action: 'break-glass-enable', clinicId: null, breakGlass: false, purpose: null, personId: null, patientIds: [] }],
  ['refusal', { action: 'refused', outcome: 'refused', breakGlass: false, purpose: null }],
  ['push of several persons', { action: 'push', personId: null, breakGlass: false, purpose: null, detail: 'bundle 0x00' }],
  ['admin link', { action: 'link', clinicId: null, breakGlass: false, purpose: null }],
  ['error', { action: 'push', outcome: 'error', personId: null, patientIds: [], resourceTypes: [], breakGlass: false, purpose: null, detail: null }],
])('%s is a valid FHIR R4 AuditEvent', (_name, change) => {
  const event = toAuditEvent({ ...base, ...change });
  expect(() => validateResource(event)).not.toThrow();
  expect(() => validateResource({ ...event, agent: undefined } as never)).toThrow(); // the validator does check
});

test('break-glass is flagged with v3-ActReason BTG and the reason; the agent is the clinic as Organization', () => {
  const e = toAuditEvent(base);
  expect(e.purposeOfEvent?.[0]).toEqual({ coding: [expect.objectContaining({ code: 'BTG' })], text: 'unconscious in ER' });
  expect(e.meta?.security?.[0].code).toBe('BTG');
  expect(e.agent[0].who?.reference).toBe(`Organization/${base.clinicId}`);
  expect(e.entity?.[0].what?.reference).toBe(`Patient/${base.patientIds[0]}`);
  expect(e.outcome).toBe('0');
  expect(toAuditEvent({ ...base, outcome: 'refused' }).outcome).toBe('4');
});

test('the canonical form is stable and hashed as a bundle is', () => {
  const { hash: _h, ...row } = base;
  const c = auditCanonical(row);
  expect(c).toBe(auditCanonical({ ...row }));
  expect(c.startsWith(`{"action":"read","auditId":"${row.id}","breakGlass":true`)).toBe(true);
  expect(sha256Hex(c)).toMatch(/^0x[0-9a-f]{64}$/);
  // The document hashes the same through the bundle-hash path `fhir-bridge verify` uses (no root id or meta to drop).
  expect(bundleHash(JSON.parse(c))).toBe(sha256Hex(c));
});

test('consent periods: open ends, partial dates, bounds inclusive', () => {
  const now = new Date('2025-06-15T12:00:00Z');
  expect(periodContains(null, null, now)).toBe(true);
  expect(periodContains('2025', null, now)).toBe(true);
  expect(periodContains(null, '2025-06', now)).toBe(true);
  expect(periodContains(null, '2025-05', now)).toBe(false);
  expect(periodContains('2025-06-16', null, now)).toBe(false);
  expect(periodContains(null, '2025-06-15T12:00:00Z', now)).toBe(true);
  expect(periodContains(null, 'not a date', now)).toBe(false);
});

test('a break-glass purpose of use stored as `CODE: reason` is coded v3-ActReason beside BTG, the reason as text', () => {
  const e = toAuditEvent({ ...base, purpose: 'ERTREAT: unconscious in ER' });
  expect(e.purposeOfEvent?.[0].coding?.map((c) => c.code)).toEqual(['BTG', 'ERTREAT']);
  expect(e.purposeOfEvent?.[0].text).toBe('unconscious in ER');
  expect(toAuditEvent({ ...base, purpose: 'BTG: unconscious in ER' }).purposeOfEvent?.[0].coding?.map((c) => c.code)).toEqual(['BTG']);
});
