/**
 * The one place a request's purpose of use and break-glass are read and admitted: `X-Purpose-Of-Use: <purpose>`
 * (free text, recorded with every access) and `X-Break-Glass: <reason>` (HL7 v3 ActReason purpose, an enabled clinic,
 * within its hourly limit; 400 / 403 / 429 before anything is read). The session then carries what was admitted.
 */
import { admitBreakGlass, breakGlassText, parseBreakGlass } from './break-glass';
import type { PersonAccessOptions } from './person-access';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

/** The request headers admission reads (as sent; undefined when absent). */
export interface AccessHeaders {
  purposeOfUse?: string;
  breakGlass?: string;
}

/** `X-Purpose-Of-Use` as recorded with an access: trimmed, at most 200 characters, absent when empty. */
export const requestPurpose = (header: string | undefined): string | undefined => header?.trim().slice(0, 200) || undefined;

/** The session with its purpose of use and, when asked for and admitted, its break-glass. */
export async function admitAccessHeaders(svc: AccessServices, session: Session, headers: AccessHeaders): Promise<Session> {
  const purpose = requestPurpose(headers.purposeOfUse);
  const glass = parseBreakGlass(headers.breakGlass, headers.purposeOfUse);
  if (glass) await admitBreakGlass(svc.db, actingClinic(session), glass, svc.breakGlassLimit);
  return { ...session, ...(purpose !== undefined ? { purpose } : {}), ...(glass ? { breakGlass: glass } : {}) };
}

/** What the policy functions (person-access, resource-access) take from a session: its purpose and break-glass reason. */
export function accessOptions(session: Session): PersonAccessOptions {
  return {
    ...(session.breakGlass ? { breakGlassReason: breakGlassText(session.breakGlass) } : {}),
    ...(session.purpose !== undefined ? { purpose: session.purpose } : {}),
  };
}
