/**
 * Waiting in tests: for the condition a test then asserts, never for a fixed time (a sleep either wastes time or,
 * on a loaded machine, passes or fails by luck).
 */
export interface WaitOptions {
  /** Give up after this long (default 20 s); the error names `what`. */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  intervalMs?: number;
  what?: string;
}

/** Checks `condition` until it returns a truthy value, and returns that value; throws after `timeoutMs`. */
export async function waitFor<T>(condition: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 25, what = 'the condition' } = opts;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await condition();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
