import os from 'node:os';
import { loadConfig, parseTrustProxy } from '../../bridge/config';
import { defaultSharedBuffersMb } from '../../bridge/store/embedded';

describe('ingest worker settings', () => {
  test('default to one worker per CPU, at most 4 (each holds the FHIR definitions), with 4 connections each', () => {
    const config = loadConfig({});
    expect(config.ingestWorkers).toBe(Math.min(os.availableParallelism(), 4));
    expect(config.ingestConnections).toBe(4);
  });

  test('INGEST_WORKERS wins; VALIDATION_WORKERS, the earlier name, is still read', () => {
    expect(loadConfig({ INGEST_WORKERS: '3', VALIDATION_WORKERS: '1' }).ingestWorkers).toBe(3);
    expect(loadConfig({ VALIDATION_WORKERS: '0' }).ingestWorkers).toBe(0);
  });

  test('bad values are refused with the variable named', () => {
    expect(() => loadConfig({ INGEST_WORKERS: '-1' })).toThrow(/INGEST_WORKERS/);
    expect(() => loadConfig({ INGEST_CONNECTIONS: '0' })).toThrow(/INGEST_CONNECTIONS/);
  });
});

describe('embedded PostgreSQL memory', () => {
  test('shared_buffers: a quarter of the memory the process may use (a container limit counts), never under 128 MB', () => {
    const GB = 2 ** 30;
    expect(defaultSharedBuffersMb(24 * GB, 0)).toBe(6144); // no cgroup limit known
    expect(defaultSharedBuffersMb(24 * GB, 2 * GB)).toBe(512); // a 2 GB container on a 24 GB host
    expect(defaultSharedBuffersMb(24 * GB, 64 * GB)).toBe(6144); // a limit above the machine's memory
    expect(defaultSharedBuffersMb(256 * 2 ** 20, 0)).toBe(128); // PostgreSQL's own default is the floor
  });

  test('EMBEDDED_PG_SHARED_BUFFERS_MB sets it; absent, the default above; under 16 MB or not a number is refused', () => {
    expect(loadConfig({}).embeddedPgSharedBuffersMb).toBeUndefined();
    expect(loadConfig({ EMBEDDED_PG_SHARED_BUFFERS_MB: '1024' }).embeddedPgSharedBuffersMb).toBe(1024);
    expect(() => loadConfig({ EMBEDDED_PG_SHARED_BUFFERS_MB: '8' })).toThrow(/EMBEDDED_PG_SHARED_BUFFERS_MB/);
    expect(() => loadConfig({ EMBEDDED_PG_SHARED_BUFFERS_MB: '1GB' })).toThrow(/EMBEDDED_PG_SHARED_BUFFERS_MB/);
  });
});

describe('authentication settings', () => {
  test('failed-authentication throttle: 20 per 60 s by default; 0 turns it off; a window under 1 s is refused', () => {
    expect(loadConfig({})).toMatchObject({ authFailLimit: 20, authFailWindowMs: 60_000, trustProxy: false });
    expect(loadConfig({ AUTH_FAIL_LIMIT: '0', AUTH_FAIL_WINDOW_MS: '5000' })).toMatchObject({ authFailLimit: 0, authFailWindowMs: 5000 });
    expect(() => loadConfig({ AUTH_FAIL_WINDOW_MS: '10' })).toThrow(/AUTH_FAIL_WINDOW_MS/);
    expect(() => loadConfig({ AUTH_FAIL_LIMIT: 'many' })).toThrow(/AUTH_FAIL_LIMIT/);
  });

  test('TRUST_PROXY is read as Express reads trust proxy: boolean, hop count, or addresses', () => {
    expect(['', 'false', 'true', '1', 'loopback', '10.0.0.0/8, 192.168.1.1'].map((v) => parseTrustProxy(v))).toEqual([
      false,
      false,
      true,
      1,
      'loopback',
      '10.0.0.0/8, 192.168.1.1',
    ]);
  });
});

describe('Patient/$match settings', () => {
  test('MATCH_LIMIT 60 per hour and handles of 7 days by default; a handle life under a minute is refused', () => {
    expect(loadConfig({})).toMatchObject({ matchLimit: 60, matchHandleTtlSeconds: 7 * 24 * 3600 });
    expect(loadConfig({ MATCH_LIMIT: '0', MATCH_HANDLE_TTL_SECONDS: '3600' })).toMatchObject({ matchLimit: 0, matchHandleTtlSeconds: 3600 });
    expect(() => loadConfig({ MATCH_HANDLE_TTL_SECONDS: '5' })).toThrow(/MATCH_HANDLE_TTL_SECONDS/);
    expect(() => loadConfig({ MATCH_LIMIT: '-1' })).toThrow(/MATCH_LIMIT/);
  });
});

describe('patient sign-in settings', () => {
  test('defaults: enrolment codes live 4320 minutes, 5 failed sign-ins per account in 15 minutes, the id_token key under DATA_DIR', () => {
    const c = loadConfig({ DATA_DIR: '/tmp/bridge-data' });
    expect(c).toMatchObject({
      enrolmentCodeTtlMinutes: 4320,
      signinFailLimit: 5,
      signinFailWindowMs: 900_000,
      idTokenKeyFile: '/tmp/bridge-data/id-token-key.json',
    });
    expect(loadConfig({ ENROLMENT_CODE_TTL_MINUTES: '60', ID_TOKEN_KEY_FILE: '/etc/bridge/key.json' })).toMatchObject({
      enrolmentCodeTtlMinutes: 60,
      idTokenKeyFile: '/etc/bridge/key.json',
    });
    expect(() => loadConfig({ ENROLMENT_CODE_TTL_MINUTES: '0' })).toThrow(/ENROLMENT_CODE_TTL_MINUTES/);
  });
  it('reads LOG_MAX_DELAY_MS (default 60 s), at least CHECKPOINT_INTERVAL_MS', () => {
    expect(loadConfig({}).log.maxDelayMs).toBe(60_000);
    expect(loadConfig({ LOG_MAX_DELAY_MS: '5000', CHECKPOINT_INTERVAL_MS: '5000' }).log.maxDelayMs).toBe(5000);
    expect(() => loadConfig({ LOG_MAX_DELAY_MS: '4000' })).toThrow(/LOG_MAX_DELAY_MS.*CHECKPOINT_INTERVAL_MS/);
    expect(() => loadConfig({ LOG_MAX_DELAY_MS: 'soon' })).toThrow(/LOG_MAX_DELAY_MS/);
  });
});
