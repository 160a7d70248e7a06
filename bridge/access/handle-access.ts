/**
 * Pulls by a Patient/$match handle: a handle issued to the caller stands for the patient records it names (their
 * persons found at use time, person-access follows the links). It opens nothing by itself: a pull by handle needs at
 * least one record readable on another basis than the caller's own (an approved consent request, a Consent, or
 * break-glass); otherwise it is refused exactly like an unknown patient (404), so a handle reveals nothing.
 */
import { resolveMatchHandle } from '../store/match-handles';
import type { Db } from '../store/db';

/** The form issueMatchHandle gives handles (`m` + 32 hex digits); bridge ids are UUIDs, so the two never collide. */
export const isMatchHandle = (id: string): boolean => /^m[0-9a-f]{32}$/.test(id);

/** The patient records behind `id` when it is a live handle issued to `clinicId`, else null. */
export async function handleRecords(db: Db, clinicId: string, id: string): Promise<string[] | null> {
  if (!isMatchHandle(id)) return null;
  return (await resolveMatchHandle(db, clinicId, id))?.patientIds ?? null;
}
