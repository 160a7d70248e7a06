/**
 * The one function that writes the audit trail. Every decision of the access layer (a read, search, pull, export,
 * push, refusal, an admin's change) is recorded through `audit`, inside the caller's transaction when given one, so
 * nothing else in the bridge imports store/audit's writer (test/unit/access/layering.test.ts checks that).
 */
import { recordAudit, type StoredAudit } from '../store/audit';
import type { Db, Tx } from '../store/db';
import type { AuditRecord } from './types';
import { noteAudit } from './audit-context';
import { notifyBreakGlass } from './patient-notifications';

export type { StoredAudit } from '../store/audit';

/**
 * Appends `rec` to the audit trail (hashed and anchorable like a bundle) and returns it as stored. A successful
 * break-glass access also tells the person (access/patient-notifications.ts), so no such access goes unnotified.
 */
export async function audit(db: Db | Tx, rec: AuditRecord): Promise<StoredAudit> {
  const stored = await recordAudit(db, rec);
  noteAudit(db, stored); // the response promises its inclusion (X-Log-Promise) once it is committed
  if (rec.breakGlass && rec.outcome === 'success' && rec.personId) await notifyBreakGlass(db, rec, stored.id);
  return stored;
}
