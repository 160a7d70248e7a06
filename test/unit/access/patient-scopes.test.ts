import { grantPatientScopes, withinGrant } from '../../../bridge/access/patient-scopes';

/** SMART App Launch 2.0 scopes a patient app is granted: read/search, and writes only on what a patient owns. */
describe('grantPatientScopes', () => {
  test.each([
    ['patient/*.cruds', ['patient/*.rs', 'patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u']],
    ['patient/Observation.cud', []],
    ['patient/Observation.cruds patient/AllergyIntolerance.d', ['patient/Observation.rs']],
    ['patient/Consent.cruds patient/Task.cruds patient/Subscription.cud', ['patient/Consent.cruds', 'patient/Task.rus', 'patient/Subscription.cd']],
    ['patient/*.write', ['patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u']],
    ['patient/Observation.rs patient/Condition.r', ['patient/Observation.rs', 'patient/Condition.r']],
    ['patient/*.read patient/*.write', ['patient/*.read', 'patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u']],
    ['patient/*.*', ['patient/*.rs', 'patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u']],
    ['system/*.rs user/*.rs launch launch/encounter', []],
    ['patient/Observation.rs?category=laboratory', []],
    ['launch/patient openid fhirUser online_access offline_access', ['launch/patient', 'openid', 'fhirUser', 'offline_access']],
    ['openid openid patient/*.rs patient/*.cruds', ['openid', 'patient/*.rs', 'patient/Consent.cud', 'patient/Subscription.cd', 'patient/Task.u']],
    ['', []],
  ])('%s → %j', (asked, granted) => {
    expect(grantPatientScopes(asked)).toEqual(granted);
  });
  test('a refresh may narrow, never widen', () => {
    expect(withinGrant(['patient/*.rs'], ['patient/*.rs', 'openid'])).toBe(true);
    expect(withinGrant(['patient/*.cruds'], ['patient/*.rs'])).toBe(false);
  });
});
