import { FhirError, OUTCOME_KINDS, outcomes, outcomeWithIssues, issueOf } from '../../../bridge/fhir/outcome';
import { pagedUrl, pageLinks, readQuery } from '../../../bridge/http/toolkit';

const caught = (f: () => unknown): FhirError => {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('outcome catalogue', () => {
  it('derives every factory status and code from the one table', () => {
    for (const [kind, [status, code]] of Object.entries(OUTCOME_KINDS)) {
      const err = outcomes[kind as keyof typeof OUTCOME_KINDS]('why', 'Patient.name');
      expect([err.status, err.issues[0].code, err.issues[0].expression]).toEqual([status, code, 'Patient.name']);
    }
  });
  it('uses the R4 statuses for the kinds that used to drift', () => {
    expect(outcomes.unknownType('x').status).toBe(404);
    expect(outcomes.methodNotAllowed('x').status).toBe(405);
    expect(outcomes.versionConflict('x').status).toBe(412);
    expect(outcomes.throttled('x', { retryAfterSeconds: 7 }).retryAfterSeconds).toBe(7);
  });
  it('gathers several issues under one kind', () => {
    const err = outcomeWithIssues('invalid', [issueOf('required', 'a'), issueOf('value', 'b', 'x')]);
    expect(err.status).toBe(400);
    expect(err.issues.map((i) => i.code)).toEqual(['required', 'value']);
  });
});

describe('readQuery', () => {
  it('refuses an unknown parameter naming it, and allows _format', () => {
    const err = caught(() => readQuery({ patient: 'x', foo: '1' }, ['patient'], 'AuditEvent search'));
    expect([err.status, err.issues[0].code, err.issues[0].expression]).toEqual([400, 'not-supported', 'foo']);
    expect(() => readQuery({ _format: 'json' }, [], 'x')).not.toThrow();
  });
  it('refuses a repeated single parameter and malformed integers', () => {
    const q = readQuery({ a: ['1', '2'], n: '-3', m: '1e3' }, ['a', 'n', 'm'], 'x');
    expect(caught(() => q.string('a')).issues[0].expression).toBe('a');
    expect(q.all('a')).toEqual(['1', '2']);
    expect(caught(() => q.int('n', { min: 0, max: 10, fallback: 1 })).status).toBe(400);
    expect(caught(() => q.count('m', { max: 10, fallback: 1 })).status).toBe(400);
  });
  it('reads integers, counts, instants and types', () => {
    const q = readQuery({ c: '5000', o: '3', s: '2024-02', t: 'Observation,Condition' }, ['c', 'o', 's', 't'], 'x');
    expect(q.count('c', { max: 1000, fallback: 50 })).toBe(1000);
    expect(q.int('o', { min: 0, max: 10, fallback: 0 })).toBe(3);
    expect(q.instant('s')).toBe('2024-02-01T00:00:00.000Z');
    expect(q.types('t')).toEqual(['Observation', 'Condition']);
    expect(caught(() => readQuery({ t: 'Nope' }, ['t'], 'x').types('t')).issues[0].diagnostics).toMatch(/Nope/);
    expect(caught(() => readQuery({}, ['p'], 'x').required('p')).issues[0].code).toBe('required');
  });
});

describe('paging', () => {
  it('links self, next and previous and keeps repeated parameters', () => {
    const url = pagedUrl('https://b/fhir/Observation', { code: ['a', 'b'], _count: '2', _offset: '4' }, 2);
    const links = pageLinks({ offset: 4, count: 2 }, { hasMore: true }, url);
    expect(links.map((l) => l.relation)).toEqual(['self', 'next', 'previous']);
    expect(links[1].url).toBe('https://b/fhir/Observation?code=a&code=b&_count=2&_offset=6');
    expect(pageLinks({ offset: 0, count: 10 }, { total: 10 }, url).map((l) => l.relation)).toEqual(['self']);
  });
});
