import type { Bundle } from '@medplum/fhirtypes';
import { FhirError } from '../../../bridge/fhir/outcome';
import { planBundle } from '../../../bridge/fhir/plan';
import { asResourceIssues, singleWriteBundle } from '../../../bridge/fhir/single-write';
import { checkIfMatch, parseIfMatch } from '../../../bridge/fhir/versioning';

const statusOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof FhirError ? err.status : -1;
  }
};

describe('parseIfMatch', () => {
  test.each([
    ['W/"1"', 1],
    ['W/"23"', 23],
    ['"7"', 7],
    [' W/"4" ', 4],
    ['W/"999999999"', 999999999],
  ])('%j names version %i', (value, version) => expect(parseIfMatch(value)).toBe(version));

  test.each(['', '1', 'W/1', 'w/"1"', 'W/"0"', 'W/"01"', 'W/"-1"', 'W/"1.5"', 'W/"abc"', '*', 'W/"1", W/"2"', 'W/"1000000000"', 'W/""'])(
    '%j is refused with 400',
    (value) => expect(statusOf(() => parseIfMatch(value))).toBe(400),
  );
});

describe('checkIfMatch', () => {
  test('no precondition always passes', () => {
    expect(statusOf(() => checkIfMatch(undefined, 3, 'Patient/x'))).toBeUndefined();
    expect(statusOf(() => checkIfMatch(undefined, undefined, 'Patient/x'))).toBeUndefined();
  });
  test('the current version passes; any other, or none stored, is 412 conflict', () => {
    expect(statusOf(() => checkIfMatch(3, 3, 'Patient/x'))).toBeUndefined();
    for (const [expected, current] of [
      [2, 3],
      [4, 3],
      [1, undefined],
    ] as const) {
      let err: FhirError | undefined;
      try {
        checkIfMatch(expected, current, 'Patient/x', 'here');
      } catch (e) {
        err = e as FhirError;
      }
      expect([err?.status, err?.issues[0].code, err?.issues[0].expression]).toEqual([412, 'conflict', 'here']);
    }
  });
});

describe('request.ifMatch in planned entries', () => {
  const tx = (type: 'transaction' | 'batch', request: Record<string, unknown>, resource?: unknown): Bundle =>
    ({ resourceType: 'Bundle', type, entry: [{ ...(resource ? { resource } : {}), request }] }) as unknown as Bundle;
  const patient = { resourceType: 'Patient', id: 'p1' };

  test('PUT and DELETE (plain and conditional) carry the version', () => {
    const actions = [
      tx('transaction', { method: 'PUT', url: 'Patient/p1', ifMatch: 'W/"2"' }, patient),
      tx('transaction', { method: 'PUT', url: 'Patient?identifier=s|v', ifMatch: 'W/"3"' }, { resourceType: 'Patient' }),
      tx('transaction', { method: 'DELETE', url: 'Patient/p1', ifMatch: 'W/"4"' }),
      tx('transaction', { method: 'DELETE', url: 'Patient?identifier=s|v', ifMatch: '"5"' }),
    ].map((b) => planBundle(b, 10).entries[0].action);
    expect(actions.map((a) => [a.kind, (a as { ifMatch?: number }).ifMatch])).toEqual([
      ['update', 2],
      ['conditional-update', 3],
      ['delete', 4],
      ['conditional-delete', 5],
    ]);
  });
  test('without ifMatch there is no precondition', () => {
    expect('ifMatch' in planBundle(tx('transaction', { method: 'PUT', url: 'Patient/p1' }, patient), 10).entries[0].action).toBe(false);
  });
  test('a malformed ifMatch, or one on POST or GET, fails a transaction and only its entry in a batch', () => {
    for (const [request, resource] of [
      [{ method: 'PUT', url: 'Patient/p1', ifMatch: 'two' }, patient],
      [{ method: 'POST', url: 'Patient', ifMatch: 'W/"1"' }, { resourceType: 'Patient' }],
      [{ method: 'GET', url: 'Patient/p1', ifMatch: 'W/"1"' }, undefined],
    ] as const) {
      expect(statusOf(() => planBundle(tx('transaction', request, resource), 10))).toBe(400);
      const batch = planBundle(tx('batch', request, resource), 10);
      expect([batch.entries.length, batch.refused.get(0)?.status, batch.refused.get(0)?.issues[0].expression]).toEqual([
        0,
        400,
        'Bundle.entry[0].request.ifMatch',
      ]);
    }
  });
});

describe('single writes carry If-Match', () => {
  test('into request.ifMatch of the one-entry transaction, only when sent', () => {
    const put = singleWriteBundle({ method: 'PUT', type: 'Patient', id: 'p1', ifMatch: 'W/"1"', resource: { resourceType: 'Patient', id: 'p1' } });
    expect(put.entry![0].request).toEqual({ method: 'PUT', url: 'Patient/p1', ifMatch: 'W/"1"' });
    const del = singleWriteBundle({ method: 'DELETE', type: 'Patient', id: 'p1', ifMatch: 'W/"2"' });
    expect(del.entry![0].request).toEqual({ method: 'DELETE', url: 'Patient/p1', ifMatch: 'W/"2"' });
    // The bundle (and so its hash) of a write without If-Match is unchanged.
    expect(singleWriteBundle({ method: 'DELETE', type: 'Patient', id: 'p1' }).entry![0].request).toEqual({ method: 'DELETE', url: 'Patient/p1' });
  });
  test('a problem with If-Match names no FHIRPath (it is a header)', () => {
    expect(asResourceIssues([{ code: 'conflict', diagnostics: 'stale', expression: 'Bundle.entry[0].request.ifMatch' }], 'Patient')).toEqual([
      { code: 'conflict', diagnostics: 'stale', expression: undefined },
    ]);
  });
});
