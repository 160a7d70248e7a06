/**
 * Delivers Subscription notifications from the outbox (store/subscriptions.ts) as FHIR R4 rest-hooks
 * (https://hl7.org/fhir/R4/subscription.html#channels): without a payload an empty POST to the endpoint; with
 * `application/fhir+json` a PUT of the Task, as its subscriber sees it now, to `{endpoint}/Task/{id}`. Each row is
 * claimed for a lease (FOR UPDATE SKIP LOCKED, so bridge processes share the work), sent with a deadline, and on
 * failure retried with exponential backoff; after `maxAttempts` the Subscription is set to `error` with the reason.
 * Delivery is at least once: a process that dies mid-send leaves the row to be sent again when its lease ends.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { taskAsSeenBy } from '../access/consent-requests';
import { communicationAsSeenBy } from '../access/patient-notifications';
import type { Logger } from '../log';
import { inTransaction, type Db } from '../store/db';
import { claimDueNotifications, giveUp, markDelivered, pruneOutbox, scheduleRetry, type DueNotification } from '../store/subscriptions';
import { isNonPublicAddress, NON_PUBLIC, NonPublicAddressError, publicOnlyLookup } from './hook-address';

export interface NotifierOptions {
  /** Pause between passes when nothing was due (NOTIFY_POLL_MS). */
  pollMs?: number;
  /** Deadline of one delivery (NOTIFY_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Deliveries before giving up (NOTIFY_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to 10 minutes (NOTIFY_RETRY_BASE_MS). */
  retryBaseMs?: number;
  batch?: number;
  /** Deliver to loopback/private/link-local hosts too (NOTIFY_ALLOW_PRIVATE_HOSTS; default false: public hosts only). */
  allowPrivateHosts?: boolean;
}

export interface Notifier {
  /** Runs a pass soon (after a state change in this process). */
  wake(): void;
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 600_000;

interface HookRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * One request to a hook; resolves with its status. No redirect is followed, and the address is checked when the
 * socket connects (an IP literal before, since it is not looked up), so neither can lead to an internal host.
 */
function callHook(url: string, init: HookRequest, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  const target = new URL(url);
  if (!allowPrivate && isIP(target.hostname.replace(/^\[|\]$/g, '')) && isNonPublicAddress(target.hostname)) return Promise.reject(new NonPublicAddressError());
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: init.method,
        headers: init.headers,
        lookup: publicOnlyLookup(allowPrivate),
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        // The body is read and dropped: nothing of it reaches Subscription.error.
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * What Subscription.error may say of a failure: the status class, a timeout, a refused destination or an unreachable
 * endpoint; never the status itself or anything the endpoint sent (an internal host must not be probed through it).
 */
function failureOf(err: unknown, timeoutMs: number): string {
  if (err instanceof NonPublicAddressError) return NON_PUBLIC;
  const e = err as Error;
  return e.name === 'TimeoutError' || e.name === 'AbortError' ? `endpoint did not answer within ${timeoutMs} ms` : 'endpoint unreachable';
}

async function send(db: Db, n: DueNotification, timeoutMs: number, allowPrivate: boolean): Promise<string | null> {
  const headers: Record<string, string> = {};
  for (const line of n.subscription.headers) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  let url = n.subscription.endpoint;
  let init: HookRequest = { method: 'POST', headers };
  if (n.communicationId && n.subscription.accountId) {
    // A patient's Subscription: the Communication as the patient sees it (R4 rest-hook with payload: PUT {endpoint}/{type}/{id}).
    const c = await communicationAsSeenBy(db, n.subscription.accountId, n.communicationId);
    if (!c) return null;
    if (n.subscription.payload) {
      url = `${url}/Communication/${encodeURIComponent(n.communicationId)}`;
      init = { method: 'PUT', headers: { ...headers, 'content-type': n.subscription.payload }, body: JSON.stringify(c) };
    }
  } else if (n.subscription.payload) {
    const task = await taskAsSeenBy(db, n.subscription.clinicId, n.taskId);
    // A Task the subscriber can no longer see (a link undone) is not sent: the notification is done.
    if (!task) return null;
    url = `${url}/Task/${encodeURIComponent(n.taskId)}`;
    init = { method: 'PUT', headers: { ...headers, 'content-type': n.subscription.payload }, body: JSON.stringify(task) };
  }
  try {
    const status = await callHook(url, init, timeoutMs, allowPrivate);
    return status >= 200 && status < 300 ? null : `endpoint answered ${Math.floor(status / 100)}xx`;
  } catch (err) {
    return failureOf(err, timeoutMs);
  }
}

/** Starts the delivery loop; `stop` waits for the pass in progress. */
export function startNotifier(db: Db, log: Logger, opts: NotifierOptions = {}): Notifier {
  const pollMs = opts.pollMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const retryBaseMs = opts.retryBaseMs ?? 2000;
  const batch = opts.batch ?? 20;
  const allowPrivate = opts.allowPrivateHosts ?? false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const deliver = async (n: DueNotification): Promise<void> => {
    const error = await send(db, n, timeoutMs, allowPrivate);
    if (!error) return markDelivered(db, n.id);
    if (n.attempts >= maxAttempts) {
      await inTransaction(db, (tx) => giveUp(tx, n.id, n.subscription.id, `${error}; gave up after ${n.attempts} attempts`));
      log.warn({ subscription: n.subscription.id, attempts: n.attempts }, 'subscription notification given up; subscription set to error');
      return;
    }
    await scheduleRetry(db, n.id, Math.min(retryBaseMs * 2 ** (n.attempts - 1), MAX_BACKOFF_MS), error);
  };

  let pruned = 0;
  const pass = async (): Promise<number> => {
    if (Date.now() - pruned > 600_000) {
      pruned = Date.now();
      await pruneOutbox(db);
    }
    // The lease outlives a delivery's deadline, so a row is never sent twice by two live processes.
    const due = await claimDueNotifications(db, batch, timeoutMs * 2 + 5000);
    await Promise.all(due.map((n) => deliver(n).catch(() => undefined)));
    return due.length;
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = pass()
        .catch((err: Error) => (log.warn({ errName: err.name }, 'notification pass failed'), 0))
        .then((n) => schedule(n ? 0 : pollMs));
    }, ms);
    timer.unref();
  };
  schedule(0);
  return {
    wake: () => {
      if (!running || stopped) return schedule(0);
      void running.then(() => schedule(0));
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
