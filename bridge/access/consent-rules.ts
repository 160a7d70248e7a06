/**
 * What a stored permit Consent grants: pure rules over its `provision`. The bridge honours a provision it can
 * evaluate completely (permit, actor, period, sharing actions) and fails closed on any other criterion: a Consent
 * that narrows what is shared (nested provisions, data, class, code, dataPeriod, securityLabel, purpose) grants
 * nothing, because granting everything would share what the patient withheld.
 */
import { consentCandidates } from '../store/consent';
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
