import { grantPatientScopes, withinGrant } from '../../../bridge/access/patient-scopes';

/** SMART App Launch 2.0 scopes a patient app is granted: read/search only, never create/update/delete. */
describe('grantPatientScopes', () => {
  test.each([
    ['patient/*.cruds', ['patient/*.rs']],
    ['patient/Observation.cud', []],
    ['patient/Observation.rs patient/Condition.r', ['patient/Observation.rs', 'patient/Condition.r']],
    ['patient/*.read patient/*.write', ['patient/*.read']],
    ['patient/*.*', ['patient/*.rs']],
    ['system/*.rs user/*.rs launch launch/encounter', []],
    ['patient/Observation.rs?category=laboratory', []],
    ['launch/patient openid fhirUser online_access offline_access', ['launch/patient', 'openid', 'fhirUser', 'offline_access']],
    ['openid openid patient/*.rs patient/*.cruds', ['openid', 'patient/*.rs']],
    ['', []],
  ])('%s → %j', (asked, granted) => {
    expect(grantPatientScopes(asked)).toEqual(granted);
  });
  test('a refresh may narrow, never widen', () => {
    expect(withinGrant(['patient/*.rs'], ['patient/*.rs', 'openid'])).toBe(true);
    expect(withinGrant(['patient/*.cruds'], ['patient/*.rs'])).toBe(false);
  });
});
