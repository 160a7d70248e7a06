import { timeline } from '../../../bridge/pull/timeline';
import type { PersonAccess } from '../../../bridge/access/types';

const own = { patientId: 'p-own', clinicId: 'c-me', basis: 'own' as const };

test("the internal person id reaches only a caller with consented access to another clinic's record", () => {
  const mine: PersonAccess = { personId: 'person-1', patients: [own] };
  expect(timeline(mine, [], []).person).toEqual({ patients: [] });
  expect(JSON.stringify(timeline(mine, [], []))).not.toContain('person-1');
  const glass: PersonAccess = {
    personId: 'person-1',
    patients: [own, { patientId: 'p-b', clinicId: 'c-b', basis: 'break-glass' }],
    breakGlassReason: 'ETREAT: x',
  };
  expect(timeline(glass, [], []).person.id).toBeUndefined();
  const consented: PersonAccess = { personId: 'person-1', patients: [own, { patientId: 'p-b', clinicId: 'c-b', basis: 'consent' }] };
  expect(timeline(consented, [], []).person.id).toBe('person-1');
});
