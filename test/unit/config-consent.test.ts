import { loadConfig } from '../../bridge/config';

test('consent-request and notification settings: defaults, and read from the environment', () => {
  expect(loadConfig({})).toMatchObject({ consentRequestMaxDays: 365, notify: { pollMs: 1000, timeoutMs: 10_000, maxAttempts: 8, retryBaseMs: 2000 } });
  expect(
    loadConfig({ CONSENT_REQUEST_MAX_DAYS: '30', NOTIFY_POLL_MS: '200', NOTIFY_TIMEOUT_MS: '3000', NOTIFY_MAX_ATTEMPTS: '3', NOTIFY_RETRY_BASE_MS: '500' }),
  ).toMatchObject({ consentRequestMaxDays: 30, notify: { pollMs: 200, timeoutMs: 3000, maxAttempts: 3, retryBaseMs: 500 } });
  expect(() => loadConfig({ CONSENT_REQUEST_MAX_DAYS: '0' })).toThrow(/CONSENT_REQUEST_MAX_DAYS/);
  expect(() => loadConfig({ NOTIFY_MAX_ATTEMPTS: 'many' })).toThrow(/NOTIFY_MAX_ATTEMPTS/);
});
