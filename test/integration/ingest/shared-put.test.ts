import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

/**
 * Two clinics importing the same bulk export (NDJSON sent as PUT Type/id, as `fhir-bridge import` does) both PUT
 * the same Organization: it is a shared entity, stored once per identifier, and the second clinic's PUT matches it.
 */
let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(async () => bridge?.close());

const bundle = (name: string) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      resource: {
        resourceType: 'Organization',
        id: 'org-1',
        identifier: [{ system: 'https://github.com/synthetichealth/synthea', value: 'org-1-ident' }],
        name,
      },
      request: { method: 'PUT', url: 'Organization/org-1' },
    },
    {
      resource: { resourceType: 'Encounter', id: 'enc-1', status: 'finished', class: { code: 'AMB' }, serviceProvider: { reference: 'Organization/org-1' } },
      request: { method: 'PUT', url: 'Encounter/enc-1' },
    },
  ],
});

test('a shared entity PUT by a second clinic matches the stored one instead of failing', async () => {
  const a = await bridge.clinic('Clinic A');
  const b = await bridge.clinic('Clinic B');
  const first = await api(bridge.url, a.apiKey, 'POST', '/fhir', bundle('Hospital'));
  expect(first.status).toBe(200);
  const org = first.body.entry[0].response.location.split('/_history')[0];
  const second = await api(bridge.url, b.apiKey, 'POST', '/fhir', bundle('Hospital (as B knows it)'));
  expect(second.status).toBe(200);
  expect(second.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '201 Created']);
  expect(second.body.entry[0].response.location.split('/_history')[0]).toBe(org);
  const enc = await api(bridge.url, b.apiKey, 'GET', `/fhir/${second.body.entry[1].response.location.split('/_history')[0]}`);
  expect(enc.body.serviceProvider.reference).toBe(org);
  const orgs = await bridge.database.db.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Organization'`);
  expect(orgs.rows[0].n).toBe(1);
});
