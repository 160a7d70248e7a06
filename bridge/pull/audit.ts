/**
 * Where pull operations ($everything, $summary, timeline, export) record what they disclosed. The routes take an
 * `AuditSink`; app.ts wires it. On branch `pulls` the default writes audit lines to the log; at merge it becomes
 * `(record) => recordAudit(db, record)` from bridge/store/audit.ts (access branch). Call sites: see README / report.
 */
import type { AuditRecord } from '../access/types';
import type { Logger } from '../log';

export type AuditSink = (record: AuditRecord) => Promise<void>;

/** Interim sink until bridge/store/audit.ts lands: ids and outcome only, never names or resources. */
export function logAuditSink(log: Logger): AuditSink {
  return async (record) => {
    log.info({ audit: { ...record, patientIds: record.patientIds?.length } }, 'audit');
  };
}
