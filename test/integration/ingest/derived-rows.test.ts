/**
 * What the foreign keys dropped by migration 030 guarded, checked on what the write path leaves: after creates,
 * updates, deletes, a refused bundle and concurrent pushes (of the fixtures, and of Synthea bundles when present),
 * every universal-schema row names a stored resource, its clinic and (if any) a stored patient, and every resource
 * its clinic and bundle.
 */
import fs from 'node:fs';
import { CLINICAL_TABLES } from '../../../bridge/store/clinical';
import { api, fixtureBundle, hasSamples, sampleFiles } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(async () => bridge?.close());

/** Rows naming what is not there, per relation (each count should be 0). */
async function orphans(): Promise<Record<string, number>> {
  const checks: Record<string, string> = {
    'resource.clinic_id': 'SELECT count(*) FROM resource r WHERE NOT EXISTS (SELECT 1 FROM clinic c WHERE c.id = r.clinic_id)',
    'resource.bundle_id': 'SELECT count(*) FROM resource r WHERE r.bundle_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bundle b WHERE b.id = r.bundle_id)',
  };
  for (const t of CLINICAL_TABLES) {
    checks[`${t}.resource_id`] = `SELECT count(*) FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM resource r WHERE r.id = x.resource_id)`;
    checks[`${t}.clinic_id`] = `SELECT count(*) FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM clinic c WHERE c.id = x.clinic_id)`;
    checks[`${t}.patient_id`] = `SELECT count(*) FROM ${t} x WHERE x.patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = x.patient_id)`;
  }
  const out: Record<string, number> = {};
  for (const [name, sql] of Object.entries(checks)) out[name] = Number((await bridge.database.db.query(sql)).rows[0].count);
  return out;
}

test('every derived row names what it derives from, after every kind of write', async () => {
  const a = (await bridge.clinic('Clinic A')).apiKey;
  const b = (await bridge.clinic('Clinic B')).apiKey;
  const bundles = [fixtureBundle('transaction-patient-encounter.json')];
  if (hasSamples) for (const f of sampleFiles('synthea-r4').slice(0, 2)) bundles.push(JSON.parse(fs.readFileSync(f, 'utf8')));
  // Concurrent pushes by two clinics, then the same again (replays).
  const pushed = await Promise.all(bundles.flatMap((bundle) => [a, b].map((key) => api(bridge.url, key, 'POST', '/fhir', bundle))));
  expect(pushed.map((r) => r.status)).toEqual(pushed.map(() => 200));
  await Promise.all(bundles.map((bundle) => api(bridge.url, a, 'POST', '/fhir', bundle)));

  // An update and a delete of an Observation with clinical rows; a bundle refused halfway through resolution.
  const observation = (pushed[0].body.entry as any[]).map((e) => e.response.location as string).find((l) => l.startsWith('Observation/'));
  expect(observation).toBeDefined();
  const id = observation!.split('/')[1];
  const read = await api(bridge.url, a, 'GET', `/fhir/Observation/${id}`);
  const updated = await api(bridge.url, a, 'PUT', `/fhir/Observation/${id}`, { ...read.body, status: 'amended' });
  expect(updated.status).toBe(200);
  const refused = await api(bridge.url, a, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
      {
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'y' } },
        request: { method: 'PUT', url: 'Observation?identifier=a&identifier=b' },
      },
      { request: { method: 'DELETE', url: 'Patient/not-a-known-one/and-more' } },
    ],
  });
  expect(refused.status).toBeGreaterThanOrEqual(400);
  expect((await api(bridge.url, a, 'DELETE', `/fhir/Observation/${id}`)).status).toBe(204);

  const rows = await bridge.database.db.query(`SELECT (SELECT count(*) FROM observation)::int AS obs, (SELECT count(*) FROM resource)::int AS res`);
  expect(rows.rows[0].obs).toBeGreaterThan(0); // the checks below look at something
  expect(rows.rows[0].res).toBeGreaterThan(5);
  const found = await orphans();
  expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, 0])));
});
