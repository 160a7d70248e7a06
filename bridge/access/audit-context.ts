/**
 * The audit records written while one request is handled (AsyncLocalStorage), so the HTTP edge can promise each
 * one's inclusion in the log in the response (X-Log-Promise, bridge/http/log-promise.ts) without the access layer
 * knowing about HTTP. audit() is the only writer (access/audit.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredAudit } from '../store/audit';

const current = new AsyncLocalStorage<StoredAudit[]>();

/** Runs `fn` with a fresh collector; what audit() records inside it (and its async continuations) lands in `records`. */
export function collectAudits<T>(records: StoredAudit[], fn: () => T): T {
  return current.run(records, fn);
}

/** Called by audit() after each record is written. */
export function noteAudit(stored: StoredAudit): void {
  current.getStore()?.push(stored);
}
