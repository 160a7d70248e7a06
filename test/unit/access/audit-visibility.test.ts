import { auditView, auditVisibility, AuditViewer, mayListAuditOf, REDACTED, shownWhole, wholeView } from '../../../bridge/access/audit-visibility';
import { toAuditEvent } from '../../../bridge/fhir/audit-event';
import type { StoredAudit } from '../../../bridge/model/audit';

/** Person P has records pa (clinic A) and pb (clinic B); X holds px, linked to P by a claimed identifier. */
const [A, B, X, C] = [
  '0a000000-0000-4000-8000-000000000000',
  '0b000000-0000-4000-8000-000000000000',
  '0c000000-0000-4000-8000-000000000000',
  '0d000000-0000-4000-8000-000000000000',
];
const [pa, pb, px] = ['1a000000-0000-4000-8000-000000000000', '1b000000-0000-4000-8000-000000000000', '1c000000-0000-4000-8000-000000000000'];
const P = '2f000000-0000-4000-8000-000000000000';

const entry = (change: Partial<StoredAudit>): StoredAudit => ({
  id: '3e000000-0000-4000-8000-000000000000',
  recorded: '2025-03-01T10:00:00.000Z',
  clinicId: B,
  agent: null,
  action: 'read',
  outcome: 'success',
  personId: P,
  patientIds: [pa],
  resourceTypes: ['Observation'],
  purpose: 'treatment',
  breakGlass: false,
  detail: 'basis consent',
  hash: '0x' + 'ab'.repeat(32),
  ...change,
});
const clinic = (clinicId: string, own: string[]): AuditViewer => ({ kind: 'clinic', clinicId, ownPatientIds: new Set(own) });
const [asA, asB, asX] = [clinic(A, [pa]), clinic(B, [pb]), clinic(X, [px])];

test("a clinic sees its own actions and accesses to records it holds; nobody else's", () => {
  const bReadsA = entry({});
  expect(auditVisibility(asB, bReadsA)).toBe('agent');
  expect(auditVisibility(asA, bReadsA)).toBe('holder');
  // X holds a record of the same person: that gives it nothing.
  expect(auditVisibility(asX, bReadsA)).toBeNull();
  expect(auditView(asX, bReadsA)).toBeNull();
  // An entry about B's records only is not A's, though A holds a record of the same person.
  expect(auditVisibility(asA, entry({ clinicId: C, patientIds: [pb] }))).toBeNull();
  // An admin's action about nobody's records (a key rotation) is no clinic's.
  expect(auditVisibility(asA, entry({ clinicId: null, personId: null, patientIds: [] }))).toBeNull();
});

test('what a clinic is shown: its own records only, never the person id; the agent of an access to its records', () => {
  const glass = entry({ clinicId: C, patientIds: [pa, pb], breakGlass: true, purpose: 'ETREAT: unconscious', detail: null });
  const shown = auditView(asA, glass)!;
  expect(shown).toEqual({ patientIds: [pa], personId: null, agentClinicId: C, detail: null });
  const event = toAuditEvent(glass, shown);
  const text = JSON.stringify(event);
  expect(text).not.toContain(pb);
  expect(text).not.toContain(P);
  expect(event.agent[0].who?.reference).toBe(`Organization/${C}`);
  expect(event.entity?.filter((e) => e.what?.reference).map((e) => e.what?.reference)).toEqual([`Patient/${pa}`]);
  expect(event.purposeOfEvent?.[0].text).toBe('unconscious');
  // The agent's own refusal names nothing it may not see: not the record it tried, not the person.
  const refused = auditView(asX, entry({ clinicId: X, action: 'refused', outcome: 'refused', patientIds: [pa], detail: `read refused for ${pa}` }))!;
  expect(refused).toEqual({ patientIds: [], personId: null, agentClinicId: X, detail: `read refused for ${REDACTED}` });
});

test("an admin's link names its persons in the detail: a clinic holding a linked record sees it happened, no ids", () => {
  const link = entry({ clinicId: null, action: 'link', patientIds: [pa, pb], detail: `person ${'3f000000-0000-4000-8000-000000000000'} merged` });
  const shown = auditView(asA, link)!;
  expect(shown).toEqual({ patientIds: [pa], personId: null, agentClinicId: null, detail: `person ${REDACTED} merged` });
  expect(toAuditEvent(link, shown).agent[0].who).toEqual({ display: 'bridge administrator' });
});

const account = '5a000000-0000-4000-8000-000000000000';
const me: AuditViewer = {
  kind: 'patient',
  accountId: account,
  personId: P,
  patientId: pa,
  patientIds: new Set([pa, pb]),
  clinicNames: new Map([[C, 'Clinic C']]),
};

test('the patient sees every entry about their records and of their own account, never their person id', () => {
  const e = entry({ clinicId: C, patientIds: [pa, pb] });
  expect(auditVisibility(me, e)).toBe('subject');
  const shown = auditView(me, e)!;
  expect(shown).toMatchObject({ patientIds: [pa, pb], personId: null, agentClinicId: C, agentWho: { reference: `Organization/${C}`, display: 'Clinic C' } });
  expect(JSON.stringify(toAuditEvent(e, shown))).not.toContain(P);
  expect(auditVisibility(me, entry({ personId: '4f000000-0000-4000-8000-000000000000', patientIds: [px] }))).toBeNull();
  // A refused pull by match handle names the person and no record: theirs.
  expect(auditVisibility(me, entry({ outcome: 'refused', patientIds: [] }))).toBe('subject');
  // Their own refusal names nothing: theirs by the account.
  const mine = entry({ clinicId: null, agent: { kind: 'patient', accountId: account }, personId: null, patientIds: [], outcome: 'refused' });
  expect(auditVisibility(me, mine)).toBe('agent');
  expect(toAuditEvent(mine, auditView(me, mine)!).agent[0]).toMatchObject({ who: { reference: `Patient/${pa}`, display: 'you' } });
  // Another account's refusal is not theirs.
  expect(auditVisibility(me, { ...mine, agent: { kind: 'patient', accountId: '5b000000-0000-4000-8000-000000000000' } })).toBeNull();
  // A clinic's search naming another person's record too: no detail (its count describes them).
  expect(auditView(me, entry({ patientIds: [pa, px], detail: '7 match(es)' }))!.detail).toBeNull();
  expect(mayListAuditOf(me, pb)).toBe(true);
  expect(mayListAuditOf(me, px)).toBe(false);
});

test("a clinic sees a patient's own read of its records as 'the patient' (its own record), no account, no detail", () => {
  const read = entry({ clinicId: null, agent: { kind: 'patient', accountId: account }, patientIds: [pa, pb], detail: '3 match(es)' });
  const shown = auditView(asA, read)!;
  expect(shown).toMatchObject({ patientIds: [pa], personId: null, detail: null, agentWho: { reference: `Patient/${pa}`, display: 'the patient' } });
  const event = toAuditEvent(read, shown);
  expect(JSON.stringify(event)).not.toContain(account);
  expect(event.agent[0].role?.[0].coding?.[0].code).toBe('PAT');
  expect(shownWhole(read, shown)).toBe(false);
  const link = entry({ clinicId: null, agent: { kind: 'health-link', linkId: 'l1', recipient: 'Dr Rossi' }, patientIds: [pa] });
  expect(JSON.stringify(toAuditEvent(link, auditView(asA, link)!))).not.toContain('Rossi');
  expect(toAuditEvent(link, auditView(me, link)!).agent[0].who?.display).toBe('Dr Rossi (SMART Health Link recipient)');
});

test('a clinic lists the trail of its own records only', () => {
  expect(mayListAuditOf(asA, pa)).toBe(true);
  expect(mayListAuditOf(asA, pb)).toBe(false);
  expect(mayListAuditOf(asX, pa)).toBe(false);
});

test('the hashed document may be served only when the view hides nothing it holds', () => {
  const own = entry({ clinicId: A, patientIds: [pa] });
  expect(shownWhole(own, auditView(asA, own)!)).toBe(true);
  const both = entry({ clinicId: B, patientIds: [pa, pb] });
  expect(shownWhole(both, auditView(asA, both)!)).toBe(false);
  expect(shownWhole(both, wholeView(both))).toBe(true);
});
