import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BUSY_ATTEMPTS, pushOne, retryAfterMs } from '../../../bridge/tools/import';

/** A stand-in bridge answering POST /fhir from a script of statuses (the real one is covered by import-cli.test). */
async function scriptedBridge(statuses: number[]): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(calls, statuses.length - 1)];
      calls++;
      const body =
        status === 200
          ? { resourceType: 'Bundle', type: 'transaction-response', entry: [] }
          : {
              resourceType: 'OperationOutcome',
              issue: [{ severity: 'error', code: status === 503 ? 'transient' : 'structure', diagnostics: `status ${status}` }],
            };
      res.writeHead(status, { 'content-type': 'application/fhir+json', ...(status === 503 ? { 'retry-after': '0' } : {}) });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const bundle = { resourceType: 'Bundle', type: 'collection', entry: [] } as never;

test('a busy bridge (503 with Retry-After) is waited for and the push retried until it is taken', async () => {
  const bridge = await scriptedBridge([503, 503, 200]);
  try {
    expect(await pushOne(bridge.url, 'key', bundle)).toBeNull();
    expect(bridge.calls()).toBe(3);
  } finally {
    await bridge.close();
  }
});

test('a rejection is not retried; a bridge busy for too long is reported with its reason', async () => {
  const invalid = await scriptedBridge([400]);
  const busy = await scriptedBridge([503]);
  try {
    expect(await pushOne(invalid.url, 'key', bundle)).toEqual({ status: 400, reason: 'status 400' });
    expect(invalid.calls()).toBe(1);
    expect(await pushOne(busy.url, 'key', bundle)).toEqual({ status: 503, reason: 'status 503' });
    expect(busy.calls()).toBe(MAX_BUSY_ATTEMPTS);
  } finally {
    await invalid.close();
    await busy.close();
  }
});

test('Retry-After in seconds or as a date, bounded', () => {
  expect(retryAfterMs(null)).toBe(1000);
  expect(retryAfterMs('2')).toBe(2000);
  expect(retryAfterMs('3600')).toBe(30_000);
  expect(retryAfterMs(new Date(10_000).toUTCString(), 5_000)).toBe(5_000);
  expect(retryAfterMs('soon')).toBe(1000);
});
