import type { Db, Tx } from './db';

/**
 * Active Consents naming `clinicId` in `provision.actor` (`Organization/{clinicId}`, relative or absolute), of the
 * patients in `patientIds`, with their provision for access/consent-rules to judge. Only the clinic holding a
 * patient can consent for it (a Consent's patient resolves within its sender's records).
 */
export async function consentCandidates(db: Db | Tx, clinicId: string, patientIds: string[]): Promise<{ patientId: string; provision: unknown }[]> {
  if (!patientIds.length) return [];
  const res = await db.query(
    `SELECT r.patient_id AS "patientId", r.content -> 'provision' AS provision
       FROM resource r JOIN patient p ON p.id = r.patient_id AND p.clinic_id = r.clinic_id
      WHERE r.patient_id = ANY($1::uuid[]) AND r.resource_type = 'Consent' AND NOT r.deleted
        AND r.content ->> 'status' = 'active' AND r.content #>> '{provision,type}' = 'permit'
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.content #> '{provision,actor}') = 'array' THEN r.content #> '{provision,actor}' ELSE '[]'::jsonb END) a
                     WHERE a #>> '{reference,reference}' = 'Organization/' || $2 OR a #>> '{reference,reference}' LIKE '%/Organization/' || $2)`,
    [patientIds, clinicId],
  );
  return res.rows;
}
