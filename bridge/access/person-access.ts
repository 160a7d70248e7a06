/**
 * MINIMAL STAND-IN owned by the `pulls` branch, replaced at merge by the access branch's implementation with the
 * same signature (bridge/access/person-access.ts). The rule here is only: the caller's own records of the person,
 * plus every record of the same person held by a clinic that posted an active permit Consent about that record
 * naming `Organization/{caller clinic id}` in `provision.actor`. No break-glass, no purpose of use, no periods.
 */
import { FhirError } from '../fhir/outcome';
import { isBridgeId } from '../fhir/references';
import type { Db } from '../store/db';
import type { PersonAccess } from './types';

const notFound = (patientId: string): FhirError => new FhirError(404, [{ code: 'not-found', diagnostics: `Patient/${patientId} is not known` }]);

export async function resolvePersonAccess(db: Db, callerClinicId: string, patientId: string, _opts: { breakGlassReason?: string } = {}): Promise<PersonAccess> {
  if (!isBridgeId(patientId)) throw notFound(patientId);
  const res = await db.query(
    `SELECT p.id AS "patientId", p.clinic_id AS "clinicId", p.person_id AS "personId", p.clinic_id = $2 AS own,
       EXISTS (SELECT 1 FROM resource c
               WHERE c.resource_type = 'Consent' AND NOT c.deleted AND c.clinic_id = p.clinic_id AND c.patient_id = p.id
                 AND c.content->>'status' = 'active' AND c.content->'provision'->>'type' = 'permit'
                 AND jsonb_path_exists(c.content, '$.provision.actor[*].reference.reference ? (@ == $org)', jsonb_build_object('org', 'Organization/' || $2::text))
       ) AS consent
     FROM patient p JOIN resource r ON r.id = p.id AND NOT r.deleted
     WHERE p.person_id = (SELECT person_id FROM patient WHERE id = $1)
     ORDER BY p.id`,
    [patientId, callerClinicId],
  );
  const rows = res.rows as { patientId: string; clinicId: string; personId: string; own: boolean; consent: boolean }[];
  if (!rows.some((r) => r.patientId === patientId)) throw notFound(patientId);
  return {
    personId: rows[0].personId,
    patients: rows.filter((r) => r.own || r.consent).map((r) => ({ patientId: r.patientId, clinicId: r.clinicId, basis: r.own ? 'own' : 'consent' })),
  };
}
