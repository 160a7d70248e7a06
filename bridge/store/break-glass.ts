/** Break-glass: which clinics an admin enabled, and how many break-glass reads a clinic made lately. */
import { lockClinic } from './clinics';
import type { Db, Tx } from './db';

export async function breakGlassEnabled(db: Db, clinicId: string): Promise<boolean> {
  const res = await db.query('SELECT break_glass_enabled_at IS NOT NULL AS on FROM clinic WHERE id = $1', [clinicId]);
  return res.rows[0]?.on === true;
}

/**
 * Enables or disables break-glass for a clinic inside the caller's transaction (the access layer audits the change in
 * the same one); false when the clinic is unknown.
 */
export async function setBreakGlass(tx: Tx, clinicId: string, enabled: boolean): Promise<boolean> {
  if (!(await lockClinic(tx, clinicId))) return false;
  await tx.query(`UPDATE clinic SET break_glass_enabled_at = CASE WHEN $2 THEN COALESCE(break_glass_enabled_at, statement_timestamp()) END WHERE id = $1`, [
    clinicId,
    enabled,
  ]);
  return true;
}

/**
 * Break-glass reads of a clinic within the last `windowSeconds` (from the audit trail), and the seconds until the
 * oldest of them leaves the window. Measured by the clock that stamps `audit_event.recorded` (the bridge's, see
 * store/audit), not the database's, so a skew between the two cannot shift the window.
 */
export async function breakGlassUsage(db: Db, clinicId: string, windowSeconds: number): Promise<{ count: number; freesInSeconds: number }> {
  const res = await db.query(
    `SELECT count(*)::int AS count,
            COALESCE(CEIL(EXTRACT(EPOCH FROM (min(recorded) + make_interval(secs => $2) - $3::timestamptz))), 0)::int AS frees
       FROM audit_event WHERE clinic_id = $1 AND break_glass AND recorded > $3::timestamptz - make_interval(secs => $2)`,
    [clinicId, windowSeconds, new Date().toISOString()],
  );
  return { count: res.rows[0].count, freesInSeconds: Math.max(1, res.rows[0].frees) };
}
