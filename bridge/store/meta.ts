/**
 * The profiles, tags and security labels in use (R4 resource-operation-meta.html, type and system level) on the
 * current versions a reader may see (store/search visibleSql), each value once.
 */
import type { SearchVisibility } from '../model/search';
import { binder, type Db } from './db';
import { visibleSql } from './search';

export interface MetaInUse {
  profile: string[];
  tag: Record<string, unknown>[];
  security: Record<string, unknown>[];
}

/** At most this many values of each kind: a server may answer $meta with what it finds (the operation sets no bound). */
const MAX_VALUES = 1000;

export async function metaInUse(db: Db, vis: SearchVisibility, resourceType: string | undefined): Promise<MetaInUse> {
  const params: unknown[] = [];
  const p = binder(params);
  const where = ['NOT r.deleted', visibleSql(vis, 'r', p), ...(resourceType ? [`r.resource_type = ${p(resourceType)}`] : [])];
  const res = await db.query(
    `SELECT v.kind, v.value FROM (
       SELECT DISTINCT m.kind, m.value FROM resource r,
         LATERAL (SELECT 'profile' AS kind, x AS value FROM jsonb_path_query(r.content, '$.meta.profile[*]') x
                  UNION ALL SELECT 'tag', x FROM jsonb_path_query(r.content, '$.meta.tag[*]') x
                  UNION ALL SELECT 'security', x FROM jsonb_path_query(r.content, '$.meta.security[*]') x) m
       WHERE ${where.join(' AND ')}
     ) v ORDER BY v.kind, v.value::text LIMIT ${p(3 * MAX_VALUES)}`,
    params,
  );
  const out: MetaInUse = { profile: [], tag: [], security: [] };
  for (const row of res.rows as { kind: keyof MetaInUse; value: unknown }[]) {
    const list = out[row.kind] as unknown[];
    if (list.length < MAX_VALUES) list.push(row.value);
  }
  return out;
}
