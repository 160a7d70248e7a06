import { entryInteraction, grantScopes, parseScope, scopesAllow } from '../../../bridge/access/scopes';

test('v2 and v1 scopes parse to their permissions; malformed ones do not', () => {
  expect([...parseScope('system/*.rs')!.perms]).toEqual(['r', 's']);
  expect([...parseScope('system/Patient.cruds')!.perms]).toEqual(['c', 'r', 'u', 'd', 's']);
  expect([...parseScope('system/*.read')!.perms]).toEqual(['r', 's']);
  expect([...parseScope('system/*.write')!.perms]).toEqual(['c', 'u', 'd']);
  expect(parseScope('system/Observation.cud')).toEqual({ type: 'Observation', perms: new Set(['c', 'u', 'd']) });
  for (const bad of ['system/*.', 'system/*.sr', 'patient/*.rs', 'user/Patient.read', 'system/patient.rs', 'system/*.rs?category=x', 'openid', '']) {
    expect(parseScope(bad)).toBeNull();
  }
});

test('the grant keeps the valid scopes asked, once each, and drops the rest', () => {
  expect(grantScopes('system/*.rs launch system/*.rs system/Patient.cud')).toEqual(['system/*.rs', 'system/Patient.cud']);
  expect(grantScopes('openid fhirUser')).toEqual([]);
  expect(grantScopes(undefined)).toEqual([]);
  expect(grantScopes('system/*.rs system/Patient.c', (s) => s.type === 'Patient')).toEqual(['system/Patient.c']);
});

test('an interaction needs its letter on the type or on *', () => {
  const readOnly = ['system/*.rs'];
  expect(scopesAllow(readOnly, 'Patient', 'read')).toBe(true);
  expect(scopesAllow(readOnly, 'Observation', 'search')).toBe(true);
  expect(scopesAllow(readOnly, 'Patient', 'create')).toBe(false);
  const mixed = ['system/Patient.r', 'system/Observation.c'];
  expect(scopesAllow(mixed, 'Patient', 'read')).toBe(true);
  expect(scopesAllow(mixed, 'Patient', 'search')).toBe(false);
  expect(scopesAllow(mixed, 'Observation', 'create')).toBe(true);
  expect(scopesAllow(mixed, 'Observation', 'update')).toBe(false);
  expect(scopesAllow(mixed, '*', 'read')).toBe(false);
  expect(scopesAllow(['system/*.write'], 'Encounter', 'delete')).toBe(true);
  expect(scopesAllow([], 'Patient', 'read')).toBe(false);
});

test('bundle entry methods map to interactions', () => {
  expect(entryInteraction('POST', false)).toBe('create');
  expect(entryInteraction('PUT', true)).toBe('update');
  expect(entryInteraction('PATCH', true)).toBe('update');
  expect(entryInteraction('DELETE', true)).toBe('delete');
  expect(entryInteraction('GET', true)).toBe('read');
  expect(entryInteraction('GET', false)).toBe('search');
  expect(entryInteraction('FOO', false)).toBeNull();
});

test('patient scopes are read only in the patient context, system scopes only in the system context', () => {
  expect(parseScope('patient/Observation.rs', 'patient')).toEqual({ type: 'Observation', perms: new Set(['r', 's']) });
  expect(parseScope('patient/Observation.rs')).toBeNull();
  expect(parseScope('system/*.rs', 'patient')).toBeNull();
  expect(scopesAllow(['patient/*.rs'], 'Condition', 'search', 'patient')).toBe(true);
  expect(scopesAllow(['patient/*.rs'], 'Condition', 'search')).toBe(false);
  expect(scopesAllow(['system/*.cruds'], 'Condition', 'read', 'patient')).toBe(false);
  expect(scopesAllow(['patient/Observation.r'], 'Condition', 'read', 'patient')).toBe(false);
});
