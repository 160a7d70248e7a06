/**
 * Type- and system-level history (R4 http.html#history): every version of the resources a reader may see (the same
 * visibility as search, store/search visibleSql), newest first, current versions from `resource` and superseded ones
 * from `resource_history`. Each side is cut to the page's end before the two are merged, so a page costs its size.
 */
import type { HistoryQuery, SearchVisibility } from '../model/search';
import { binder, type Db } from './db';
import type { StoredResource } from './resources';
import { visibleSql } from './search';

export interface HistoryVersion extends StoredResource {
  /** The compartment the version belongs to (a Patient is its own), for the audit record. */
  patientId: string | null;
}

export async function historyVisible(
  db: Db,
  vis: SearchVisibility,
  resourceType: string | undefined,
  q: HistoryQuery,
): Promise<{ rows: HistoryVersion[]; hasMore: boolean }> {
  const params: unknown[] = [];
  const p = binder(params);
  const where = [visibleSql(vis, 'r', p)];
  if (resourceType) where.push(`r.resource_type = ${p(resourceType)}`);
  const since = q.since ? p(q.since) : undefined;
  const end = p(q.offset + q.count + 1);
  const patient = `CASE WHEN r.resource_type = 'Patient' THEN r.id ELSE r.patient_id END AS "patientId"`;
  const res = await db.query(
    `SELECT * FROM (
       (SELECT r.id, r.resource_type AS "resourceType", r.version, r.deleted, r.last_updated AS "lastUpdated", r.content, ${patient}
        FROM resource r WHERE ${[...where, ...(since ? [`r.last_updated >= ${since}`] : [])].join(' AND ')}
        ORDER BY r.last_updated DESC LIMIT ${end})
       UNION ALL
       (SELECT r.id, r.resource_type, h.version, h.deleted, h.last_updated, h.content, ${patient}
        FROM resource_history h JOIN resource r ON r.id = h.resource_id
        WHERE ${[...where, ...(since ? [`h.last_updated >= ${since}`] : [])].join(' AND ')}
        ORDER BY h.last_updated DESC LIMIT ${end})
     ) v ORDER BY v."lastUpdated" DESC, v.id, v.version DESC LIMIT ${p(q.count + 1)} OFFSET ${p(q.offset)}`,
    params,
  );
  return { rows: res.rows.slice(0, q.count), hasMore: res.rows.length > q.count };
}
