/**
 * The `:text` dictionary (store/search-text.ts, migration 029): a text is remembered as stored only once its
 * transaction commits, so a rolled-back write never leaves a text that later writes skip and searches never find;
 * concurrent writers of the same new texts both commit; a database from before 029 keeps what `:text` found.
 */
import { randomUUID } from 'node:crypto';
import { emptySearch } from '../../../bridge/fhir/search-params';
import { inTransaction, createPool, type Db } from '../../../bridge/store/db';
import { runMigrations } from '../../../bridge/store/migrate';
import { searchVisible } from '../../../bridge/store/search';
import { forgetCommittedTexts, registerTexts } from '../../../bridge/store/search-text';
import { textKey, typeKey } from '../../../bridge/model/search-keys';
import { createEmptyDatabase, createTestDatabase, migrateBefore, type TestDatabase } from '../../helpers/db';

const texts = async (db: Db): Promise<string[]> =>
  (await db.query(`SELECT resource_type || '/' || param || '/' || value AS t FROM search_text ORDER BY 1`)).rows.map((r) => r.t);

describe('the dictionary', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());
  beforeEach(async () => {
    await t.db.query('TRUNCATE search_text');
    forgetCommittedTexts();
  });

  test('a text written in a transaction that rolls back is written again by the next one', async () => {
    const text = { resourceType: 'Observation', param: 'code', value: 'glucose' };
    await expect(
      inTransaction(t.db, async (tx) => {
        await registerTexts(tx, [text]);
        throw new Error('the push failed after its texts');
      }),
    ).rejects.toThrow('the push failed');
    expect(await texts(t.db)).toEqual([]);
    await inTransaction(t.db, (tx) => registerTexts(tx, [text, text]));
    expect(await texts(t.db)).toEqual(['Observation/code/glucose']);
  });

  test('a text known committed is not written again; one forgotten is, without a conflict', async () => {
    const text = { resourceType: 'Condition', param: 'code', value: 'asthma' };
    await inTransaction(t.db, (tx) => registerTexts(tx, [text]));
    await t.db.query('TRUNCATE search_text'); // behind the process's back: it still believes the text stored
    await inTransaction(t.db, (tx) => registerTexts(tx, [text]));
    expect(await texts(t.db)).toEqual([]);
    forgetCommittedTexts();
    await inTransaction(t.db, (tx) => registerTexts(tx, [text]));
    await inTransaction(t.db, async (tx) => {
      forgetCommittedTexts();
      await registerTexts(tx, [text]); // already there: ON CONFLICT DO NOTHING
    });
    expect(await texts(t.db)).toEqual(['Condition/code/asthma']);
  });

  test('writers of the same new texts, listed in opposite orders, both commit (no deadlock)', async () => {
    const values = Array.from({ length: 40 }, (_, i) => ({ resourceType: 'Observation', param: 'code', value: `text ${i}` }));
    const writer = (list: typeof values) =>
      inTransaction(t.db, async (tx) => {
        await registerTexts(tx, list);
        await tx.query('SELECT pg_sleep(0.05)'); // both hold their inserts uncommitted at once
      });
    for (let round = 0; round < 5; round++) {
      await t.db.query('TRUNCATE search_text');
      forgetCommittedTexts();
      await Promise.all([writer(values), writer([...values].reverse())]);
      expect((await texts(t.db)).length).toBe(40);
    }
  });
});

test('a database from before 029: :text rows become keys and dictionary texts, and :text finds what it found', async () => {
  const empty = await createEmptyDatabase();
  const db = createPool(empty.url, 2);
  try {
    await migrateBefore(db, '029');
    const clinic = randomUUID();
    await db.query("INSERT INTO clinic (id, name) VALUES ($1, 'Old Clinic')", [clinic]);
    const [a, b] = [randomUUID(), randomUUID()];
    for (const id of [a, b])
      await db.query(
        `INSERT INTO resource (id, resource_type, clinic_id, version, last_updated, deleted, content, search_keys)
         VALUES ($1, 'Observation', $2, 1, now(), false, '{"resourceType": "Observation"}', $3)`,
        [id, clinic, [typeKey('Observation'), 'status=final']],
      );
    await db.query(
      `INSERT INTO search_string (resource_id, resource_type, param, value, exact) VALUES
         ($1, 'Observation', 'code:text', 'glucose', 'Glucose'), ($1, 'Observation', 'code:text', 'glucose [mass/volume]', 'Glucose [Mass/volume]'),
         ($2, 'Observation', 'code:text', 'glucose', 'glucose'), ($2, 'Observation', 'category:text', 'laboratory', 'Laboratory'),
         ($2, 'Observation', 'value-string', 'high', 'High')`,
      [a, b],
    );
    await runMigrations(db);
    expect(await texts(db)).toEqual(['Observation/category/laboratory', 'Observation/code/glucose', 'Observation/code/glucose [mass/volume]']);
    const keys = await db.query('SELECT id, search_keys AS keys FROM resource ORDER BY id = $1 DESC', [a]);
    expect(keys.rows[0].keys.sort()).toEqual(
      [typeKey('Observation'), 'status=final', textKey('code', 'glucose'), textKey('code', 'glucose [mass/volume]')].sort(),
    );
    expect(keys.rows[1].keys.sort()).toEqual([typeKey('Observation'), 'status=final', textKey('category', 'laboratory'), textKey('code', 'glucose')].sort());
    const left = await db.query('SELECT param FROM search_string');
    expect(left.rows).toEqual([{ param: 'value-string' }]);
    const vis = { kind: 'clinic' as const, clinicId: clinic, grantedPatientIds: [], withheld: [] };
    const found = async (param: string, value: string) =>
      (await searchVisible(db, vis, { ...emptySearch('Observation'), filters: [{ kind: 'text', param, values: [{ value }] }] })).rows.map((r) => r.id).sort();
    expect(await found('code', 'gluc')).toEqual([a, b].sort());
    expect(await found('code', 'glucose [')).toEqual([a]);
    expect(await found('category', 'lab')).toEqual([b]);
    expect(await found('code', 'lab')).toEqual([]);
  } finally {
    await db.end();
    await empty.drop();
  }
});
