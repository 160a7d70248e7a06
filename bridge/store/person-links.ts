import { randomUUID } from 'node:crypto';
import { isBridgeId } from '../model/ids';
import type { Db, Tx } from './db';

/** A patient record (one clinic's) and the person it belongs to. */
export interface PatientPerson {
  patientId: string;
  clinicId: string;
  personId: string;
}

/** The patient record `patientId` with its person, or null when unknown. */
export async function findPatientPerson(db: Db | Tx, patientId: string): Promise<PatientPerson | null> {
  if (!isBridgeId(patientId)) return null;
  const res = await db.query('SELECT id AS "patientId", clinic_id AS "clinicId", person_id AS "personId" FROM patient WHERE id = $1', [patientId]);
  return res.rows[0] ?? null;
}

/** Every patient record of a person, oldest clinic record first. */
export async function personPatients(db: Db | Tx, personId: string): Promise<PatientPerson[]> {
  const res = await db.query(
    `SELECT p.id AS "patientId", p.clinic_id AS "clinicId", p.person_id AS "personId" FROM patient p JOIN resource r ON r.id = p.id
      WHERE p.person_id = $1 ORDER BY r.last_updated, p.id`,
    [personId],
  );
  return res.rows;
}

/** Other clinics' patient records of the persons `clinicId` holds a (not deleted) record of: one query for a whole clinic. */
export async function foreignRecordsOfClinicPersons(db: Db | Tx, clinicId: string): Promise<string[]> {
  const res = await db.query(
    `SELECT DISTINCT o.id FROM patient mine JOIN resource mr ON mr.id = mine.id AND NOT mr.deleted
       JOIN patient o ON o.person_id = mine.person_id AND o.clinic_id <> mine.clinic_id
      WHERE mine.clinic_id = $1 ORDER BY o.id`,
    [clinicId],
  );
  return res.rows.map((r) => r.id);
}

export interface CandidateSide {
  patientId: string;
  clinicId: string;
  personId: string;
  family: string | null;
  given: string | null;
  birthDate: string | null;
  gender: string | null;
}

export interface Candidate {
  patient: CandidateSide;
  other: CandidateSide;
  score: number;
  status: 'candidate' | 'confirmed' | 'rejected';
  createdAt: string;
  decidedAt: string | null;
}

const side = (alias: string, key: string): string =>
  `json_build_object('patientId', ${alias}.id, 'clinicId', ${alias}.clinic_id, 'personId', ${alias}.person_id, 'family', ${alias}.family,
    'given', ${alias}.given, 'birthDate', ${alias}.birth_date, 'gender', ${alias}.gender) AS "${key}"`;

/** Recorded likely matches (by default those still undecided), best score first. */
export async function listCandidates(db: Db, status: string | undefined, limit: number, offset: number): Promise<Candidate[]> {
  const res = await db.query(
    `SELECT ${side('a', 'patient')}, ${side('b', 'other')}, c.score, c.status, c.created_at AS "createdAt", c.decided_at AS "decidedAt"
       FROM person_candidate c JOIN patient a ON a.id = c.patient_id JOIN patient b ON b.id = c.other_patient_id
      WHERE ($1::text IS NULL OR c.status = $1)
        AND (c.patient_id < c.other_patient_id
             OR NOT EXISTS (SELECT 1 FROM person_candidate r WHERE r.patient_id = c.other_patient_id AND r.other_patient_id = c.patient_id))
      ORDER BY c.score DESC, c.created_at, c.patient_id LIMIT $2 OFFSET $3`,
    [status ?? null, limit, offset],
  );
  return res.rows;
}

/** Locks the candidate pair (either order); null when there is no such candidate. */
async function lockCandidate(tx: Tx, a: string, b: string): Promise<{ patientId: string; otherId: string } | null> {
  if (!isBridgeId(a) || !isBridgeId(b)) return null;
  const res = await tx.query(
    `SELECT patient_id AS "patientId", other_patient_id AS "otherId" FROM person_candidate
      WHERE (patient_id = $1 AND other_patient_id = $2) OR (patient_id = $2 AND other_patient_id = $1) FOR UPDATE`,
    [a, b],
  );
  return res.rows[0] ?? null;
}

/**
 * Records an admin decision on pairs (a, each of `others`) in both directions, so a later push of either patient
 * (which records candidates in its own direction) does not propose the pair again.
 */
async function decide(tx: Tx, a: string, others: string[], status: 'confirmed' | 'rejected'): Promise<void> {
  await tx.query(
    `INSERT INTO person_candidate (patient_id, other_patient_id, score, status, decided_at)
     SELECT x, y, 0, $3, now() FROM unnest($2::uuid[]) AS o(id), LATERAL (VALUES ($1::uuid, o.id), (o.id, $1::uuid)) AS pair(x, y)
     ON CONFLICT (patient_id, other_patient_id) DO UPDATE SET status = EXCLUDED.status, decided_at = EXCLUDED.decided_at`,
    [a, others, status],
  );
}

/**
 * Confirms a candidate: both patients' persons become one. The older person keeps its id (person ids are stable);
 * the younger one's patients move to it and it is marked `merged_into`, so its id stays traceable. No resource changes.
 * Null when there is no such candidate (nothing changed).
 */
export async function confirmCandidate(
  tx: Tx,
  a: string,
  b: string,
): Promise<{ personId: string; mergedPersonId: string | null; patientIds: string[] } | null> {
  if (!(await lockCandidate(tx, a, b))) return null;
  const persons = await tx.query(
    `SELECT ps.id, ps.created_at FROM person ps WHERE ps.id IN (SELECT person_id FROM patient WHERE id = ANY($1::uuid[]))
      ORDER BY ps.created_at, ps.id FOR UPDATE`,
    [[a, b]],
  );
  const [keep, merge] = persons.rows.map((r) => r.id as string);
  if (merge) {
    await tx.query('UPDATE patient SET person_id = $1 WHERE person_id = $2', [keep, merge]);
    await tx.query('UPDATE person SET merged_into = $1 WHERE id = $2 OR merged_into = $2', [keep, merge]);
  }
  await decide(tx, a, [b], 'confirmed');
  const patients = await personPatients(tx, keep);
  return { personId: keep, mergedPersonId: merge ?? null, patientIds: patients.map((p) => p.patientId) };
}

/**
 * Rejects a candidate: recorded as decided, nothing merged (an already linked pair is not unlinked: use unlink).
 * False when there is no such candidate.
 */
export async function rejectCandidate(tx: Tx, a: string, b: string): Promise<boolean> {
  if (!(await lockCandidate(tx, a, b))) return false;
  await decide(tx, a, [b], 'rejected');
  return true;
}

/** What unlinking did: the new and former person, or why nothing changed (unknown patient, already alone). */
export type UnlinkResult = { personId: string; formerPersonId: string; formerPatientIds: string[] } | 'unknown' | 'alone';

/**
 * Gives a patient record a new person of its own: the reverse of a link, losing nothing (resources, identifiers and
 * the other patients stay; the others keep the old person id). Candidate pairs with the former fellow patients become
 * `rejected`, so they are not proposed again. `alone` (nothing changed) when the patient is the only record of its person.
 */
export async function unlinkPatient(tx: Tx, patientId: string): Promise<UnlinkResult> {
  if (!isBridgeId(patientId)) return 'unknown';
  const own = await tx.query('SELECT person_id FROM patient WHERE id = $1 FOR UPDATE', [patientId]);
  if (!own.rows.length) return 'unknown';
  const former: string = own.rows[0].person_id;
  await tx.query('SELECT id FROM person WHERE id = $1 FOR UPDATE', [former]);
  const others = (await tx.query('SELECT id FROM patient WHERE person_id = $1 AND id <> $2', [former, patientId])).rows.map((r) => r.id as string);
  if (!others.length) return 'alone';
  const personId = randomUUID();
  await tx.query('INSERT INTO person (id) VALUES ($1)', [personId]);
  await tx.query('UPDATE patient SET person_id = $1 WHERE id = $2', [personId, patientId]);
  await decide(tx, patientId, others, 'rejected');
  return { personId, formerPersonId: former, formerPatientIds: others };
}

/** Who holds a stored resource and whose compartment it is in (patient and person), or null when unknown. */
export async function resourceCompartment(
  db: Db | Tx,
  resourceType: string,
  id: string,
): Promise<{ clinicId: string; patientId: string | null; personId: string | null } | null> {
  if (!isBridgeId(id)) return null;
  const res = await db.query(
    `SELECT r.clinic_id AS "clinicId", r.patient_id AS "patientId", p.person_id AS "personId"
       FROM resource r LEFT JOIN patient p ON p.id = r.patient_id WHERE r.id = $1 AND r.resource_type = $2`,
    [id, resourceType],
  );
  return res.rows[0] ?? null;
}

/** Which of `patientIds` are records held by `clinicId` (the facts audit visibility needs). */
export async function clinicPatientsAmong(db: Db | Tx, clinicId: string, patientIds: string[]): Promise<Set<string>> {
  const ids = [...new Set(patientIds)].filter(isBridgeId);
  if (!ids.length) return new Set();
  const res = await db.query('SELECT id FROM patient WHERE clinic_id = $1 AND id = ANY($2::uuid[])', [clinicId, ids]);
  return new Set(res.rows.map((r) => r.id as string));
}
