/**
 * Patient/$match scoring (IHE PDQm ITI-119; FHIR R4 patient-operation-match): pure, no I/O.
 *
 * Method: Fellegi-Sunter record linkage (Fellegi & Sunter, "A Theory for Record Linkage", JASA 64(328), 1969), with
 * comparison levels per field as Splink models them (agreement, partial agreement, disagreement, each with its own m
 * and u). For every field both sides carry, the level reached adds log2(m/u) bits of evidence, where m = P(level | same
 * person) and u = P(level | different people); a field missing on either side adds 0. Disagreement adds
 * log2(m_disagree/u_disagree), i.e. log2((1-m)/(1-u)) for a two-level field.
 *
 * u values are derived from field cardinality (the chance that two random people agree): birth date 1/(365.25 × 80)
 * (80 birth years in use), year and month 1/(12 × 80), gender 1/2, surname ≈ Σp² of surname frequencies (≈ 1/500),
 * given name ≈ 1/200; phone 1/1000 and e-mail 1/10,000 (not 1 in millions: households share them), postal code 1/1000,
 * city 1/50, country 0.3 (a bridge serves few countries). m values are data-quality assumptions in the range published
 * for patient registries (exact agreement 0.9-0.98 on names and birth dates; 0.5-0.8 on contact data, which changes).
 * Partial agreement: names with Jaro-Winkler ≥ 0.9 after folding case and diacritics (the threshold Splink's
 * `jaro_winkler_at_thresholds` uses; @skyra/jaro-winkler computes it); birth dates with day and month swapped, or the
 * same year and month.
 *
 * Total weight W → score = 1 / (1 + 2^-(W - PRIOR_BITS)): the posterior probability of a match with prior odds
 * 1 : 2^20 (about one true record among a million). Grades (the match-grade extension): `certain` only for an equal
 * person-wide identifier (score 1, `rankPeople` below); `probable` score ≥ 0.98 (W ≥ 25.6);
 * `possible` score ≥ 0.5 (W ≥ 20); below: not a candidate. E.g. family + given + birth date + gender: W = 32.1
 * (score 0.9998, probable); the same with a misspelt family name: W = 26.9 (0.991, probable); family + given only:
 * W = 16.3 (not returned).
 */
import { jaroWinkler } from '@skyra/jaro-winkler';
import type { CandidateRecord, MatchFields, MatchIdentifier } from '../model/match';

export type { CandidateRecord, MatchFields, MatchIdentifier };

export type FieldName = 'family' | 'given' | 'birthDate' | 'gender' | 'address' | 'country' | 'phone' | 'email';
export type Level = 'exact' | 'similar' | 'transposed' | 'yearMonth' | 'postalCode' | 'city' | 'different';

/** m and u of each level of each field (see the header). */
export const MU: Readonly<Record<FieldName, Partial<Record<Level, readonly [m: number, u: number]>>>> = {
  family: { exact: [0.92, 0.002], similar: [0.05, 0.004], different: [0.03, 0.994] },
  given: { exact: [0.9, 0.005], similar: [0.06, 0.01], different: [0.04, 0.985] },
  birthDate: { exact: [0.95, 1 / (365.25 * 80)], transposed: [0.01, 1 / (365.25 * 80)], yearMonth: [0.02, 1 / (12 * 80)], different: [0.02, 0.9989] },
  gender: { exact: [0.98, 0.5], different: [0.02, 0.5] },
  address: { postalCode: [0.75, 0.001], city: [0.1, 0.02], different: [0.15, 0.979] },
  country: { exact: [0.95, 0.3], different: [0.05, 0.7] },
  phone: { exact: [0.5, 0.001], different: [0.5, 0.999] },
  email: { exact: [0.5, 0.0001], different: [0.5, 0.9999] },
};

export const PRIOR_BITS = 20;
export const PROBABLE_SCORE = 0.98;
export const POSSIBLE_SCORE = 0.5;
export const JARO_WINKLER_SIMILAR = 0.9;

export const weightOf = (field: FieldName, level: Level): number => {
  const mu = MU[field][level];
  if (!mu) throw new Error(`no weight for ${field}/${level}`);
  return Math.log2(mu[0] / mu[1]);
};

/** Lower case, diacritics dropped (ü → u, ß → ss), only letters, digits, spaces and hyphens kept, spaces collapsed. */
export function foldName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const similar = (a: string, b: string): boolean => jaroWinkler(a, b) >= JARO_WINKLER_SIMILAR;

export function compareFamily(a: string | null, b: string | null): Level | null {
  const x = a ? foldName(a) : '';
  const y = b ? foldName(b) : '';
  if (!x || !y) return null;
  if (x === y) return 'exact';
  // Compound and double-barrelled names: one shared part agrees partially (`Müller-Lüdenscheidt` / `Müller`).
  const xs = x.split(/[\s-]+/);
  const ys = y.split(/[\s-]+/);
  if (similar(x, y) || xs.some((p) => p.length > 1 && ys.includes(p))) return 'similar';
  return 'different';
}

export function compareGiven(a: string[], b: string[]): Level | null {
  const xs = a.flatMap((g) => foldName(g).split(/[\s-]+/)).filter(Boolean);
  const ys = b.flatMap((g) => foldName(g).split(/[\s-]+/)).filter(Boolean);
  if (!xs.length || !ys.length) return null;
  if (xs[0] === ys[0]) return 'exact';
  if (xs.some((x) => ys.some((y) => x === y || (x.length > 1 && y.length > 1 && similar(x, y))))) return 'similar';
  return 'different';
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function compareBirthDate(a: string | null, b: string | null): Level | null {
  if (!a || !b) return null;
  if (a === b && FULL_DATE.test(a)) return 'exact';
  const x = FULL_DATE.exec(a);
  const y = FULL_DATE.exec(b);
  if (x && y) {
    if (x[1] === y[1] && x[2] === y[3] && x[3] === y[2]) return 'transposed';
    if (x[1] === y[1] && x[2] === y[2]) return 'yearMonth';
    return 'different';
  }
  // A partial date (YYYY-MM, YYYY) agrees at most on what it says.
  const p = Math.min(a.length, b.length);
  if (p >= 7 && a.slice(0, 7) === b.slice(0, 7)) return 'yearMonth';
  return a.slice(0, 4) === b.slice(0, 4) ? null : 'different';
}

export function compareGender(a: string | null, b: string | null): Level | null {
  if (!a || !b || a === 'unknown' || b === 'unknown') return null;
  return a === b ? 'exact' : 'different';
}

export function compareAddress(a: MatchFields, b: MatchFields): Level | null {
  if (a.postalCode && b.postalCode && a.postalCode === b.postalCode) return 'postalCode';
  const ca = a.city ? foldName(a.city) : '';
  const cb = b.city ? foldName(b.city) : '';
  if (ca && cb && ca === cb) return 'city';
  if ((a.postalCode && b.postalCode) || (ca && cb)) return 'different';
  return null;
}

const compareSets = (a: string[], b: string[]): Level | null => (!a.length || !b.length ? null : a.some((x) => b.includes(x)) ? 'exact' : 'different');

export interface FieldComparison {
  field: FieldName;
  level: Level;
  weight: number;
}

/** Every field both sides carry, with the level it reached and its weight. */
export function compareFields(query: MatchFields, record: MatchFields): FieldComparison[] {
  const levels: [FieldName, Level | null][] = [
    ['family', compareFamily(query.family, record.family)],
    ['given', compareGiven(query.given, record.given)],
    ['birthDate', compareBirthDate(query.birthDate, record.birthDate)],
    ['gender', compareGender(query.gender, record.gender)],
    ['address', compareAddress(query, record)],
    ['country', query.country && record.country ? (query.country === record.country ? 'exact' : 'different') : null],
    ['phone', compareSets(query.phones, record.phones)],
    ['email', compareSets(query.emails, record.emails)],
  ];
  return levels.filter((l): l is [FieldName, Level] => l[1] !== null).map(([field, level]) => ({ field, level, weight: weightOf(field, level) }));
}

export type ScoredGrade = 'probable' | 'possible';

export interface Score {
  /** Total Fellegi-Sunter weight in bits. */
  weight: number;
  /** Posterior match probability in [0, 1), four decimals (1 is kept for certain matches). */
  score: number;
  /** null: below the possible threshold, not a candidate. */
  grade: ScoredGrade | null;
  comparisons: FieldComparison[];
}

/** The score of a weight: posterior probability with prior odds 1 : 2^PRIOR_BITS, four decimals, below 1. */
export function scoreOfWeight(weight: number): number {
  const p = 1 / (1 + 2 ** -(weight - PRIOR_BITS));
  return Math.min(0.9999, Math.round(p * 10_000) / 10_000);
}

export function gradeOfScore(score: number): ScoredGrade | null {
  return score >= PROBABLE_SCORE ? 'probable' : score >= POSSIBLE_SCORE ? 'possible' : null;
}

export function scoreRecord(query: MatchFields, record: MatchFields): Score {
  const comparisons = compareFields(query, record);
  const weight = comparisons.reduce((s, c) => s + c.weight, 0);
  const score = scoreOfWeight(weight);
  return { weight, score, grade: gradeOfScore(score), comparisons };
}

// ---- People, not records: the records of one person (linked across clinics) are one candidate, graded by the best.

export type MatchGrade = 'certain' | ScoredGrade;

/** What a $match looks for: the caller's demographics and its person-wide identifiers (passports, national ids). */
export interface MatchQuery {
  fields: MatchFields;
  identifiers: MatchIdentifier[];
}

export interface RankedPerson {
  personId: string;
  grade: MatchGrade;
  score: number;
  /** The record that gave the grade. */
  best: CandidateRecord;
  /** The caller's person-wide identifiers that the person's records carry (certain matches). */
  matchedIdentifiers: MatchIdentifier[];
  /** Field levels of the best record (empty for a certain match decided by identifier alone). */
  comparisons: FieldComparison[];
  /** Every retrieved record of the person. */
  records: CandidateRecord[];
}

const idKey = (i: MatchIdentifier): string => `${i.system}|${i.value}`;

/**
 * Grades every person among `records`: `certain` when a record shares a person-wide identifier with the query, else
 * the Fellegi-Sunter score of the person's best record; persons under the possible threshold are dropped. Best first
 * (certain, then score; ties by person id so the order is stable).
 */
export function rankPeople(query: MatchQuery, records: CandidateRecord[]): RankedPerson[] {
  const wanted = new Set(query.identifiers.map(idKey));
  const byPerson = new Map<string, CandidateRecord[]>();
  for (const r of records) {
    const list = byPerson.get(r.personId);
    if (list) list.push(r);
    else byPerson.set(r.personId, [r]);
  }
  const ranked: RankedPerson[] = [];
  for (const [personId, recs] of byPerson) {
    const matchedIds = new Map<string, MatchIdentifier>();
    let certainRecord: CandidateRecord | undefined;
    for (const r of recs) {
      for (const i of r.identifiers) {
        if (!wanted.has(idKey(i))) continue;
        matchedIds.set(idKey(i), i);
        certainRecord ??= r;
      }
    }
    const scored = recs
      .map((r) => ({ r, s: scoreRecord(query.fields, r) }))
      .sort((a, b) => b.s.weight - a.s.weight || a.r.patientId.localeCompare(b.r.patientId));
    const top = scored[0];
    if (certainRecord) {
      ranked.push({
        personId,
        grade: 'certain',
        score: 1,
        best: certainRecord,
        matchedIdentifiers: [...matchedIds.values()],
        comparisons: scoreRecord(query.fields, certainRecord).comparisons,
        records: recs,
      });
    } else if (top.s.grade) {
      ranked.push({ personId, grade: top.s.grade, score: top.s.score, best: top.r, matchedIdentifiers: [], comparisons: top.s.comparisons, records: recs });
    }
  }
  const rank = (p: RankedPerson): number => (p.grade === 'certain' ? 2 : 1);
  return ranked.sort((a, b) => rank(b) - rank(a) || b.score - a.score || a.personId.localeCompare(b.personId));
}
