/** Sleeping and backing off, shared by the anchoring loops (batcher, checkpoint anchorer). */

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
