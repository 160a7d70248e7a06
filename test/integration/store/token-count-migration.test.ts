/**
 * Upgrading a database from before migration 031: the token values of every current version are copied from its
 * search keys into search_token, which counts token searches (store/search.ts tokenCountSql), so a count right after
 * the upgrade is the count before it.
 */
import { randomUUID } from 'node:crypto';
import { runMigrations } from '../../../bridge/store/migrate';
import { searchVisible } from '../../../bridge/store/search';
import { emptySearch } from '../../../bridge/fhir/search-params';
import type { TokenFilter } from '../../../bridge/model/search';
import { tokenCodeKey, tokenHash, tokenRowsOfKeys, tokenSystemKey, tokenValuesOfKeys } from '../../../bridge/model/search-keys';
import { reindexSearch } from '../../../bridge/ingest/search-reindex';
import { migrateBefore } from '../../helpers/db';
import { emptyDatabaseForFile } from '../../helpers/empty-database';

const file = emptyDatabaseForFile(2);

it('each token value of a current version is one row, from its keys; nothing else is', async () => {
  const { db } = file;
  await migrateBefore(db, '031');
  const clinic = randomUUID();
  const patient = randomUUID();
  await db.query("INSERT INTO clinic (id, name) VALUES ($1, 'Old Clinic')", [clinic]);
  const insert = async (type: string, deleted: boolean, keys: string[], patientId: string | null = null): Promise<string> => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO resource (id, resource_type, clinic_id, version, patient_id, last_updated, deleted, content, search_keys)
       VALUES ($1, $2, $3, 1, $4, now(), $5, $6, $7)`,
      [id, type, clinic, patientId, deleted, { resourceType: type }, keys],
    );
    return id;
  };
  await insert(
    'Patient',
    false,
    [
      '_type=Patient',
      'gender',
      'gender=female',
      'gender|http://hl7.org/fhir/administrative-gender|female',
      'gender|http://hl7.org/fhir/administrative-gender|',
    ],
    patient,
  );
  const obs = await insert(
    'Observation',
    false,
    [
      '_type=Observation',
      'code',
      'code=2345-7',
      'code|http://loinc.org|2345-7',
      'code|http://loinc.org|',
      'code=a|b', // a code holding `|`, found in any system
      'code||a|b', // …and as having no system
      'code~glucose', // a text of a code (migration 029): no value of its own
      'code~a|b|c', // …also when it holds `|`
      'status',
      'status=final',
      'status||final',
      'subject',
      `subject>Patient/${patient}`,
      'subject>http://example.org/fhir/Patient/x|y', // an unresolved reference holding `|`
    ],
    patient,
  );
  await insert('Observation', true, ['_type=Observation']); // deleted: no values
  // Waiting for its first index (migration 026): no keys, so no rows yet; the reindex writes both.
  const waiting = await insert('Observation', false, [], patient);
  await db.query(`UPDATE resource SET content = $2 WHERE id = $1`, [
    waiting,
    { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] } },
  ]);
  await db.query('INSERT INTO search_reindex (resource_id) VALUES ($1) ON CONFLICT DO NOTHING', [waiting]);

  await runMigrations(db);
  const rows = await db.query(
    `SELECT code_key::text AS "codeKey", system_key::text AS "systemKey", clinic_id = $1 AS "ownClinic", patient_id AS "patientId", resource_id = $2 AS obs
     FROM search_token`,
    [clinic, obs],
  );
  const row = (type: string, param: string, system: string, code: string, obs: boolean) => ({
    codeKey: tokenCodeKey(type, param, code),
    systemKey: tokenSystemKey(system),
    ownClinic: true,
    patientId: patient,
    obs,
  });
  const order = (r: { codeKey: string; systemKey: string }[]) => [...r].sort((a, b) => (a.codeKey + a.systemKey).localeCompare(b.codeKey + b.systemKey));
  expect(order(rows.rows)).toEqual(
    order([
      row('Observation', 'code', 'http://loinc.org', '2345-7', true),
      row('Observation', 'code', '', 'a|b', true),
      row('Observation', 'status', '', 'final', true),
      row('Patient', 'gender', 'http://hl7.org/fhir/administrative-gender', 'female', false),
    ]),
  );

  const vis = { kind: 'clinic' as const, clinicId: clinic, grantedPatientIds: [], withheld: [] };
  const count = async (type: string, param: string, value: TokenFilter) =>
    (await searchVisible(db, vis, emptySearch(type, { total: 'accurate', filters: [{ kind: 'token', param, not: false, values: [value] }] }))).total;
  expect(await count('Observation', 'code', { systems: ['http://loinc.org'], code: '2345-7' })).toBe(1);
  expect(await count('Observation', 'code', { code: 'a|b' })).toBe(1);
  expect(await count('Observation', 'status', { systems: null, code: 'final' })).toBe(1);
  expect(await count('Patient', 'gender', { code: 'female' })).toBe(1);
  expect(await count('Observation', 'code', { systems: ['http://snomed.info/sct'], code: '2345-7' })).toBe(0);

  // The reindex gives the waiting resource its keys and its token rows together, and its count follows.
  expect(await count('Observation', 'code', { systems: ['http://loinc.org'], code: '718-7' })).toBe(0);
  expect(await reindexSearch(db)).toBeGreaterThanOrEqual(1);
  expect(await count('Observation', 'code', { systems: ['http://loinc.org'], code: '718-7' })).toBe(1);
  expect(await count('Observation', 'status', { systems: null, code: 'final' })).toBe(2);
  const reindexed = await db.query('SELECT code_key::text AS "codeKey" FROM search_token WHERE resource_id = $1 ORDER BY 1', [waiting]);
  expect(reindexed.rows.map((r) => r.codeKey).sort()).toEqual(
    [tokenCodeKey('Observation', 'code', '718-7'), tokenCodeKey('Observation', 'status', 'final')].sort(),
  );
});

it('the bridge reads token values from keys exactly as the SQL function that clears them does', async () => {
  const { db } = file;
  const keys = [
    '_type=Observation',
    'code',
    'code=2345-7',
    'code|http://loinc.org|2345-7',
    'code|http://loinc.org|',
    'code=a|b',
    'code||a|b',
    'code|sys|a|b',
    'code||',
    'subject>Patient/1',
    'subject>http://x/y|z',
    'subject:identifier|urn:oid:1.2|abc',
    'code~hemoglobin a1c',
    'code~x|y|z',
    'c|',
    '|x|y',
  ];
  const sql = await db.query('SELECT param, system, code FROM search_token_values($1::text[])', [keys]);
  expect(tokenValuesOfKeys(keys)).toEqual(sql.rows);
  expect(sql.rows.length).toBe(5); // 2345-7 in LOINC, a|b without and with a system, the identifier, and `|x|y`'s
  const hashed = await db.query('SELECT code_key::text AS "codeKey", system_key::text AS "systemKey" FROM search_token_rows($1, $2::text[])', [
    'Observation',
    keys,
  ]);
  expect(tokenRowsOfKeys('Observation', keys)).toEqual(hashed.rows);
});

it('the bridge hashes values as the SQL function search_token_hash does, for any text', async () => {
  const { db } = file;
  const texts = ['', 'http://loinc.org', 'Observation|code|2345-7', 'Ünïcødé ✓ 日本', 'a'.repeat(5000), 'tab\tand\nnewline', "quote ' and \\"];
  const sql = await db.query('SELECT t, search_token_hash(t)::text AS h FROM unnest($1::text[]) t', [texts]);
  expect(sql.rows.map((r) => r.h)).toEqual(texts.map(tokenHash));
  expect(new Set(sql.rows.map((r) => r.h)).size).toBe(texts.length);
});
