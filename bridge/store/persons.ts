import { randomUUID } from 'node:crypto';
import type { PatientContact } from '../normalize/types';
import type { Tx } from './db';

export interface PatientRecord {
  id: string;
  clinicId: string;
  family: string | null;
  given: string | null;
  birthDate: string | null;
  gender: string | null;
  identifiers: { system: string; value: string }[];
  /** Normalized address and telecom for Patient/$match (bridge/normalize/patient.ts); absent: left empty. */
  contact?: PatientContact;
}

/** Score of a likely match without a shared identifier: same family name and birth date, plus gender and given name. */
function candidateScore(a: PatientRecord, b: { given: string | null; gender: string | null }): number {
  let score = 0.6;
  if (a.gender && a.gender === b.gender) score += 0.2;
  if (a.given && b.given && a.given.toLowerCase() === b.given.toLowerCase()) score += 0.2;
  return Math.round(score * 100) / 100;
}

/**
 * Stores a clinic's patient record and links it to a person: the person of any patient sharing a person-wide
 * identifier (deterministic), else a new person. Likely matches by demographics are recorded as candidates only.
 */
export async function savePatient(tx: Tx, patient: PatientRecord, personSystems: string[]): Promise<string> {
  const personIds = patient.identifiers.filter((i) => personSystems.includes(i.system));
  // Serialize concurrent pushes of the same human from two clinics, so they end up one person.
  for (const key of personIds.map((i) => `${i.system}|${i.value}`).sort()) {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }
  const existing = await tx.query('SELECT person_id FROM patient WHERE id = $1', [patient.id]);
  let personId: string | undefined = existing.rows[0]?.person_id;
  if (!personId && personIds.length) {
    const match = await tx.query(
      `SELECT p.person_id FROM unnest($1::text[], $2::text[]) AS k(s, v)
         JOIN patient_identifier pi ON pi.system = k.s AND pi.value = k.v
         JOIN patient p ON p.id = pi.patient_id JOIN person ps ON ps.id = p.person_id
       ORDER BY ps.created_at LIMIT 1`,
      [personIds.map((i) => i.system), personIds.map((i) => i.value)],
    );
    personId = match.rows[0]?.person_id;
  }
  if (!personId) {
    personId = randomUUID();
    await tx.query('INSERT INTO person (id) VALUES ($1)', [personId]);
  }
  const c = patient.contact;
  await tx.query(
    `INSERT INTO patient (id, clinic_id, person_id, family, given, birth_date, gender, identifiers, postal_code, city, country, phones, emails)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13::text[])
     ON CONFLICT (id) DO UPDATE SET family = EXCLUDED.family, given = EXCLUDED.given, birth_date = EXCLUDED.birth_date,
       gender = EXCLUDED.gender, identifiers = EXCLUDED.identifiers, postal_code = EXCLUDED.postal_code, city = EXCLUDED.city,
       country = EXCLUDED.country, phones = EXCLUDED.phones, emails = EXCLUDED.emails`,
    [
      patient.id,
      patient.clinicId,
      personId,
      patient.family,
      patient.given,
      patient.birthDate,
      patient.gender,
      JSON.stringify(patient.identifiers),
      c?.postalCode ?? null,
      c?.city ?? null,
      c?.country ?? null,
      c?.phones ?? [],
      c?.emails ?? [],
    ],
  );
  await tx.query('DELETE FROM patient_identifier WHERE patient_id = $1', [patient.id]);
  const ids = [...new Map(patient.identifiers.map((i) => [`${i.system}|${i.value}`, i])).values()];
  if (ids.length) {
    await tx.query('INSERT INTO patient_identifier (patient_id, system, value) SELECT $1, * FROM unnest($2::text[], $3::text[])', [
      patient.id,
      ids.map((i) => i.system),
      ids.map((i) => i.value),
    ]);
  }
  if (patient.family && patient.birthDate) {
    const likely = await tx.query(
      `SELECT id, given, gender FROM patient WHERE birth_date = $1 AND lower(family) = lower($2) AND person_id <> $3 AND id <> $4 LIMIT 20`,
      [patient.birthDate, patient.family, personId, patient.id],
    );
    for (const other of likely.rows) {
      await tx.query('INSERT INTO person_candidate (patient_id, other_patient_id, score) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        patient.id,
        other.id,
        candidateScore(patient, other),
      ]);
    }
  }
  return personId;
}

/** Distinct persons of the given patient records. */
export async function personsOf(tx: Tx, patientIds: string[]): Promise<string[]> {
  if (!patientIds.length) return [];
  const res = await tx.query('SELECT DISTINCT person_id FROM patient WHERE id = ANY($1::uuid[])', [patientIds]);
  return res.rows.map((r: { person_id: string }) => r.person_id);
}
