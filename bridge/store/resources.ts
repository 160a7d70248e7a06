import { createHash } from 'node:crypto';
import type { Condition, MatchLock, SearchValues } from '../model/search';
import { isBridgeId } from '../model/ids';
import { arrayLiteral, copyRows } from './copy';
import { anySystemKey, rowKeysOf, systemKey } from '../model/search-keys';
import { clearTokenRows, writeSearchIndex, writeTokenRows } from './search-index';
import { queueLogEntries } from './log';
import { binder, type Db, type Tx } from './db';

/** Types stored once per identifier for all clinics, and readable and referable by every clinic. */
export const SHARED_TYPES = ['Organization', 'Practitioner', 'Location', 'Medication'];

export interface StoredRef {
  id: string;
  resourceType: string;
  version: number;
  deleted: boolean;
  clinicId: string;
}

export interface ResourceWrite {
  id: string;
  resourceType: string;
  clinicId: string;
  sourceId: string | null;
  version: number;
  patientId: string | null;
  bundleId: string;
  lastUpdated: string;
  dateStart: string | null;
  dateEnd: string | null;
  deleted: boolean;
  content: unknown;
  /** The values of its search parameters (none for a delete). */
  search: SearchValues;
  /** HL7 v3 sensitivity labels of this version (normalize/sensitivity.ts); migration 020. */
  sensitivity: string[];
  /** `0x` + SHA-256 of the RFC 8785 canonical JSON of `content`: the document its verifiable-log entry commits to. */
  contentHash: string;
  /** `content` as JSON text (its RFC 8785 form, whose SHA-256 is contentHash), written as is. */
  contentJson?: string;
}

const RESOURCE_COLUMNS = [
  'id',
  'resource_type',
  'clinic_id',
  'source_id',
  'version',
  'patient_id',
  'bundle_id',
  'last_updated',
  'date_start',
  'date_end',
  'deleted',
  'content',
  'sensitivity',
  'search_keys',
];

const REF_COLUMNS = 'r.id, r.resource_type AS "resourceType", r.version, r.deleted, r.clinic_id AS "clinicId"';

/**
 * Resolves `Type/id` keys as a clinic means them: its own source id first, else a bridge id it may use
 * (its own resources and shared entities). Result keyed by `Type/id` as asked.
 */
export async function lookupResources(tx: Tx | Db, clinicId: string, keys: { resourceType: string; id: string }[]): Promise<Map<string, StoredRef>> {
  const found = new Map<string, StoredRef>();
  if (!keys.length) return found;
  const types = keys.map((k) => k.resourceType);
  const ids = keys.map((k) => k.id);
  const bridgeKeys = keys.filter((k) => isBridgeId(k.id));
  const res = await tx.query(
    `SELECT ${REF_COLUMNS}, k.i AS asked, 0 AS rank FROM unnest($2::text[], $3::text[]) AS k(t, i)
       JOIN resource r ON r.clinic_id = $1 AND r.resource_type = k.t AND r.source_id = k.i
     UNION ALL
     SELECT ${REF_COLUMNS}, r.id::text AS asked, 1 AS rank FROM resource r
       WHERE r.id = ANY($4::uuid[]) AND (r.clinic_id = $1 OR r.resource_type = ANY($5::text[]))
     ORDER BY rank`,
    [clinicId, types, ids, bridgeKeys.map((k) => k.id), SHARED_TYPES],
  );
  for (const row of res.rows) {
    const key = `${row.resourceType}/${row.asked}`;
    if (!found.has(key)) found.set(key, { id: row.id, resourceType: row.resourceType, version: row.version, deleted: row.deleted, clinicId: row.clinicId });
  }
  return found;
}

/**
 * Locks the rows of resources about to be changed (SELECT … FOR NO KEY UPDATE: the lock an UPDATE of them takes, so
 * writers queue while rows merely referencing them do not; in id order, so two writers of the same set never
 * deadlock) and returns them as they are now: a writer that waited sees the version the other one committed, so
 * concurrent updates serialize into distinct versions. Keyed by bridge id.
 */
export async function lockResources(tx: Tx, ids: string[]): Promise<Map<string, StoredRef>> {
  const locked = new Map<string, StoredRef>();
  const unique = [...new Set(ids)].sort();
  if (!unique.length) return locked;
  const res = await tx.query(`SELECT ${REF_COLUMNS} FROM resource r WHERE r.id = ANY($1::uuid[]) ORDER BY r.id FOR NO KEY UPDATE`, [unique]);
  for (const row of res.rows)
    locked.set(row.id, { id: row.id, resourceType: row.resourceType, version: row.version, deleted: row.deleted, clinicId: row.clinicId });
  return locked;
}

/** Current version of each of these resources (bridge ids), for deciding whether a repeated push would change anything. */
export async function currentVersions(tx: Tx, ids: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const uuids = [...new Set(ids)].filter(isBridgeId);
  if (!uuids.length) return found;
  const res = await tx.query('SELECT id, version FROM resource WHERE id = ANY($1::uuid[])', [uuids]);
  for (const row of res.rows) found.set(row.id, row.version);
  return found;
}

/**
 * The bridge id of `Type/id` as the calling clinic names it on a read: its own source id (the id it chose in
 * `PUT Type/{id}` or a pushed bundle) first, else `id` itself (a bridge id, checked by the read).
 */
export async function ownResourceId(db: Db | Tx, clinicId: string, resourceType: string, id: string): Promise<string> {
  const res = await db.query('SELECT id FROM resource WHERE clinic_id = $1 AND resource_type = $2 AND source_id = $3', [clinicId, resourceType, id]);
  return res.rows[0]?.id ?? id;
}

/** Shared entities already stored, keyed by `Type|system|value`. */
export async function lookupSharedEntities(tx: Tx, keys: { resourceType: string; system: string; value: string }[]): Promise<Map<string, StoredRef>> {
  const found = new Map<string, StoredRef>();
  if (!keys.length) return found;
  const res = await tx.query(
    `SELECT ${REF_COLUMNS}, s.system, s.value FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, s, v)
       JOIN shared_entity s ON s.resource_type = k.t AND s.system = k.s AND s.value = k.v
       JOIN resource r ON r.id = s.resource_id`,
    [keys.map((k) => k.resourceType), keys.map((k) => k.system), keys.map((k) => k.value)],
  );
  for (const row of res.rows)
    found.set(`${row.resourceType}|${row.system}|${row.value}`, {
      id: row.id,
      resourceType: row.resourceType,
      version: row.version,
      deleted: row.deleted,
      clinicId: row.clinicId,
    });
  return found;
}

/** Claims identifiers for a new shared entity; a concurrent claim of the same one fails on the primary key (retried by the caller). */
export async function insertSharedEntities(tx: Tx, rows: { resourceType: string; system: string; value: string; resourceId: string }[]): Promise<void> {
  if (!rows.length) return;
  await tx.query(
    `INSERT INTO shared_entity (resource_type, system, value, resource_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[])`,
    [rows.map((r) => r.resourceType), rows.map((r) => r.system), rows.map((r) => r.value), rows.map((r) => r.resourceId)],
  );
}

/** Who a match of `resourceType` is scoped to: shared entities are matched across clinics, the rest per clinic. */
function matchScope(clinicId: string, resourceType: string): string {
  return SHARED_TYPES.includes(resourceType) ? 'shared' : clinicId;
}

/** Advisory-lock id (bigint) of a match lock: the first 64 bits of SHA-256 over scope, type and key. */
function lockId(clinicId: string, lock: MatchLock): bigint {
  const digest = createHash('sha256')
    .update(`${matchScope(clinicId, lock.resourceType)}\0${lock.resourceType}\0${lock.key}`)
    .digest();
  return digest.readBigInt64BE(0);
}

/**
 * Takes transaction-scoped advisory locks so that conditional operations which could match the same resource run
 * one after the other: the later one then matches against what the earlier one committed (READ COMMITTED: every
 * statement sees the latest commits). Locks are taken in ascending id order, each once in its strongest mode, so
 * two transactions never wait on each other in a cycle; released at COMMIT or ROLLBACK.
 */
export async function lockMatches(tx: Tx, clinicId: string, locks: MatchLock[]): Promise<void> {
  const modes = new Map<bigint, boolean>();
  for (const l of locks) {
    const id = lockId(clinicId, l);
    modes.set(id, (modes.get(id) ?? false) || l.exclusive);
  }
  if (!modes.size) return;
  const ids = [...modes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // One statement: unnest yields the rows in array order and each is locked as it is projected (had the order ever
  // differed, PostgreSQL's deadlock detection would abort one side with 40P01, which the push retries).
  await tx.query(
    `SELECT CASE WHEN u.x THEN pg_advisory_xact_lock(u.k) ELSE pg_advisory_xact_lock_shared(u.k) END
     FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY AS u(k, x, n) ORDER BY u.n`,
    [ids.map(String), ids.map((id) => modes.get(id) as boolean)],
  );
}

/** The search_keys one identifier condition matches (FHIR token semantics, see Condition; model/search-keys.ts). */
function identifierKey(c: Condition): string {
  if (c.system === undefined) return anySystemKey('identifier', c.code as string);
  return systemKey('identifier', c.system, c.code ?? '');
}

/**
 * Resources of `resourceType` a clinic may match with conditional criteria: at most `limit` (2 tells "several").
 * Callers take lockMatches first, so the match sees every concurrent conditional write that could match.
 */
export async function matchCriteria(tx: Tx | Db, clinicId: string, resourceType: string, conditions: Condition[], limit = 2): Promise<StoredRef[]> {
  const params: unknown[] = [clinicId, resourceType, SHARED_TYPES];
  const p = binder(params);
  const where = conditions.map((c) => {
    const code = c.code as string;
    if (c.param === '_id') {
      // Typed parameters of their own: one `$n` used as uuid and as text is refused by PostgreSQL (42883).
      return isBridgeId(code) ? `(r.id = ${p(code)}::uuid OR r.source_id = ${p(code)}::text)` : `r.source_id = ${p(code)}::text`;
    }
    return `r.search_keys @> ARRAY[${p(identifierKey(c))}::text]`;
  });
  const res = await tx.query(
    `SELECT ${REF_COLUMNS} FROM resource r
     WHERE r.resource_type = $2 AND NOT r.deleted AND (r.clinic_id = $1 OR r.resource_type = ANY($3::text[])) AND ${where.join(' AND ')}
     LIMIT ${limit}`,
    params,
  );
  return res.rows;
}

/** Writes new versions (creates, updates, deletes): the superseded row to history, the current row and its search tokens, a few statements for all. */
export async function writeResources(tx: Tx, rows: ResourceWrite[]): Promise<void> {
  if (!rows.length) return;
  // New resources (version 1) are appended with COPY; new versions of existing ones replace the current row, which
  // moves to history first (the current version is kept only in resource).
  const created = rows.filter((r) => r.version === 1);
  const replaced = rows.filter((r) => r.version > 1);
  const updated = replaced.map((r) => r.id);
  const keys = new Map(rows.map((r) => [r, rowKeysOf(r.resourceType, r.search)]));
  await copyRows(
    tx,
    'resource',
    RESOURCE_COLUMNS,
    created.map((r) => [
      r.id,
      r.resourceType,
      r.clinicId,
      r.sourceId,
      r.version,
      r.patientId,
      r.bundleId,
      r.lastUpdated,
      r.dateStart,
      r.dateEnd,
      r.deleted,
      r.contentJson ?? JSON.stringify(r.content),
      `{${r.sensitivity.join(',')}}`,
      arrayLiteral(keys.get(r) as string[]),
    ]),
  );
  if (replaced.length) {
    await clearTokenRows(tx, updated); // while the rows hold the keys their token rows were made from
    await tx.query(
      `INSERT INTO resource_history (resource_id, version, bundle_id, last_updated, deleted, content)
       SELECT id, version, bundle_id, last_updated, deleted, content FROM resource WHERE id = ANY($1::uuid[])`,
      [updated],
    );
    const records = replaced.map((r) => ({
      id: r.id,
      resource_type: r.resourceType,
      clinic_id: r.clinicId,
      source_id: r.sourceId,
      version: r.version,
      patient_id: r.patientId,
      bundle_id: r.bundleId,
      last_updated: r.lastUpdated,
      date_start: r.dateStart,
      date_end: r.dateEnd,
      deleted: r.deleted,
      content: r.content,
      sensitivity: r.sensitivity,
      search_keys: keys.get(r),
    }));
    await tx.query(
      `INSERT INTO resource (${RESOURCE_COLUMNS.join(', ')})
       SELECT ${RESOURCE_COLUMNS.join(', ')}
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, resource_type text, clinic_id uuid, source_id text, version int, patient_id uuid,
         bundle_id uuid, last_updated timestamptz, date_start timestamptz, date_end timestamptz, deleted boolean, content jsonb, sensitivity text[], search_keys text[])
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, patient_id = EXCLUDED.patient_id, bundle_id = EXCLUDED.bundle_id,
         last_updated = EXCLUDED.last_updated, date_start = EXCLUDED.date_start, date_end = EXCLUDED.date_end,
         deleted = EXCLUDED.deleted, content = EXCLUDED.content, sensitivity = EXCLUDED.sensitivity,
         search_keys = EXCLUDED.search_keys`,
      [JSON.stringify(records)],
    );
  }
  // Every version written is an entry of the verifiable log, committed with it (its hash: what a full-access reader gets).
  await queueLogEntries(
    tx,
    rows.map((r) => ({
      kind: 'resource',
      refId: r.id,
      version: r.version,
      docHash: r.contentHash,
      clinicId: r.clinicId,
      resourceType: r.resourceType,
    })),
  );
  await writeSearchIndex(
    tx,
    rows.map((r) => ({ id: r.id, resourceType: r.resourceType, values: r.search })),
    updated,
  );
  await writeTokenRows(
    tx,
    rows.map((r) => ({ id: r.id, resourceType: r.resourceType, clinicId: r.clinicId, patientId: r.patientId, keys: keys.get(r) as string[] })),
  );
}

export interface StoredResource {
  id: string;
  resourceType: string;
  version: number;
  deleted: boolean;
  lastUpdated: string;
  content: Record<string, unknown>;
}

/** The current version of a resource the clinic may read (its own, or a shared entity). */
export async function readResource(db: Db | Tx, clinicId: string, resourceType: string, id: string): Promise<StoredResource | null> {
  if (!isBridgeId(id)) return null;
  const res = await db.query(
    `SELECT id, resource_type AS "resourceType", version, deleted, last_updated AS "lastUpdated", content FROM resource
     WHERE id = $1 AND resource_type = $2 AND (clinic_id = $3 OR resource_type = ANY($4::text[]))`,
    [id, resourceType, clinicId, SHARED_TYPES],
  );
  return res.rows[0] ?? null;
}

/** Every version of one readable resource: the current one (in resource) and the superseded ones (in resource_history). */
const VERSIONS = `SELECT * FROM (
    SELECT r.id, r.resource_type AS "resourceType", r.version, r.deleted, r.last_updated AS "lastUpdated", r.content
    FROM resource r WHERE r.id = $1 AND r.resource_type = $2 AND (r.clinic_id = $3 OR r.resource_type = ANY($4::text[]))
    UNION ALL
    SELECT h.resource_id, r.resource_type, h.version, h.deleted, h.last_updated, h.content
    FROM resource_history h JOIN resource r ON r.id = h.resource_id
    WHERE h.resource_id = $1 AND r.resource_type = $2 AND (r.clinic_id = $3 OR r.resource_type = ANY($4::text[]))
  ) v`;

/** Every version, newest first. */
export async function readHistory(db: Db, clinicId: string, resourceType: string, id: string): Promise<StoredResource[]> {
  if (!isBridgeId(id)) return [];
  const res = await db.query(`${VERSIONS} ORDER BY v.version DESC`, [id, resourceType, clinicId, SHARED_TYPES]);
  return res.rows;
}

/** One version (vread). */
export async function readVersion(db: Db, clinicId: string, resourceType: string, id: string, version: number): Promise<StoredResource | null> {
  if (!isBridgeId(id) || !Number.isInteger(version)) return null;
  const res = await db.query(`${VERSIONS} WHERE v.version = $5`, [id, resourceType, clinicId, SHARED_TYPES, version]);
  return res.rows[0] ?? null;
}
