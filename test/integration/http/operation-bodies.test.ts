/**
 * The bodies of $match, Task (consent requests) and Subscription are read with the limits every push has
 * (fhir/json-limits.ts): JSON nested too deep and strings PostgreSQL cannot store are 400s naming the problem, and
 * nothing is written. Real PostgreSQL, the real bridge over HTTP.
 */
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };

beforeAll(async () => {
  bridge = await startTestBridge();
  clinic = await bridge.clinic('Klinik L');
});
afterAll(async () => bridge?.close());

/** An extension nested `depth` levels deep: legal JSON, far beyond what any FHIR resource needs. */
const deep = (depth: number): unknown => (depth === 0 ? { url: 'urn:x', valueString: 'x' } : { url: 'urn:x', extension: [deep(depth - 1)] });

const bodies: [string, (extra: Record<string, unknown>) => unknown][] = [
  [
    '/fhir/Patient/$match',
    (extra) => ({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', birthDate: '1980-04-02', ...extra } }] }),
  ],
  ['/fhir/Task', (extra) => ({ resourceType: 'Task', status: 'requested', intent: 'proposal', ...extra })],
  [
    '/fhir/Subscription',
    (extra) => ({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'r',
      criteria: 'Task',
      channel: { type: 'rest-hook', endpoint: 'https://93.184.215.14/h' },
      ...extra,
    }),
  ],
];

const written = async (): Promise<number> =>
  Number(
    (
      await bridge.database.db.query(
        'SELECT (SELECT count(*) FROM subscription) + (SELECT count(*) FROM consent_request) + (SELECT count(*) FROM match_handle) AS n',
      )
    ).rows[0].n,
  );

test.each(bodies)('%s: JSON nested deeper than 100 levels is a 400 too-costly, nothing written', async (path, body) => {
  const res = await api(bridge.url, clinic.apiKey, 'POST', path, body({ extension: [deep(120)] }));
  expect(res.status).toBe(400);
  expect(res.body.issue[0]).toMatchObject({ code: 'too-costly', diagnostics: expect.stringMatching(/nested more than 100 levels/) });
  expect(await written()).toBe(0);
});

test.each(bodies)('%s: a string PostgreSQL cannot store is a 400 naming where it is, nothing written', async (path, body) => {
  const res = await api(bridge.url, clinic.apiKey, 'POST', path, body({ language: 'de\u0000' }));
  expect(res.status).toBe(400);
  expect(res.body.issue[0]).toMatchObject({ code: 'invalid', expression: [expect.stringMatching(/language$/)] });
  expect(await written()).toBe(0);
});
