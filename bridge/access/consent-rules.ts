/**
 * What a stored permit Consent grants: pure rules over its `provision`. The bridge honours a provision it can
 * evaluate completely (permit, actor, period, sharing actions) and fails closed on any other criterion: a Consent
 * that narrows what is shared (nested provisions, data, class, code, dataPeriod, securityLabel, purpose) grants
 * nothing, because granting everything would share what the patient withheld.
 */
import { consentCandidates } from '../store/consent';
import { patientDecisions, type PatientDecision } from '../store/patient-consent';
import type { Db, Tx } from '../store/db';
import { fhirTimeRange } from '../normalize/time';

/** Provision elements that restrict what is shared; the bridge does not evaluate them, so it refuses. */
export const UNEVALUATED_PROVISION_ELEMENTS = ['provision', 'data', 'class', 'code', 'dataPeriod', 'securityLabel', 'purpose'] as const;
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
/** Actions under which sharing records with another clinic is consented (not `collect` or `correct` alone). */
const SHARING_ACTIONS = new Set(['access', 'disclose', 'use']);

/** Whether `now` lies in [start, end] of a FHIR Period whose bounds may be partial dates (`2025`, `2025-06`). */
export function periodContains(start: string | null | undefined, end: string | null | undefined, now: Date): boolean {
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

interface Provision {
  type?: string;
  period?: { start?: string; end?: string };
  action?: { coding?: { system?: string; code?: string }[]; text?: string }[];
  [element: string]: unknown;
}

/**
 * Whether a permit provision (its actor already matched) shares the patient's records now: in its period, for a
 * sharing action when actions are listed, with no criterion the bridge cannot evaluate.
 */
export function provisionGrants(provision: Provision | null | undefined, now: Date): boolean {
  if (!provision || provision.type !== 'permit') return false;
  if (UNEVALUATED_PROVISION_ELEMENTS.some((e) => provision[e] !== undefined)) return false;
  if (!periodContains(provision.period?.start, provision.period?.end, now)) return false;
  if (provision.action !== undefined) {
    const actions = (provision.action ?? [])
      .flatMap((a) => a.coding ?? [])
      .filter((c) => !c.system || c.system === CONSENT_ACTION)
      .map((c) => c.code);
    if (!actions.some((a) => a && SHARING_ACTIONS.has(a))) return false;
  }
  return true;
}

/**
 * Of `patientIds`, those whose holding clinic has stored an active Consent naming `clinicId` in `provision.actor`
 * whose provision grants now (provisionGrants).
 */
export async function consentingPatients(db: Db | Tx, clinicId: string, patientIds: string[], now: Date = new Date()): Promise<Set<string>> {
  const granted = new Set<string>();
  for (const c of await consentCandidates(db, clinicId, patientIds)) if (provisionGrants(c.provision as Provision, now)) granted.add(c.patientId);
  return granted;
}

/**
 * What a patient's own latest decision about a clinic grants (pure). Precedence (README "Patients: consent and
 * notifications"): once the person has authored a Consent naming a clinic, the latest such Consent governs that
 * clinic alone and every clinic-stored Consent naming it is ignored: active and in period, it grants every record
 * of the person, minus `excludedLabels`; revoked (inactive) or outside its period, it grants nothing.
 * Null: the person made no decision about the clinic, so clinic-stored Consents apply as before.
 */
export function patientGrant(d: PatientDecision | undefined, now: Date): { grants: boolean; excludedLabels: string[] } | null {
  if (!d) return null;
  return { grants: d.status === 'active' && periodContains(d.periodStart, d.periodEnd, now), excludedLabels: d.excludedLabels };
}

/** For each of `patientIds` whose person decided about `clinicId`: what that decision grants now (patientGrant). */
export async function patientGrants(
  db: Db | Tx,
  clinicId: string,
  patientIds: string[],
  now: Date = new Date(),
): Promise<Map<string, { grants: boolean; excludedLabels: string[] }>> {
  const out = new Map<string, { grants: boolean; excludedLabels: string[] }>();
  for (const [id, d] of await patientDecisions(db, clinicId, patientIds)) out.set(id, patientGrant(d, now)!);
  return out;
}
