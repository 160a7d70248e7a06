/** What the anchoring loops (batcher, checkpoint anchorer) share: their common options and controls, sleeping and backing off. */
import type { Logger } from '../log';
import type { Db } from '../store/db';
import type { AnchorChain } from './chain';

/** Options every anchoring loop takes. */
export interface AnchorLoopOptions {
  db: Db;
  log: Logger;
  /** The chain, or how to connect to it (retried with backoff while it fails, e.g. an external node that is down). */
  chain: AnchorChain | (() => Promise<AnchorChain>);
  /** Retry delays after a chain failure: initialMs, doubled per failure up to maxMs (defaults 1 s, 60 s). */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * A sent transaction not mined after this long counts as a failure (default 10 min); what it anchors stays
   * submitted and the next pass waits for that same transaction again rather than sending another.
   */
  anchorTimeoutMs?: number;
}

/** The controls of a running anchoring loop. */
export interface AnchorLoop {
  start(): void;
  /** Look now instead of at the next poll (a push, a published checkpoint); an interval and a backoff still apply. */
  wake(): void;
  /** The connected chain, once connected. */
  chain(): AnchorChain | undefined;
  /** Failures in a row since the last successful pass (0 when healthy). */
  failures(): number;
  /** The last failure's message while failing (null when healthy); set together with {@link failures}. */
  lastError(): string | null;
}

/** Holds the wake-up of a sleeping loop: `wake()` ends its current sleep early. */
export interface Sleeper {
  wake?: () => void;
}

/** Sleeps `ms`, or less when `signal.wake()` is called meanwhile. */
export const sleepFor = (ms: number, signal: Sleeper): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.wake = undefined;
      resolve();
    }
    signal.wake = done;
  });

/** Retry delay after `failures` failures in a row: initialMs, doubled per failure, capped at maxMs. */
export const backoffMs = (failures: number, backoff: { initialMs: number; maxMs: number }): number =>
  Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));

export const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
