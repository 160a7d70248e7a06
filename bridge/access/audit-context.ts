/**
 * The audit records committed while one request is handled (AsyncLocalStorage), so the HTTP edge can promise each
 * one's inclusion in the log in the response (X-Log-Promise, bridge/http/log-promise.ts) without the access layer
 * knowing about HTTP. audit() is the only writer (access/audit.ts); a record written in a transaction is noted only
 * once that transaction commits, so a rolled-back or retried attempt's record (which does not exist) is never promised.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredAudit } from '../store/audit';
import { afterCommit, type Db, type Tx } from '../store/db';

/** What a promise needs of a record; plain data, so it crosses from an ingest worker thread in the push result. */
export type PromisedAudit = Pick<StoredAudit, 'id' | 'hash' | 'recorded'>;

const current = new AsyncLocalStorage<PromisedAudit[]>();

/** Runs `fn` with a fresh collector; what audit() commits inside it (and its async continuations) lands in `records`. */
export function collectAudits<T>(records: PromisedAudit[], fn: () => T): T {
  return current.run(records, fn);
}

/** Called by audit() after each record is written: noted in the current collector once `db`'s transaction commits. */
export function noteAudit(db: Db | Tx, stored: StoredAudit): void {
  const records = current.getStore(); // the collector of the request that wrote it, not of whoever runs the commit
  if (records) afterCommit(db, () => records.push({ id: stored.id, hash: stored.hash, recorded: stored.recorded }));
}

/** Notes records committed elsewhere (an ingest worker thread's push) in the current collector. */
export function noteCommittedAudits(audits: readonly PromisedAudit[] | undefined): void {
  current.getStore()?.push(...(audits ?? []));
}
