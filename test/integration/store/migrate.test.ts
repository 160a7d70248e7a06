import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createPool } from '../../../bridge/store/db';
import { MIGRATIONS_DIR, runMigrations } from '../../../bridge/store/migrate';
import { withDatabase } from '../../helpers/db';

test('two bridges migrating one empty database at once apply every file exactly once', async () => {
  const admin = new Client({ connectionString: process.env.TEST_PG_URL });
  await admin.connect();
  const name = `fab_migrate_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const a = createPool(withDatabase(process.env.TEST_PG_URL as string, name), 2);
  const b = createPool(withDatabase(process.env.TEST_PG_URL as string, name), 2);
  try {
    const [ranA, ranB] = await Promise.all([runMigrations(a), runMigrations(b)]);
    const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));
    // Every file ran in exactly one of the two processes.
    expect([...ranA, ...ranB].filter((f) => !f.startsWith('0_')).sort()).toEqual(files.sort());
    const recorded = (await a.query('SELECT name FROM migrations WHERE id > 0')).rows;
    expect(recorded).toHaveLength(files.length);
    expect(await runMigrations(a)).toEqual([]);
  } finally {
    await a.end();
    await b.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
});
