import type { Bundle } from '@medplum/fhirtypes';
import { versionsNamed } from '../../../bridge/ingest/replay';

const response = (...entries: { status: string; location?: string }[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction-response',
  entry: entries.map((response) => ({ response })),
});
const ID = '0b9f0a2e-6f0e-4c4e-9d3a-1f2b3c4d5e6f';

describe('versionsNamed: what an earlier response says it wrote, matched or read', () => {
  test('every successful entry with a versioned location', () => {
    expect(
      versionsNamed(response({ status: '201 Created', location: `Patient/${ID}/_history/1` }, { status: '200 OK', location: `Observation/${ID}/_history/12` })),
    ).toEqual([
      { id: ID, version: 1 },
      { id: ID, version: 12 },
    ]);
  });
  test('failed batch entries wrote nothing and are left out', () => {
    expect(versionsNamed(response({ status: '412' }, { status: '400' }, { status: '204 No Content', location: `Patient/${ID}/_history/3` }))).toEqual([
      { id: ID, version: 3 },
    ]);
  });
  test('a successful entry that names no version (a delete of nothing) cannot be proven unchanged', () => {
    expect(versionsNamed(response({ status: '201 Created', location: `Patient/${ID}/_history/1` }, { status: '204 No Content' }))).toBeNull();
    expect(versionsNamed(response({ status: '200 OK', location: `Patient/${ID}` }))).toBeNull();
  });
  test('an empty response names nothing', () => {
    expect(versionsNamed({ resourceType: 'Bundle', type: 'batch-response' })).toEqual([]);
  });
});
