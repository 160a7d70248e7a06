import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from 'postgres-migrations';
import { findClinicByApiKey, keyHash } from '../../../bridge/store/clinics';
import { readHistory, readVersion } from '../../../bridge/store/resources';
import { createPool } from '../../../bridge/store/db';
import { MIGRATIONS_DIR, runMigrations } from '../../../bridge/store/migrate';
import { createEmptyDatabase } from '../../helpers/db';

test('two bridges migrating one empty database at once apply every file exactly once', async () => {
  const empty = await createEmptyDatabase();
  const a = createPool(empty.url, 2);
  const b = createPool(empty.url, 2);
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
    await empty.drop();
  }
});

test('007 upgrades history written by earlier releases: current versions leave resource_history, _history still lists every version once', async () => {
  const empty = await createEmptyDatabase();
  const db = createPool(empty.url, 2);
  const before006 = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-migrations-'));
  try {
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && f < '007'))
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before006, f));
    const client = await db.connect();
    await migrate({ client }, before006, { logger: () => undefined });
    client.release();
    // What an earlier release wrote (before 011 moved keys to clinic_key).
    const clinic = randomUUID();
    await db.query(`INSERT INTO clinic (id, name, api_key_hash) VALUES ($1, 'Old release clinic', $2)`, [clinic, keyHash('fab_old')]);
    const id = randomUUID();
    const v = (n: number) => JSON.stringify({ resourceType: 'Observation', id, status: n === 1 ? 'preliminary' : 'final', meta: { versionId: String(n) } });
    await db.query(`INSERT INTO resource (id, resource_type, clinic_id, version, last_updated, content) VALUES ($1, 'Observation', $2, 2, now(), $3)`, [
      id,
      clinic,
      v(2),
    ]);
    // What the earlier release wrote: every version in history, the current one included.
    await db.query(`INSERT INTO resource_history (resource_id, version, last_updated, content) VALUES ($1, 1, now(), $2), ($1, 2, now(), $3)`, [
      id,
      v(1),
      v(2),
    ]);
    expect(await runMigrations(db)).toEqual(
      fs
        .readdirSync(MIGRATIONS_DIR)
        .filter((f) => f.endsWith('.sql') && f >= '007')
        .sort(),
    );
    expect((await db.query('SELECT version FROM resource_history WHERE resource_id = $1', [id])).rows).toEqual([{ version: 1 }]);
    const history = await readHistory(db, clinic, 'Observation', id);
    expect(history.map((h) => [h.version, (h.content as { status: string }).status])).toEqual([
      [2, 'final'],
      [1, 'preliminary'],
    ]);
    expect((await readVersion(db, clinic, 'Observation', id, 1))?.content).toMatchObject({ status: 'preliminary' });
    expect((await readVersion(db, clinic, 'Observation', id, 2))?.content).toMatchObject({ status: 'final' });
  } finally {
    await db.end();
    fs.rmSync(before006, { recursive: true, force: true });
    await empty.drop();
  }
});

test('011 moves the keys of clinics made by earlier releases to clinic_key: they keep working, and can be revoked', async () => {
  const empty = await createEmptyDatabase();
  const db = createPool(empty.url, 2);
  const before011 = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-migrations-'));
  try {
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && f < '011'))
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before011, f));
    const client = await db.connect();
    await migrate({ client }, before011, { logger: () => undefined });
    client.release();
    const clinic = randomUUID();
    await db.query(`INSERT INTO clinic (id, name, api_key_hash) VALUES ($1, 'Old release clinic', $2)`, [clinic, keyHash('fab_old-key')]);
    await runMigrations(db);
    expect(await findClinicByApiKey(db, 'fab_old-key')).toEqual({ id: clinic, name: 'Old release clinic' });
    expect(await findClinicByApiKey(db, 'fab_other-key')).toBeNull();
    await db.query('UPDATE clinic_key SET revoked_at = now() WHERE clinic_id = $1', [clinic]);
    expect(await findClinicByApiKey(db, 'fab_old-key')).toBeNull();
  } finally {
    await db.end();
    fs.rmSync(before011, { recursive: true, force: true });
    await empty.drop();
  }
});
