import fc from 'fast-check';
import {
  compareBirthDate,
  compareFamily,
  compareGiven,
  foldName,
  gradeOfScore,
  MatchFields,
  rankPeople,
  scoreOfWeight,
  scoreRecord,
  weightOf,
  type CandidateRecord,
} from '../../../bridge/fhir/match-score';

const EMPTY: MatchFields = { family: null, given: [], birthDate: null, gender: null, postalCode: null, city: null, country: null, phones: [], emails: [] };
const anna: MatchFields = { ...EMPTY, family: 'Schmidt', given: ['Anna', 'Lena'], birthDate: '1985-03-14', gender: 'female' };
const record = (f: Partial<MatchFields>, extra: Partial<CandidateRecord> = {}): CandidateRecord => ({
  ...EMPTY,
  ...f,
  patientId: extra.patientId ?? 'p1',
  clinicId: extra.clinicId ?? 'c1',
  personId: extra.personId ?? 'person1',
  identifiers: extra.identifiers ?? [],
});
const PASSPORT = 'http://hl7.org/fhir/sid/passport-DEU';

const fieldsArb: fc.Arbitrary<MatchFields> = fc.record({
  family: fc.option(fc.constantFrom('Schmidt', 'Schmitd', 'Müller', 'Mueller', 'Silva', 'Oliveira'), { nil: null }),
  given: fc.array(fc.constantFrom('Anna', 'Ana', 'Lena', 'João', 'Joao'), { maxLength: 2 }),
  birthDate: fc.option(fc.constantFrom('1985-03-14', '1985-03-15', '1985-04-03', '1985-03-04', '1990-01-01', '1985-03', '1985'), { nil: null }),
  gender: fc.option(fc.constantFrom('female', 'male', 'unknown'), { nil: null }),
  postalCode: fc.option(fc.constantFrom('10115', '1000-001'), { nil: null }),
  city: fc.option(fc.constantFrom('berlin', 'lisboa'), { nil: null }),
  country: fc.option(fc.constantFrom('DE', 'PT'), { nil: null }),
  phones: fc.array(fc.constantFrom('4930123456', '351211234567'), { maxLength: 2 }),
  emails: fc.array(fc.constantFrom('anna@example.org', 'joao@example.pt'), { maxLength: 1 }),
});

describe('field comparisons', () => {
  test('names fold case and diacritics; typos agree partially (Jaro-Winkler ≥ 0.9); other names disagree', () => {
    expect(foldName('  Müller-Lüdenscheidt ')).toBe('muller-ludenscheidt');
    expect(foldName('Strauß')).toBe('strauss');
    expect(compareFamily('MÜLLER', 'muller')).toBe('exact');
    expect(compareFamily('Schmidt', 'Schmitd')).toBe('similar');
    expect(compareFamily('Müller-Lüdenscheidt', 'Müller')).toBe('similar');
    expect(compareFamily('Schmidt', 'Oliveira')).toBe('different');
    expect(compareFamily(null, 'Schmidt')).toBeNull();
    expect(compareGiven(['Anna', 'Lena'], ['anna'])).toBe('exact');
    expect(compareGiven(['Lena'], ['Anna', 'Lena'])).toBe('similar');
    expect(compareGiven(['Anna'], ['Joao'])).toBe('different');
    expect(compareGiven([], ['Anna'])).toBeNull();
  });

  test('birth dates: exact, day and month swapped, same year and month, partial dates, different', () => {
    expect(compareBirthDate('1985-03-14', '1985-03-14')).toBe('exact');
    expect(compareBirthDate('1985-03-04', '1985-04-03')).toBe('transposed');
    expect(compareBirthDate('1985-03-14', '1985-03-15')).toBe('yearMonth');
    expect(compareBirthDate('1985-03', '1985-03-15')).toBe('yearMonth');
    expect(compareBirthDate('1985', '1985-03-15')).toBeNull();
    expect(compareBirthDate('1985-03-14', '1986-03-14')).toBe('different');
    expect(compareBirthDate(null, '1986-03-14')).toBeNull();
  });

  test('weights are log2(m/u): agreement positive, disagreement negative', () => {
    expect(weightOf('birthDate', 'exact')).toBeCloseTo(Math.log2(0.95 * 365.25 * 80), 6);
    for (const f of ['family', 'given', 'birthDate', 'gender', 'country', 'phone', 'email'] as const) {
      expect(weightOf(f, 'different')).toBeLessThan(0);
      expect(weightOf(f, 'exact')).toBeGreaterThan(0);
    }
    expect(weightOf('family', 'similar')).toBeLessThan(weightOf('family', 'exact'));
  });
});

describe('scores and grades', () => {
  test('name + birth date + gender is probable; a typo in the family name is still a candidate; names alone are not', () => {
    const exact = scoreRecord(anna, record(anna));
    expect(exact.grade).toBe('probable');
    expect(exact.score).toBeGreaterThan(0.99);
    expect(exact.score).toBeLessThan(1);
    const typo = scoreRecord(anna, record({ ...anna, family: 'Schmitd' }));
    expect(typo.grade).not.toBeNull();
    expect(typo.score).toBeLessThan(exact.score);
    expect(scoreRecord({ ...EMPTY, family: 'Schmidt', given: ['Anna'] }, record(anna)).grade).toBeNull();
    expect(scoreRecord(anna, record({ ...anna, family: 'Oliveira', given: ['Joao'], gender: 'male' })).grade).toBeNull();
  });

  test('fields missing on either side weigh nothing', () => {
    const withContact = record({ ...anna, phones: ['4930123456'], postalCode: '10115' });
    expect(scoreRecord(anna, withContact).weight).toBeCloseTo(scoreRecord(anna, record(anna)).weight, 9);
  });

  test('a shared phone and address add evidence', () => {
    const q = { ...anna, family: 'Schmitd', phones: ['4930123456'], postalCode: '10115' };
    const r = record({ ...anna, phones: ['4930123456'], postalCode: '10115' });
    expect(scoreRecord(q, r).weight).toBeGreaterThan(scoreRecord({ ...anna, family: 'Schmitd' }, r).weight + 10);
  });

  test('property: the score is symmetric, in [0, 1), and monotone in the weight; the grade follows the score', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, (a, b) => {
        const ab = scoreRecord(a, record(b));
        const ba = scoreRecord(b, record(a));
        expect(ab.weight).toBeCloseTo(ba.weight, 9);
        expect(ab.score).toBeGreaterThanOrEqual(0);
        expect(ab.score).toBeLessThan(1);
        expect(ab.grade).toBe(gradeOfScore(ab.score));
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: -60, max: 80, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }), (w, d) => {
        expect(scoreOfWeight(w + d)).toBeGreaterThanOrEqual(scoreOfWeight(w));
      }),
    );
  });

  test('property: a record always scores at least as well against itself as against any other record', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, (a, b) => {
        expect(scoreRecord(a, record(a)).weight).toBeGreaterThanOrEqual(scoreRecord(a, record(b)).weight - 1e-9);
      }),
    );
  });

  test('property: agreeing on one more field never lowers the weight', () => {
    fc.assert(
      fc.property(fieldsArb, fc.constantFrom('gender', 'postalCode', 'country') as fc.Arbitrary<'gender' | 'postalCode' | 'country'>, (a, key) => {
        const value = { gender: 'female', postalCode: '10115', country: 'DE' }[key];
        const without = scoreRecord({ ...a, [key]: null }, record({ ...a, [key]: value }));
        const withIt = scoreRecord({ ...a, [key]: value }, record({ ...a, [key]: value }));
        expect(withIt.weight).toBeGreaterThanOrEqual(without.weight);
      }),
    );
  });
});

describe('rankPeople: candidates are persons', () => {
  test('an equal person-wide identifier is certain, whatever the demographics say', () => {
    const ranked = rankPeople({ fields: { ...EMPTY, family: 'Other' }, identifiers: [{ system: PASSPORT, value: 'C01X00T47' }] }, [
      record(anna, { identifiers: [{ system: PASSPORT, value: 'C01X00T47' }] }),
    ]);
    expect(ranked).toHaveLength(1);
    expect(ranked[0]).toMatchObject({ grade: 'certain', score: 1, matchedIdentifiers: [{ system: PASSPORT, value: 'C01X00T47' }] });
  });

  test('records of one person are one candidate, scored by its best record; best first; weak ones dropped', () => {
    const ranked = rankPeople({ fields: anna, identifiers: [] }, [
      record({ ...anna, family: 'Schmitd' }, { patientId: 'a1', personId: 'P' }),
      record(anna, { patientId: 'b1', clinicId: 'c2', personId: 'P' }),
      record({ ...anna, given: ['Lena'] }, { patientId: 'x', personId: 'Q' }),
      record({ ...EMPTY, family: 'Schmidt' }, { patientId: 'y', personId: 'R' }),
    ]);
    expect(ranked.map((p) => p.personId)).toEqual(['P', 'Q']);
    expect(ranked[0].best.patientId).toBe('b1');
    expect(ranked[0].records.map((r) => r.patientId).sort()).toEqual(['a1', 'b1']);
    expect(ranked[0].score).toBeGreaterThanOrEqual(ranked[1].score);
  });

  test('property: the order is by grade then score, and every returned person is at least possible', () => {
    const recArb = fc
      .tuple(fieldsArb, fc.constantFrom('P1', 'P2', 'P3', 'P4'), fc.boolean(), fc.uuid())
      .map(([f, personId, pass, patientId]) => record(f, { personId, patientId, identifiers: pass ? [{ system: PASSPORT, value: personId }] : [] }));
    fc.assert(
      fc.property(fieldsArb, fc.array(recArb, { maxLength: 8 }), fc.constantFrom('P1', 'P9'), (q, recs, pass) => {
        const ranked = rankPeople({ fields: q, identifiers: [{ system: PASSPORT, value: pass }] }, recs);
        expect(new Set(ranked.map((p) => p.personId)).size).toBe(ranked.length);
        for (const p of ranked) expect(p.grade === 'certain' || p.score >= 0.5).toBe(true);
        for (let i = 1; i < ranked.length; i++) {
          const [a, b] = [ranked[i - 1], ranked[i]];
          expect(a.grade === 'certain' || b.grade !== 'certain').toBe(true);
          if ((a.grade === 'certain') === (b.grade === 'certain')) expect(a.score).toBeGreaterThanOrEqual(b.score);
        }
        expect(ranked.some((p) => p.grade === 'certain')).toBe(recs.some((r) => r.identifiers.some((i) => i.value === pass)));
      }),
    );
  });
});
