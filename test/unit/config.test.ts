import os from 'node:os';
import { loadConfig } from '../../bridge/config';

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
