/**
 * Candidate retrieval (blocking) for Patient/$match across every clinic, by indexes only: person-wide identifiers
 * (patient_identifier_lookup_idx), birth date and its day/month transposition (patient_match_idx), lower(family) of
 * the same birth year (patient_family_idx), postal code, phone and e-mail (migration 016). Each block is capped, so a common surname or a
 * large postal area costs a bounded read; then every record of the persons found is read (one candidate is a
 * person, scored by its best record). Deleted records are never candidates. And the count behind MATCH_LIMIT.
 */
import type { CandidateRecord, MatchIdentifier } from '../model/match';
import type { Db, Tx } from './db';

export interface BlockingKeys {
  identifiers: MatchIdentifier[];
  /** Full dates (YYYY-MM-DD) to look up: the one asked and its day/month transposition. */
  birthDates: string[];
  /** lower(family) as sent. */
  family: string | null;
  /**
   * The family block keeps records of this birth year (or without a birth date): a record of another year disagrees on
   * the birth date (−5.6 bits) and cannot reach the possible threshold on name, gender and country alone, so only
   * contact data could carry it, and those have blocks of their own.
   */
  birthYear: number | null;
  postalCode: string | null;
  phones: string[];
  emails: string[];
}

/** Most rows one block may bring (a common surname, a birth date in a huge registry, a city-wide postal code). */
export const BLOCK_LIMIT = { identifier: 50, birthDate: 500, family: 500, postalCode: 200, phone: 50, email: 50 } as const;

/** The blocking keys of the caller's demographics. */
export function blockingKeys(q: {
  identifiers: MatchIdentifier[];
  fields: { family: string | null; birthDate: string | null; postalCode: string | null; phones: string[]; emails: string[] };
}): BlockingKeys {
  const dates: string[] = [];
  const m = q.fields.birthDate ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(q.fields.birthDate) : null;
  if (m) {
    dates.push(m[0]);
    const swapped = `${m[1]}-${m[3]}-${m[2]}`;
    if (
      m[2] !== m[3] &&
      Number(m[3]) <= 12 &&
      !Number.isNaN(Date.parse(`${swapped}T00:00:00Z`)) &&
      new Date(`${swapped}T00:00:00Z`).toISOString().startsWith(swapped)
    )
      dates.push(swapped);
  }
  return {
    identifiers: q.identifiers,
    birthDates: dates,
    family: q.fields.family?.trim().toLowerCase() || null,
    birthYear: q.fields.birthDate && /^\d{4}/.test(q.fields.birthDate) ? Number(q.fields.birthDate.slice(0, 4)) : null,
    postalCode: q.fields.postalCode,
    phones: q.fields.phones,
    emails: q.fields.emails,
  };
}

const CANDIDATES_SQL = `
WITH hit AS (
  (SELECT patient_id AS id FROM patient_identifier WHERE (system, value) IN (SELECT * FROM unnest($1::text[], $2::text[])) LIMIT ${BLOCK_LIMIT.identifier})
  UNION (SELECT id FROM patient WHERE birth_date = ANY($3::date[]) LIMIT ${BLOCK_LIMIT.birthDate})
  UNION (SELECT id FROM patient WHERE lower(family) = $4 AND ($8::int IS NULL OR birth_date IS NULL OR extract(year FROM birth_date)::int = $8)
         LIMIT ${BLOCK_LIMIT.family})
  UNION (SELECT id FROM patient WHERE postal_code = $5 LIMIT ${BLOCK_LIMIT.postalCode})
  UNION (SELECT id FROM patient WHERE phones && $6::text[] LIMIT ${BLOCK_LIMIT.phone})
  UNION (SELECT id FROM patient WHERE emails && $7::text[] LIMIT ${BLOCK_LIMIT.email})
), persons AS (
  SELECT DISTINCT p.person_id FROM hit JOIN patient p ON p.id = hit.id
)
SELECT p.id AS "patientId", p.clinic_id AS "clinicId", p.person_id AS "personId", p.family, p.given, p.birth_date AS "birthDate",
       p.gender, p.postal_code AS "postalCode", p.city, p.country, p.phones, p.emails, p.identifiers
  FROM persons JOIN patient p ON p.person_id = persons.person_id JOIN resource r ON r.id = p.id AND NOT r.deleted`;

/** Every (not deleted) record of the persons that any block finds. */
export async function findMatchCandidates(db: Db | Tx, k: BlockingKeys): Promise<CandidateRecord[]> {
  if (!k.identifiers.length && !k.birthDates.length && !k.family && !k.postalCode && !k.phones.length && !k.emails.length) return [];
  // Named: parsed once per connection (planning stays per call, so each block is planned for its own values).
  const res = await db.query({
    name: 'match-candidates',
    text: CANDIDATES_SQL,
    values: [k.identifiers.map((i) => i.system), k.identifiers.map((i) => i.value), k.birthDates, k.family, k.postalCode, k.phones, k.emails, k.birthYear],
  });
  return res.rows.map((r) => ({
    patientId: r.patientId,
    clinicId: r.clinicId,
    personId: r.personId,
    family: r.family,
    given: typeof r.given === 'string' ? r.given.split(' ').filter(Boolean) : [],
    birthDate: r.birthDate,
    gender: r.gender,
    postalCode: r.postalCode,
    city: r.city,
    country: r.country,
    phones: r.phones ?? [],
    emails: r.emails ?? [],
    identifiers: Array.isArray(r.identifiers) ? r.identifiers : [],
  }));
}

/**
 * $match requests of a clinic answered within the last `windowSeconds` (from the audit trail, audit_event_match_idx),
 * and the seconds until the oldest leaves the window; the clock that stamps `audit_event.recorded` (the bridge's).
 */
export async function matchUsage(db: Db, clinicId: string, windowSeconds: number): Promise<{ count: number; freesInSeconds: number }> {
  const res = await db.query(
    `SELECT count(*)::int AS count,
            COALESCE(CEIL(EXTRACT(EPOCH FROM (min(recorded) + make_interval(secs => $2) - $3::timestamptz))), 0)::int AS frees
       FROM audit_event WHERE clinic_id = $1 AND action = 'match' AND outcome = 'success' AND recorded > $3::timestamptz - make_interval(secs => $2)`,
    [clinicId, windowSeconds, new Date().toISOString()],
  );
  return { count: res.rows[0].count, freesInSeconds: Math.max(1, res.rows[0].frees) };
}
