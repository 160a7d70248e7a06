/**
 * Emergency access (break-glass): only for clinics an admin enabled, with a coded purpose of use and a reason of real
 * length, at most `limit` break-glass reads per clinic and hour. The header checks are pure; admission reads the store.
 */
import { outcomes } from '../fhir/outcome';
import { breakGlassEnabled, breakGlassUsage } from '../store/break-glass';
import type { Db } from '../store/db';
import { audit } from './audit';

export const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/**
 * Purposes of use that justify emergency access, from HL7 v3 ActReason (PurposeOfUse,
 * http://terminology.hl7.org/CodeSystem/v3-ActReason): emergency treatment, emergency room treatment, break the glass.
 */
export const BREAK_GLASS_PURPOSES: Readonly<Record<string, string>> = {
  ETREAT: 'Emergency Treatment',
  ERTREAT: 'emergency room treatment',
  BTG: 'break the glass',
};

/** Break-glass reads a clinic may make per hour unless BREAK_GLASS_LIMIT says otherwise. */
export const DEFAULT_BREAK_GLASS_LIMIT = 10;
export const REASON_MIN = 10;
export const REASON_MAX = 1000;
const WINDOW_SECONDS = 3600;

export interface BreakGlassRequest {
  purpose: string;
  reason: string;
}

/** `code` or `system|code` (a FHIR token) naming a v3 ActReason purpose allowed for break-glass; else null. */
export function breakGlassPurpose(header: string | undefined): string | null {
  const v = header?.trim() ?? '';
  const bar = v.lastIndexOf('|');
  const [system, code] = bar < 0 ? [undefined, v] : [v.slice(0, bar), v.slice(bar + 1)];
  if (system !== undefined && system !== ACT_REASON) return null;
  return Object.hasOwn(BREAK_GLASS_PURPOSES, code) ? code : null;
}

/** The break-glass a request asks for (`X-Break-Glass: <reason>` with `X-Purpose-Of-Use: <ActReason>`), checked; 400 when malformed. */
export function parseBreakGlass(reasonHeader: string | undefined, purposeHeader: string | undefined): BreakGlassRequest | undefined {
  if (reasonHeader === undefined) return undefined;
  const reason = reasonHeader.trim();
  if (reason.length < REASON_MIN || reason.length > REASON_MAX) {
    throw outcomes.invalid(`X-Break-Glass must give the reason for emergency access in ${REASON_MIN} to ${REASON_MAX} characters`);
  }
  const purpose = breakGlassPurpose(purposeHeader);
  if (!purpose) {
    throw outcomes.invalid(`break-glass needs X-Purpose-Of-Use with an HL7 v3 ActReason code: ${Object.keys(BREAK_GLASS_PURPOSES).join(', ')} (${ACT_REASON})`);
  }
  return { purpose, reason };
}

/** What the audit trail records as the purpose of a break-glass read: the code, then the reason. */
export const breakGlassText = (g: BreakGlassRequest): string => `${g.purpose}: ${g.reason}`;

/**
 * Admits a break-glass request of `clinicId`: 403 (audited as refused) unless an admin enabled the clinic; 429 with
 * Retry-After once it made `limit` break-glass reads in the last hour (counted from the audit trail, so every process
 * sharing the database agrees; concurrent requests may each pass the count once).
 */
export async function admitBreakGlass(db: Db, clinicId: string, g: BreakGlassRequest, limit: number): Promise<void> {
  if (!(await breakGlassEnabled(db, clinicId))) {
    await audit(db, {
      clinicId,
      action: 'refused',
      outcome: 'refused',
      purpose: breakGlassText(g),
      detail: 'break-glass refused: not enabled for this clinic',
    });
    throw outcomes.forbidden('break-glass is not enabled for this clinic; an admin enables it');
  }
  const usage = await breakGlassUsage(db, clinicId, WINDOW_SECONDS);
  if (usage.count >= limit) {
    await audit(db, {
      clinicId,
      action: 'refused',
      outcome: 'refused',
      purpose: breakGlassText(g),
      detail: `break-glass refused: limit of ${limit} per hour reached`,
    });
    throw outcomes.throttled(`break-glass limit of ${limit} per hour reached; retry after ${usage.freesInSeconds} s`, {
      retryAfterSeconds: usage.freesInSeconds,
    });
  }
}
