/**
 * Upgrading a database from before migration 028: every stored row, deleted ones too, gets its type key
 * (model/search-keys.ts typeKey), so a count, which reads the type as that key, counts what was stored before.
 */
import { randomUUID } from 'node:crypto';
import { reindexSearch } from '../../../bridge/ingest/search-reindex';
import { runMigrations } from '../../../bridge/store/migrate';
import { searchVisible } from '../../../bridge/store/search';
import { typeKey } from '../../../bridge/model/search-keys';
import { emptySearch } from '../../../bridge/fhir/search-params';
import { migrateBefore } from '../../helpers/db';
import { emptyDatabaseForFile } from '../../helpers/empty-database';

const file = emptyDatabaseForFile(2);

it('rows stored before 028 hold their type key after it, once, and are counted', async () => {
  const { db } = file;
  await migrateBefore(db, '028');

  const clinic = randomUUID();
  await db.query("INSERT INTO clinic (id, name) VALUES ($1, 'Old Clinic')", [clinic]);
  const rows = [
    { type: 'Observation', deleted: false, keys: ['status=final', 'code|http://loinc.org|2345-7'] },
    { type: 'Observation', deleted: false, keys: ['code|http://loinc.org|2345-7'] },
    { type: 'Observation', deleted: true, keys: [] },
    { type: 'Patient', deleted: false, keys: [] }, // still waiting to be reindexed (search_keys '{}')
  ];
  for (const r of rows) {
    await db.query(
      `INSERT INTO resource (id, resource_type, clinic_id, version, last_updated, deleted, content, search_keys)
       VALUES ($1, $2, $3, 1, now(), $4, $5, $6)`,
      [randomUUID(), r.type, clinic, r.deleted, { resourceType: r.type }, r.keys],
    );
  }

  await runMigrations(db);
  const stored = await db.query(
    'SELECT resource_type AS type, deleted, search_keys AS keys FROM resource ORDER BY resource_type, deleted, cardinality(search_keys)',
  );
  expect(stored.rows).toEqual([
    { type: 'Observation', deleted: false, keys: [typeKey('Observation'), 'code|http://loinc.org|2345-7'] },
    { type: 'Observation', deleted: false, keys: [typeKey('Observation'), 'status=final', 'code|http://loinc.org|2345-7'] },
    { type: 'Observation', deleted: true, keys: [typeKey('Observation')] },
    { type: 'Patient', deleted: false, keys: [typeKey('Patient')] },
  ]);
  // Reindexing (a row stored before migration 026's indexes) rebuilds the keys from the content, the type key with them.
  await db.query(`INSERT INTO search_reindex (resource_id) SELECT id FROM resource WHERE resource_type = 'Patient'`);
  await db.query(`UPDATE resource SET content = '{"resourceType": "Patient", "gender": "female"}' WHERE resource_type = 'Patient'`);
  expect(await reindexSearch(db)).toBe(1);
  const patient = await db.query(`SELECT search_keys AS keys FROM resource WHERE resource_type = 'Patient'`);
  expect(patient.rows[0].keys.filter((k: string) => k.startsWith('_type='))).toEqual([typeKey('Patient')]);
  expect(patient.rows[0].keys).toContain('gender=female');

  const vis = { kind: 'clinic' as const, clinicId: clinic, grantedPatientIds: [], withheld: [] };
  const counted = await searchVisible(db, vis, emptySearch('Observation', { total: 'accurate' }));
  expect(counted.total).toBe(2); // the deleted one is not counted
});
