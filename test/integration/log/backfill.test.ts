/**
 * Upgrading a database from before the verifiable log: migration 022 queues the bundles and audit records already
 * stored, the bridge queues every earlier resource version at start, and all of them are then proven like new ones.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256Hex, canonicalJson } from '../../../bridge/fhir/hash';
import { createLogger } from '../../../bridge/log';
import { backfillLogEntries } from '../../../bridge/log/backfill';
import { parseVkey } from '../../../bridge/log/note';
import { verifyProofOffline, type Proof } from '../../../bridge/log/proof';
import { createLogService } from '../../../bridge/log/service';
import { runMigrations } from '../../../bridge/store/migrate';
import { migrateBefore } from '../../helpers/db';
import { emptyDatabaseForFile } from '../../helpers/empty-database';

const file = emptyDatabaseForFile(4);

it('logs what was stored before migration 022: bundles, audit records and every resource version', async () => {
  const { db } = file;
  // The schema as it was before the log (migrations up to 021).
  await migrateBefore(db, '022');

  const clinic = randomUUID();
  const bundle = randomUUID();
  const obs = randomUUID();
  const audit = randomUUID();
  const v1 = { resourceType: 'Observation', id: obs, meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' }, status: 'preliminary' };
  const v2 = { ...v1, meta: { versionId: '2', lastUpdated: '2026-01-02T00:00:00.000Z' }, status: 'final' };
  const bundleHash = sha256Hex('{"resourceType":"Bundle","type":"transaction"}');
  const auditHash = sha256Hex('{"auditId":"x"}');
  await db.query("INSERT INTO clinic (id, name) VALUES ($1, 'Old Clinic')", [clinic]);
  await db.query(
    `INSERT INTO bundle (id, clinic_id, hash, bundle_type, entry_count, canonical, response, salt)
     VALUES ($1, $2, decode($3, 'hex'), 'transaction', 1, '{}', '{}'::json, decode(repeat('ab', 32), 'hex'))`,
    [bundle, clinic, bundleHash.slice(2)],
  );
  await db.query(
    `INSERT INTO resource (id, resource_type, clinic_id, version, bundle_id, last_updated, content) VALUES ($1, 'Observation', $2, 2, $3, now(), $4)`,
    [obs, clinic, bundle, v2],
  );
  await db.query(`INSERT INTO resource_history (resource_id, version, bundle_id, last_updated, content) VALUES ($1, 1, $2, now(), $3)`, [obs, bundle, v1]);
  await db.query(
    `INSERT INTO audit_event (id, recorded, clinic_id, action, outcome, canonical, hash, salt)
     VALUES ($1, now(), $2, 'read', 'success', '{}', decode($3, 'hex'), decode(repeat('cd', 32), 'hex'))`,
    [audit, clinic, auditHash.slice(2)],
  );

  await runMigrations(db);
  expect(await backfillLogEntries(db)).toBe(2);
  expect(await backfillLogEntries(db)).toBe(0); // done once
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-log-'));
  const log = createLogService({ db, log: createLogger('silent'), keyFile: path.join(dir, 'k.pem'), intervalMs: 1000 });
  expect(await log.integrate()).toBe(4);
  const keys = [parseVkey(log.vkey)];
  const [p1, p2, pb, pa] = (await log.proofs([
    { kind: 'resource', id: obs, version: 1 },
    { kind: 'resource', id: obs, version: 2 },
    { kind: 'bundle', id: bundle },
    { kind: 'audit', id: audit },
  ])) as Proof[];
  expect(verifyProofOffline(p1, v1, keys)).toMatchObject({ ok: true });
  expect(verifyProofOffline(p2, v2, keys)).toMatchObject({ ok: true });
  expect(verifyProofOffline(p1, v2, keys)).toMatchObject({ ok: false, reason: 'document-mismatch' });
  expect(pb.leaf.hash).toBe(bundleHash);
  expect(pa.leaf.hash).toBe(auditHash);
  expect(p2.leaf).toMatchObject({ kind: 'resource', clinic, type: 'Observation', id: obs, version: 2 });
  expect(p2.leaf.hash).toBe(sha256Hex(canonicalJson(v2)));
  await log.close();
});
