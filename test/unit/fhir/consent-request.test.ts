import { UNEVALUATED_PROVISION_ELEMENTS, provisionGrants } from '../../../bridge/access/consent-rules';
import {
  approvalBundle,
  homeClinicTag,
  homeTask,
  homeTaskId,
  NARROWING_PROVISION_ELEMENTS,
  parseConsentRequest,
  parseHomeTaskId,
  requesterStatus,
  requesterTask,
  type StoredConsentRequest,
} from '../../../bridge/fhir/consent-request';
import { FhirError } from '../../../bridge/fhir/outcome';
import { consentRequestTask } from '../../helpers/consent-requests';

const NOW = new Date('2026-06-01T12:00:00Z');
const C = '00000000-0000-4000-8000-00000000000c';
const A = '00000000-0000-4000-8000-00000000000a';
const HANDLE = 'm0123456789abcdef0123456789abcdef';

function task(over: Record<string, unknown> = {}, provision: Record<string, unknown> = {}): Record<string, unknown> {
  return consentRequestTask({ handle: HANDLE, requester: C, purpose: 'TREAT', period: { start: '2026-06-01', end: '2026-07-01' }, task: over, provision });
}
const parse = (body: unknown) => parseConsentRequest(body, C, { maxDays: 365, now: NOW });
const failure = (body: unknown): FhirError => {
  try {
    parse(body);
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('accepted');
};

test('a well-formed request is read: handle, purpose, period as written and as instants, note', () => {
  expect(parse(task({ note: [{ text: 'a' }, { text: 'b' }] }))).toEqual({
    handle: HANDLE,
    purpose: 'TREAT',
    note: 'a\nb',
    period: { start: '2026-06-01', end: '2026-07-01' },
    periodStart: '2026-06-01T00:00:00.000Z',
    periodEnd: expect.stringMatching(/^2026-07-01T23:59:59/),
  });
});

test.each([
  ['status', task({ status: 'draft' }), 'Task.status'],
  ['intent', task({ intent: 'order' }), 'Task.intent'],
  ['code', task({ code: { text: 'please' } }), 'Task.code'],
  ['owner', task({ owner: { reference: `Organization/${A}` } }), 'Task.owner'],
  ['requester', task({ requester: { reference: `Organization/${A}` } }), 'Task.requester'],
  ['for', task({ for: { reference: 'Group/1' } }), 'Task.for'],
  ['purpose missing', task({ reasonCode: undefined }), 'Task.reasonCode'],
  [
    'purpose not for care',
    task({ reasonCode: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HMARKT' }] } }),
    'Task.reasonCode',
  ],
  ['focus', task({ focus: { reference: 'Consent/1' } }), 'Task.focus'],
  ['actor', task({}, { actor: [{ reference: { reference: `Organization/${A}` } }] }), 'Task.contained[0].provision.actor'],
  ['deny', task({}, { type: 'deny' }), 'Task.contained[0].provision.type'],
  ['unbounded', task({}, { period: { start: '2026-06-01' } }), 'Task.contained[0].provision.period'],
])('400 on %s', (_name, body, expression) => {
  const err = failure(body);
  expect(err.status).toBe(400);
  expect(err.issues.map((i) => i.expression)).toContain(expression);
});

test('every structural problem is reported at once', () => {
  expect(failure(task({ status: 'draft', intent: 'order', reasonCode: undefined })).issues).toHaveLength(3);
});

test.each(NARROWING_PROVISION_ELEMENTS.map((e) => [e]))('422 on a provision narrowed by %s, naming patient-controlled consent', (element) => {
  const err = failure(task({}, { [element]: [{}] }));
  expect(err.status).toBe(422);
  expect(err.issues[0].diagnostics).toMatch(/patient-controlled consent/);
});

test('422 on a period in the past, too long, or starting long ago', () => {
  expect(failure(task({}, { period: { start: '2026-01-01', end: '2026-02-01' } })).status).toBe(422);
  expect(failure(task({}, { period: { start: '2026-06-01', end: '2028-06-01' } })).status).toBe(422);
  expect(failure(task({}, { period: { start: '2026-04-01', end: '2026-07-01' } })).status).toBe(422);
  expect(parseConsentRequest(task({}, { period: { start: '2026-06-01', end: '2028-06-01' } }), C, { maxDays: 800, now: NOW }).handle).toBe(HANDLE);
});

test('the narrowing list is exactly what consent-rules does not evaluate', () => {
  expect([...NARROWING_PROVISION_ELEMENTS]).toEqual([...UNEVALUATED_PROVISION_ELEMENTS]);
});

const stored: StoredConsentRequest = {
  id: '11111111-2222-4333-8444-555555555555',
  requesterClinicId: C,
  requesterName: 'Clinica C',
  handle: HANDLE,
  purpose: 'ETREAT',
  period: { start: '2026-06-01', end: '2026-07-01' },
  note: 'pneumonia',
  status: 'requested',
  authoredOn: '2026-06-01T12:00:00.000Z',
  lastModified: '2026-06-01T12:00:00.000Z',
};

test('the requester sees the handle and the status; a home clinic its own record, as owner, with the requester', () => {
  const r = requesterTask(stored);
  expect(r).toMatchObject({ id: stored.id, for: { reference: `Patient/${HANDLE}` }, status: 'requested', requester: { reference: `Organization/${C}` } });
  expect(r.owner).toBeUndefined();
  const id = homeTaskId(stored.id, A);
  const h = homeTask(stored, {
    taskId: id,
    clinicId: A,
    patientIds: ['p1', 'p2'],
    status: 'accepted',
    reason: null,
    consentIds: ['k1'],
    lastModified: stored.lastModified,
  });
  expect(h).toMatchObject({
    id,
    for: { reference: 'Patient/p1' },
    owner: { reference: `Organization/${A}` },
    status: 'accepted',
    output: [{ valueReference: { reference: 'Consent/k1' } }],
  });
  expect(JSON.stringify(h)).not.toContain(HANDLE);
  expect(parseHomeTaskId(id)).toEqual({ requestId: stored.id, clinicTag: homeClinicTag(stored.id, A) });
  expect(homeTaskId(stored.id, C)).not.toBe(id);
  expect(parseHomeTaskId(stored.id)).toBeNull();
});

test('an approval Consent per own record grants under consent-rules (no narrowing, permit, period, actor)', () => {
  const bundle = approvalBundle(stored, ['p1', 'p2']) as { entry: { resource: any; request: any }[] };
  expect(bundle.entry.map((e) => e.request)).toEqual([
    { method: 'PUT', url: `Consent/cr-${stored.id}-0` },
    { method: 'PUT', url: `Consent/cr-${stored.id}-1` },
  ]);
  for (const e of bundle.entry) {
    expect(e.resource).toMatchObject({ status: 'active', provision: { actor: [{ reference: { reference: `Organization/${C}` } }] } });
    expect(provisionGrants(e.resource.provision, new Date('2026-06-15T00:00:00Z'))).toBe(true);
    expect(provisionGrants(e.resource.provision, new Date('2026-07-02T00:00:00Z'))).toBe(false);
  }
  expect(JSON.stringify(approvalBundle(stored, ['p1']))).toBe(JSON.stringify(approvalBundle(stored, ['p1'])));
  // a revocation: the same Consents (same ids), inactive
  const revoked = approvalBundle(stored, ['p1'], 'inactive') as { entry: { resource: any; request: any }[] };
  expect(revoked.entry[0]).toMatchObject({ resource: { status: 'inactive' }, request: { url: `Consent/cr-${stored.id}-0` } });
});

test('requester status: accepted once any home clinic accepted, rejected once all declined, cancelled once an approval was revoked and none stands', () => {
  expect(requesterStatus(['cancelled', 'rejected'])).toBe('cancelled');
  expect(requesterStatus(['cancelled', 'requested'])).toBe('requested');
  expect(requesterStatus(['cancelled', 'accepted'])).toBe('accepted');
  expect(requesterStatus([])).toBe('requested');
  expect(requesterStatus(['requested', 'rejected'])).toBe('requested');
  expect(requesterStatus(['rejected', 'accepted'])).toBe('accepted');
  expect(requesterStatus(['rejected', 'rejected'])).toBe('rejected');
});
