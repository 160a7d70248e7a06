import { accessOptions, admitAccessHeaders, requestPurpose } from '../../../bridge/access/admission';
import type { AccessServices } from '../../../bridge/access/services';
import { actingClinic, adminSession, clinicSession, sessionClinicId } from '../../../bridge/access/session';
import { recordBasis } from '../../../bridge/access/person-access';
import { FhirError } from '../../../bridge/fhir/outcome';

/** Session building and the admission of purpose of use, without break-glass (which reads the store: see integration/access/session). */
const clinic = { id: '11111111-1111-4111-8111-111111111111', name: 'Clinic A' };
/** No database: admission without X-Break-Glass must not touch it (a query here would throw). */
const noDb = {
  db: new Proxy(
    {},
    {
      get: () => {
        throw new Error('the database was used');
      },
    },
  ),
  breakGlassLimit: 3,
} as unknown as AccessServices;

test('an API key session is a clinic principal without scopes: it may do what its clinic may', () => {
  const s = clinicSession(clinic, 'api-key', ['system/*.rs']);
  expect(s).toEqual({ principal: { kind: 'clinic', clinicId: clinic.id, clinicName: 'Clinic A' }, credential: 'api-key' });
  expect(s.scopes).toBeUndefined();
  expect(actingClinic(s)).toBe(clinic.id);
  expect(sessionClinicId(s)).toBe(clinic.id);
});

test('a SMART token session carries exactly the token scopes, also when it has none', () => {
  expect(clinicSession(clinic, 'smart-token', ['system/Patient.rs', 'system/*.cud']).scopes).toEqual(['system/Patient.rs', 'system/*.cud']);
  expect(clinicSession(clinic, 'smart-token').scopes).toEqual([]);
  expect(clinicSession(clinic, 'smart-token').credential).toBe('smart-token');
});

test('an admin session acts for no clinic: clinic operations refuse it with 403', () => {
  const s = adminSession();
  expect(s).toEqual({ principal: { kind: 'admin' }, credential: 'admin-token' });
  expect(sessionClinicId(s)).toBeNull();
  expect(() => actingClinic(s)).toThrow(FhirError);
  try {
    actingClinic(s);
  } catch (e) {
    expect((e as FhirError).status).toBe(403);
  }
});

test('X-Purpose-Of-Use is trimmed, clipped to 200 characters, and absent when empty', () => {
  expect(requestPurpose('  TREAT  ')).toBe('TREAT');
  expect(requestPurpose('x'.repeat(300))).toHaveLength(200);
  expect(requestPurpose('   ')).toBeUndefined();
  expect(requestPurpose(undefined)).toBeUndefined();
});

test('admission without break-glass sets the purpose and reads nothing from the store', async () => {
  const s = await admitAccessHeaders(noDb, clinicSession(clinic, 'api-key'), { purposeOfUse: ' TREAT ' });
  expect(s.purpose).toBe('TREAT');
  expect(s.breakGlass).toBeUndefined();
  expect(accessOptions(s)).toEqual({ purpose: 'TREAT' });
  const none = await admitAccessHeaders(noDb, clinicSession(clinic, 'api-key'), {});
  expect(none).toEqual(clinicSession(clinic, 'api-key'));
  expect(accessOptions(none)).toEqual({});
});

test('a malformed break-glass is refused (400) before the store is asked', async () => {
  for (const headers of [
    { breakGlass: 'short', purposeOfUse: 'ETREAT' },
    { breakGlass: 'unconscious in ER' },
    { breakGlass: 'unconscious in ER', purposeOfUse: 'TREAT' },
  ]) {
    await expect(admitAccessHeaders(noDb, clinicSession(clinic, 'api-key'), headers)).rejects.toMatchObject({ status: 400 });
  }
});

test('the policy options of a session with an admitted break-glass name its code and reason', () => {
  const s = { ...clinicSession(clinic, 'api-key'), purpose: 'ETREAT', breakGlass: { purpose: 'ETREAT', reason: 'unconscious in ER' } };
  expect(accessOptions(s)).toEqual({ breakGlassReason: 'ETREAT: unconscious in ER', purpose: 'ETREAT' });
});

test('the basis of one record: own first, then consent, then an admitted break-glass, else none', () => {
  expect(recordBasis('A', 'A', false, false)).toBe('own');
  expect(recordBasis('A', 'A', true, true)).toBe('own');
  expect(recordBasis('B', 'A', true, true)).toBe('consent');
  expect(recordBasis('B', 'A', false, true)).toBe('break-glass');
  expect(recordBasis('B', 'A', false, false)).toBeNull();
});
