import { fhirTimeRange } from '../normalize/time';
import type { Db, Tx } from './db';

/** A stored Consent that may permit `clinicId`; the period is checked by `periodContains` (FHIR partial dates). */
interface ConsentRow {
  patientId: string;
  start: string | null;
  end: string | null;
}

/** Whether `now` lies in [start, end] of a FHIR Period whose bounds may be partial dates (`2025`, `2025-06`). */
export function periodContains(start: string | null, end: string | null, now: Date): boolean {
  const t = now.toISOString();
  if (start) {
    const s = fhirTimeRange(start).start;
    if (!s || t < s) return false;
  }
  if (end) {
    const e = fhirTimeRange(end).end;
    if (!e || t > e) return false;
  }
  return true;
}

/**
 * Of `patientIds`, those whose holding clinic has stored an active permit Consent naming `clinicId` as
 * `provision.actor` (`Organization/{clinicId}`, relative or absolute) with a `provision.period` containing `now`.
 * Only the clinic holding a patient can consent for it (a Consent's patient resolves within its sender's records).
 */
export async function consentingPatients(db: Db | Tx, clinicId: string, patientIds: string[], now: Date = new Date()): Promise<Set<string>> {
  const granted = new Set<string>();
  if (!patientIds.length) return granted;
  const res = await db.query(
    `SELECT r.patient_id AS "patientId", r.content #>> '{provision,period,start}' AS start, r.content #>> '{provision,period,end}' AS "end"
       FROM resource r JOIN patient p ON p.id = r.patient_id AND p.clinic_id = r.clinic_id
      WHERE r.patient_id = ANY($1::uuid[]) AND r.resource_type = 'Consent' AND NOT r.deleted
        AND r.content ->> 'status' = 'active' AND r.content #>> '{provision,type}' = 'permit'
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.content #> '{provision,actor}') = 'array' THEN r.content #> '{provision,actor}' ELSE '[]'::jsonb END) a
                     WHERE a #>> '{reference,reference}' = 'Organization/' || $2 OR a #>> '{reference,reference}' LIKE '%/Organization/' || $2)`,
    [patientIds, clinicId],
  );
  for (const row of res.rows as ConsentRow[]) if (periodContains(row.start, row.end, now)) granted.add(row.patientId);
  return granted;
}
