/**
 * `X-Log-Promise` on every audited response: for each audit record written while the request was handled, the
 * base64 of a signed inclusion promise (bridge/log/promise.ts; several are comma-separated, RFC 9110 §5.3). The
 * headers are added when the status line is written (res.writeHead, which Express's send/json/end all reach), so
 * the audits recorded before the answer — every access-layer path audits before it answers — are all promised.
 */
import type { NextFunction, Request, Response } from 'express';
import { collectAudits, type PromisedAudit } from '../access/audit-context';
import { promiseHeader, signPromise } from '../log/promise';
import type { LogService } from '../log/service';

export const LOG_PROMISE_HEADER = 'X-Log-Promise';
export const DEFAULT_LOG_MAX_DELAY_MS = 60_000;

export function logPromises(log: LogService, maxDelayMs: number) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const records: PromisedAudit[] = [];
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      if (records.length && !res.headersSent) {
        const values = records.map((a) =>
          promiseHeader(
            signPromise({ origin: log.origin, auditId: a.id, hash: a.hash, deadline: Math.ceil((Date.parse(a.recorded) + maxDelayMs) / 1000) }, log.signingKey),
          ),
        );
        res.setHeader(LOG_PROMISE_HEADER, values.join(', '));
      }
      return writeHead(...args);
    }) as typeof res.writeHead;
    collectAudits(records, next);
  };
}
