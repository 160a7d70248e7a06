import { selectCandidates } from '../../../bridge/access/match';
import type { RankedPerson } from '../../../bridge/fhir/match-score';
import { blockingKeys } from '../../../bridge/store/match';

const person = (personId: string, grade: RankedPerson['grade'], score: number): RankedPerson => ({
  personId,
  grade,
  score,
  best: {} as never,
  matchedIdentifiers: [],
  comparisons: [],
  records: [],
});

describe('selectCandidates (onlyCertainMatches, count)', () => {
  const ranked = [person('a', 'certain', 1), person('b', 'probable', 0.99), person('c', 'possible', 0.6)];
  test('count caps the best-first list', () => {
    expect(selectCandidates(ranked, { onlyCertainMatches: false, count: 2 }).chosen.map((p) => p.personId)).toEqual(['a', 'b']);
  });
  test('onlyCertainMatches keeps the one certain person', () => {
    expect(selectCandidates(ranked, { onlyCertainMatches: true, count: 10 })).toEqual({ chosen: [ranked[0]] });
    expect(selectCandidates(ranked.slice(1), { onlyCertainMatches: true, count: 10 }).chosen).toEqual([]);
  });
  test('onlyCertainMatches with several certain persons returns none, and says why', () => {
    const r = selectCandidates([person('a', 'certain', 1), person('x', 'certain', 1)], { onlyCertainMatches: true, count: 10 });
    expect(r.chosen).toEqual([]);
    expect(r.note).toMatch(/2 persons/);
  });
});

describe('blockingKeys', () => {
  const q = (birthDate: string | null, family: string | null = ' Schmidt ') =>
    blockingKeys({ identifiers: [], fields: { family, birthDate, postalCode: null, phones: [], emails: [] } });
  test('a full birth date is looked up with its day/month transposition when that is a date', () => {
    expect(q('1985-03-04').birthDates).toEqual(['1985-03-04', '1985-04-03']);
    expect(q('1985-03-14').birthDates).toEqual(['1985-03-14']);
    expect(q('1985-03-03').birthDates).toEqual(['1985-03-03']);
    expect(q('1985-02-11').birthDates).toEqual(['1985-02-11', '1985-11-02']);
    expect(q('1985-12-31').birthDates).toEqual(['1985-12-31']);
    expect(q('1985-03').birthDates).toEqual([]);
  });
  test('the family name is looked up in lower case, trimmed', () => {
    expect(q(null).family).toBe('schmidt');
    expect(q(null, '  ').family).toBeNull();
  });
  test('the family block is narrowed to the birth year when one is given (a full or partial date)', () => {
    expect([q('1985-03-04').birthYear, q('1985').birthYear, q(null).birthYear]).toEqual([1985, 1985, null]);
  });
});
