import type { SearchValues } from '../model/search';
import { copyRows } from './copy';
import { rowKeysOf, tokenRowsOfKeys } from '../model/search-keys';
import type { Db, Tx } from './db';
import { registerTexts } from './search-text';

export interface IndexedResource {
  id: string;
  resourceType: string;
  values: SearchValues;
}

/**
 * Replaces the string, date and quantity rows of `resources` (their token, reference and text keys are a column of
 * the resource row, written with it) and adds their texts to the dictionary (store/search-text.ts): `replaced` names
 * those that had rows (new versions, reindexing), whose rows go first. Appended with COPY, one statement per table.
 * `rememberTexts`: see registerTexts.
 */
export async function writeSearchIndex(tx: Tx, resources: IndexedResource[], replaced: string[], rememberTexts = true): Promise<void> {
  await registerTexts(
    tx,
    resources.flatMap((r) => r.values.texts.map((t) => ({ resourceType: r.resourceType, param: t.param, value: t.value }))),
    rememberTexts,
  );
  if (replaced.length) {
    await tx.query(
      `WITH ids AS (SELECT unnest($1::uuid[]) AS id),
         b AS (DELETE FROM search_string WHERE resource_id IN (SELECT id FROM ids)),
         c AS (DELETE FROM search_date WHERE resource_id IN (SELECT id FROM ids))
       DELETE FROM search_quantity WHERE resource_id IN (SELECT id FROM ids)`,
      [replaced],
    );
  }
  const rows = <T>(pick: (v: SearchValues) => T[], cells: (t: T) => (string | number | null)[]) =>
    resources.flatMap((r) => pick(r.values).map((t) => [r.id, r.resourceType, ...cells(t)]));
  await copyRows(
    tx,
    'search_string',
    ['resource_id', 'resource_type', 'param', 'value', 'exact'],
    rows(
      (v) => v.strings,
      (t) => [t.param, t.value, t.exact],
    ),
  );
  await copyRows(
    tx,
    'search_date',
    ['resource_id', 'resource_type', 'param', 'start_at', 'end_at'],
    rows(
      (v) => v.dates,
      (t) => [t.param, t.start, t.end],
    ),
  );
  await copyRows(
    tx,
    'search_quantity',
    ['resource_id', 'resource_type', 'param', 'value', 'system', 'code', 'canonical_value', 'canonical_unit'],
    rows(
      (v) => v.quantities,
      (t) => [t.param, t.value, t.system, t.code, t.canonicalValue, t.canonicalUnit],
    ),
  );
}

/**
 * search_token (migration 031) holds the token values of the keys in resource.search_keys, as its SQL function
 * search_token_rows reads them, so the rows to remove are found from the keys they were made from (a point lookup
 * in the count index each: no index by resource, whose inserts cost ingest 7% when bridge ids were random version 4
 * UUIDs; with version 7 ids they append, untried; npm run bench -- ingest-compare).
 * clearTokenRows must run while the rows' resources still hold their old keys, writeTokenRows once they hold the new.
 */
export async function clearTokenRows(tx: Tx, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await tx.query(
    `DELETE FROM search_token t USING (
       SELECT r.id, v.code_key, v.system_key FROM resource r CROSS JOIN LATERAL search_token_rows(r.resource_type, r.search_keys) v
       WHERE r.id = ANY($1::uuid[])) o
     WHERE t.code_key = o.code_key AND t.system_key = o.system_key AND t.resource_id = o.id`,
    [ids],
  );
}

/** The token rows of new current versions (none for a deleted one: it has no token keys), with COPY; see clearTokenRows. */
export async function writeTokenRows(
  tx: Tx,
  rows: { id: string; resourceType: string; clinicId: string; patientId: string | null; keys: readonly string[] }[],
): Promise<void> {
  await copyRows(
    tx,
    'search_token',
    ['code_key', 'system_key', 'resource_id', 'clinic_id', 'patient_id'],
    rows.flatMap((r) => tokenRowsOfKeys(r.resourceType, r.keys).map((t) => [t.codeKey, t.systemKey, r.id, r.clinicId, r.patientId])),
  );
}

/**
 * Indexes up to `limit` resources listed in search_reindex (migration 026) with `index`, in one transaction: the rows
 * are claimed (another process may be doing the same) and their current version read FOR SHARE, so a write of one
 * meanwhile waits and then replaces these rows with its own. Returns how many were indexed (0: none left).
 */
export async function reindexBatch(db: Db, limit: number, index: (resource: { resourceType: string }) => SearchValues): Promise<number> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query(
      `DELETE FROM search_reindex WHERE resource_id IN (SELECT resource_id FROM search_reindex ORDER BY resource_id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING resource_id`,
      [limit],
    );
    const ids = claimed.rows.map((r) => r.resource_id as string);
    const current = ids.length
      ? await client.query(
          'SELECT id, resource_type AS "resourceType", clinic_id AS "clinicId", patient_id AS "patientId", content FROM resource WHERE id = ANY($1::uuid[]) AND NOT deleted FOR SHARE',
          [ids],
        )
      : { rows: [] };
    const indexed = current.rows.map((r) => ({
      id: r.id as string,
      resourceType: r.resourceType as string,
      clinicId: r.clinicId as string,
      patientId: r.patientId as string | null,
      values: index(r.content),
    }));
    const keyed = indexed.map((r) => ({ ...r, keys: rowKeysOf(r.resourceType, r.values) }));
    await clearTokenRows(client, ids);
    await client.query(`UPDATE resource r SET search_keys = k.keys FROM jsonb_to_recordset($1::jsonb) AS k(id uuid, keys text[]) WHERE r.id = k.id`, [
      JSON.stringify(keyed.map((r) => ({ id: r.id, keys: r.keys }))),
    ]);
    // Its own BEGIN and COMMIT, which afterCommit cannot see: its texts are not remembered as committed.
    await writeSearchIndex(client, indexed, ids, false);
    await writeTokenRows(client, keyed);
    await client.query('COMMIT');
    return ids.length;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
