/**
 * Per-address throttle of failed authentication (OWASP Authentication Cheat Sheet, "Protect against automated
 * attacks"; Retry-After per RFC 9110 §10.2.3, 429 per RFC 6585 §4).
 *
 * After `limit` failures from one address within `windowMs` (counted from its first failure), that address's
 * attempts with a credential it has not yet used successfully are answered 429 until the window ends, without
 * being checked, so guesses stop and cost nothing. A credential that has already authenticated from the address
 * (kept as its SHA-256, like OWASP's "device cookie") is still checked and served: a clinic that works is never
 * slowed by a neighbour behind the same address guessing keys. Memory is bounded: at most `maxTracked` addresses in
 * each map, the least recently touched dropped first.
 */
export interface ThrottleSettings {
  /** Failures per window before the address is throttled; 0 turns the throttle off. */
  limit: number;
  windowMs: number;
  maxTracked?: number;
  now?: () => number;
}

/** Known-good credentials remembered per address (a few suffice: a clinic has one key, two while rotating). */
const KNOWN_PER_ADDRESS = 4;

export class AuthThrottle {
  private readonly failures = new Map<string, { first: number; count: number }>();
  private readonly known = new Map<string, string[]>();
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(private readonly settings: ThrottleSettings) {
    this.maxTracked = settings.maxTracked ?? 10_000;
    this.now = settings.now ?? Date.now;
  }

  /** Seconds the caller must wait when this attempt is to be refused unchecked; undefined to go on and check it. */
  retryAfter(address: string, credential: string): number | undefined {
    const f = this.current(address);
    if (!f || f.count < this.settings.limit) return undefined;
    if (this.known.get(address)?.includes(credential)) return undefined;
    return Math.max(1, Math.ceil((f.first + this.settings.windowMs - this.now()) / 1000));
  }

  /** Records a failed attempt; true when this failure is the one that starts throttling the address. */
  failed(address: string): boolean {
    if (this.settings.limit <= 0) return false;
    const f = this.current(address) ?? { first: this.now(), count: 0 };
    f.count++;
    touch(this.failures, address, f, this.maxTracked);
    return f.count === this.settings.limit;
  }

  /** Records a credential that authenticated from the address. */
  succeeded(address: string, credential: string): void {
    const list = this.known.get(address) ?? [];
    const next = [credential, ...list.filter((c) => c !== credential)].slice(0, KNOWN_PER_ADDRESS);
    touch(this.known, address, next, this.maxTracked);
  }

  /** Addresses tracked (for tests of the bound). */
  get size(): { failures: number; known: number } {
    return { failures: this.failures.size, known: this.known.size };
  }

  private current(address: string): { first: number; count: number } | undefined {
    const f = this.failures.get(address);
    if (f && this.now() - f.first >= this.settings.windowMs) {
      this.failures.delete(address);
      return undefined;
    }
    return f;
  }
}

/** Sets `key` as the most recently used entry; drops the oldest when over `max` (a Map iterates in insertion order). */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as string);
}
