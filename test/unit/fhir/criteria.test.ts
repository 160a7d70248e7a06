import fc from 'fast-check';
import { Condition, criteriaLocks, decodeQueryComponent, parseCriteria, parseToken, resourceLocks } from '../../../bridge/fhir/criteria';
import { FhirError } from '../../../bridge/fhir/outcome';

const conditions = (q: string): Condition[] => parseCriteria('Patient', q, 'here').conditions;

describe('token values as FHIR R4 token search reads them (search.html#token)', () => {
  test.each([
    ['v', { code: 'v' }],
    ['s|v', { system: 's', code: 'v' }],
    ['|v', { system: null, code: 'v' }],
    ['s|', { system: 's' }],
    ['http://x|a|b', { system: 'http://x', code: 'a|b' }],
  ])('%s', (raw, meaning) => {
    expect(parseToken(raw)).toEqual(meaning);
  });
  test.each(['', '|'])('"%s" names nothing', (raw) => expect(parseToken(raw)).toBeNull());
});

describe('parseCriteria', () => {
  test.each([
    ['identifier=123', [{ param: 'identifier', code: '123' }]],
    ['identifier=urn:x|123', [{ param: 'identifier', system: 'urn:x', code: '123' }]],
    ['identifier=|123', [{ param: 'identifier', system: null, code: '123' }]],
    ['identifier=urn:x|', [{ param: 'identifier', system: 'urn:x' }]],
    ['_id=abc', [{ param: '_id', code: 'abc' }]],
    ['Patient?_id=abc', [{ param: '_id', code: 'abc' }]],
    ['?_id=abc', [{ param: '_id', code: 'abc' }]],
    ['identifier=a+b', [{ param: 'identifier', code: 'a b' }]],
    ['identifier=a%2Bb', [{ param: 'identifier', code: 'a+b' }]],
    ['identifier=a%20b', [{ param: 'identifier', code: 'a b' }]],
    ['identifier=urn%3Ax%7C1', [{ param: 'identifier', system: 'urn:x', code: '1' }]],
    ['%69dentifier=1', [{ param: 'identifier', code: '1' }]],
    ['identifier=1&&', [{ param: 'identifier', code: '1' }]],
    ['identifier=x=y', [{ param: 'identifier', code: 'x=y' }]],
  ])('%s', (q, expected) => {
    expect(conditions(q)).toEqual(expected);
  });

  test('a `+` is a space in the name too (application/x-www-form-urlencoded)', () => {
    expect(() => conditions('identi+fier=1')).toThrow('"identi fier" is not supported');
  });

  test('keys: equal for equivalent writings, different for different meanings', () => {
    const key = (q: string): string => parseCriteria('Patient', q, 'here').key;
    expect(key('identifier=http://mrn|1&_id=x')).toBe(key('Patient?_id=x&identifier=http%3A%2F%2Fmrn%7C1'));
    expect(key('identifier=1&identifier=1')).toBe(key('identifier=1'));
    expect(key('identifier=1&identifier=1')).toBe('identifier=1');
    expect(key('identifier=|1')).toBe('identifier=|1');
    expect(key('identifier=s|')).toBe('identifier=s|');
    expect(key('identifier=s|1')).toBe('identifier=s|1');
    expect(key('_id=a&identifier=b')).toBe('_id=a&identifier=b');
    expect(key('identifier=a%7Cb%26c%25')).toBe('identifier=a|b%26c%25');
    expect(key('identifier=%7Ca%7Cb')).toBe('identifier=|a%7Cb');
    const distinct = [
      'identifier=1',
      'identifier=|1',
      'identifier=s|1',
      'identifier=s|',
      'identifier=s%7C|',
      '_id=1',
      'identifier=1+',
      'identifier=a|b',
      'identifier=|a%7Cb',
    ];
    expect(new Set(distinct.map(key)).size).toBe(distinct.length);
    expect(parseCriteria('Patient', 'identifier=2&identifier=1', 'here').conditions.map((c) => c.code)).toEqual(['1', '2']);
  });

  test.each([
    ['name=peter', 400, 'not-supported', /"name" is not supported \(use identifier or _id\)/],
    ['identifier=', 400, 'invalid', /"identifier" has no value/],
    ['identifier', 400, 'invalid', /"identifier" has no value/],
    ['_id=', 400, 'invalid', /"_id" has no value/],
    ['identifier=|', 400, 'invalid', /"identifier" has no system and no value/],
    ['', 400, 'invalid', /^conditional criteria are empty$/],
    ['&', 400, 'invalid', /^conditional criteria are empty$/],
    ['identifier=%', 400, 'invalid', /^conditional criteria hold invalid percent-encoding$/],
    ['identifier=%zz', 400, 'invalid', /invalid percent-encoding/],
    ['%E0%A4%A=1', 400, 'invalid', /invalid percent-encoding/],
  ])('%s → %d %s', (q, status, code, diagnostics) => {
    let err: unknown;
    try {
      parseCriteria('Patient', q, 'Bundle.entry[0].request.url');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FhirError);
    const f = err as FhirError;
    expect(f.status).toBe(status);
    expect(f.issues).toHaveLength(1);
    expect(f.issues[0]).toEqual({ code, diagnostics: expect.stringMatching(diagnostics), expression: 'Bundle.entry[0].request.url' });
  });

  test('decodeQueryComponent decodes + then percent-escapes', () => {
    expect(decodeQueryComponent('a+b%2B%20c', 'w')).toBe('a b+ c');
    expect(decodeQueryComponent('++', 'w')).toBe('  ');
  });

  // Property: however a client writes the same criteria (percent-encoded or not, + or %20 for a space, any order,
  // repeated), the bridge reads the same meaning.
  const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('|'));
  const plain = /^[A-Za-z0-9:._~-]+$/;
  const spellings = (s: string): string[] => [encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+'), ...(plain.test(s) ? [s] : [])];
  test('equivalent writings parse to one meaning (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ system: fc.option(text, { nil: undefined }), code: text }), { minLength: 1, maxLength: 3 }), fc.nat(), (conds, seed) => {
        const writings = conds.map((c) => {
          const systems = c.system === undefined ? [''] : spellings(c.system).map((s) => `${s}|`);
          const codes = spellings(c.code);
          const pick = <T>(xs: T[], n: number): T => xs[(seed + n) % xs.length];
          return [`identifier=${systems[0]}${codes[0]}`, `identifier=${pick(systems, 1)}${pick(codes, 2)}`];
        });
        const a = parseCriteria('Patient', writings.map((w) => w[0]).join('&'), 'w');
        const b = parseCriteria(
          'Patient',
          `Patient?${writings
            .map((w) => w[1])
            .reverse()
            .join('&')}&${writings[0][1]}`,
          'w',
        );
        expect(b.key).toBe(a.key);
        expect(b.conditions).toEqual(a.conditions);
        const expected = conds.map((c) => ({ param: 'identifier', ...(c.system !== undefined ? { system: c.system } : {}), code: c.code }));
        for (const e of expected) expect(a.conditions).toContainEqual(e);
      }),
    );
  });
});

describe('match locks', () => {
  const criteria = (q: string) => parseCriteria('Patient', q, 'w');

  test('criteria lock the values they name, or the system they name alone', () => {
    expect(criteriaLocks(criteria('identifier=s|v&_id=x'), true)).toEqual([
      { resourceType: 'Patient', key: '_id=x', exclusive: true },
      { resourceType: 'Patient', key: 'identifier=v', exclusive: true },
    ]);
    expect(criteriaLocks(criteria('identifier=|v'), false)).toEqual([{ resourceType: 'Patient', key: 'identifier=v', exclusive: false }]);
    expect(criteriaLocks(criteria('identifier=s|'), true)).toEqual([{ resourceType: 'Patient', key: 'identifier-system=s', exclusive: true }]);
    expect(criteriaLocks(criteria('identifier=s|'), false)).toEqual([{ resourceType: 'Patient', key: 'identifier-system=s', exclusive: true }]);
  });

  test('a written resource locks its identifier values (exclusive), systems (shared) and chosen id', () => {
    expect(
      resourceLocks({ resourceType: 'Patient', identifier: [{ system: 's', value: 'v' }, { value: 'w' }, { system: 's' }, null, { value: '' }] }, 'p1'),
    ).toEqual([
      { resourceType: 'Patient', key: 'identifier=v', exclusive: true },
      { resourceType: 'Patient', key: 'identifier-system=s', exclusive: false },
      { resourceType: 'Patient', key: 'identifier=w', exclusive: true },
      { resourceType: 'Patient', key: 'identifier-system=', exclusive: false },
      { resourceType: 'Patient', key: '_id=p1', exclusive: true },
    ]);
    // identifier 0..1 on some types (a single object)
    expect(resourceLocks({ resourceType: 'Composition', identifier: { system: 's', value: 'v' } }, null).map((l) => l.key)).toEqual([
      'identifier=v',
      'identifier-system=s',
    ]);
    expect(resourceLocks({ resourceType: 'Patient' }, null)).toEqual([]);
  });

  // Property: any criteria that match a resource share a lock with what writing that resource locks, and at least
  // one of the two is exclusive, so a conditional write and a concurrent writer of a matching resource serialize.
  test('criteria matching a resource conflict with the locks of writing it (property)', () => {
    const ident = fc.record({ system: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }), value: fc.constantFrom('a', 'b', 'c') });
    fc.assert(
      fc.property(
        fc.array(ident, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        fc.nat(3),
        fc.boolean(),
        (ids, picks, form, exclusive) => {
          const resource = { resourceType: 'Patient', identifier: ids };
          const conds = picks.map((p) => {
            const i = ids[p % ids.length];
            const sys = encodeURIComponent(i.system ?? '');
            return [
              'identifier=' + encodeURIComponent(i.value),
              `identifier=${sys}|${encodeURIComponent(i.value)}`,
              i.system ? `identifier=${sys}|` : `identifier=|${i.value}`,
              `identifier=${sys}|${i.value}`,
            ][form];
          });
          const held = resourceLocks(resource, null);
          const asked = criteriaLocks(criteria(conds.join('&')), exclusive);
          const conflict = asked.some((a) => held.some((h) => h.key === a.key && h.resourceType === a.resourceType && (h.exclusive || a.exclusive)));
          expect(conflict).toBe(true);
        },
      ),
    );
  });
});
