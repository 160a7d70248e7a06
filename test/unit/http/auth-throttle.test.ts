import { AuthThrottle } from '../../../bridge/http/auth-throttle';

function throttle(limit = 3, windowMs = 10_000, maxTracked?: number) {
  let now = 1_000_000;
  const t = new AuthThrottle({ limit, windowMs, maxTracked, now: () => now });
  return { t, advance: (ms: number) => (now += ms) };
}

test('an address is throttled after `limit` failures in the window, for what is left of the window', () => {
  const { t, advance } = throttle();
  expect([t.failed('a'), t.failed('a')]).toEqual([false, false]);
  expect(t.retryAfter('a', 'guess')).toBeUndefined();
  advance(2_500);
  expect(t.failed('a')).toBe(true); // the third failure starts the throttle
  expect(t.retryAfter('a', 'guess')).toBe(8); // 7.5 s left, rounded up
  expect(t.retryAfter('b', 'guess')).toBeUndefined(); // other addresses are not affected
  advance(7_499);
  expect(t.retryAfter('a', 'guess')).toBe(1);
  advance(1);
  expect(t.retryAfter('a', 'guess')).toBeUndefined(); // the window ended: a fresh start
  expect(t.failed('a')).toBe(false);
});

test('a credential that authenticated from the address passes a throttle; other credentials do not', () => {
  const { t } = throttle();
  t.succeeded('a', 'good');
  for (let i = 0; i < 3; i++) t.failed('a');
  expect(t.retryAfter('a', 'good')).toBeUndefined();
  expect(t.retryAfter('a', 'never-seen')).toBeGreaterThan(0);
  t.succeeded('b', 'elsewhere');
  expect(t.retryAfter('a', 'elsewhere')).toBeGreaterThan(0); // known from another address only
});

test('limit 0 turns the throttle off', () => {
  const { t } = throttle(0);
  for (let i = 0; i < 100; i++) expect(t.failed('a')).toBe(false);
  expect(t.retryAfter('a', 'x')).toBeUndefined();
});

test('memory stays bounded under failures from many addresses, the oldest dropped first', () => {
  const { t } = throttle(2, 60_000, 100);
  for (let i = 0; i < 5_000; i++) {
    t.failed(`10.0.${i >> 8}.${i & 255}`);
    t.succeeded(`10.1.${i >> 8}.${i & 255}`, 'k');
  }
  expect(t.size).toEqual({ failures: 100, known: 100 });
  t.failed('10.0.19.135'); // i = 4999: still tracked, now at its limit
  expect(t.retryAfter('10.0.19.135', 'x')).toBeGreaterThan(0);
  expect(t.retryAfter('10.0.0.0', 'x')).toBeUndefined();
});

test('an address remembers a few known credentials (a rotation holds two)', () => {
  const { t } = throttle(1);
  for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) t.succeeded('a', k);
  t.failed('a');
  expect(['k1', 'k2', 'k5'].map((k) => t.retryAfter('a', k) === undefined)).toEqual([false, true, true]);
});
