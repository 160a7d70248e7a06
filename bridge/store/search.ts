import { isBridgeId } from '../model/ids';
import type { DateFilter, SearchQuery } from '../model/search';
import type { Db } from './db';
import type { Withheld } from '../model/sensitivity';
import { withheldSql } from './pull';
import { SHARED_TYPES, StoredResource } from './resources';

function dateSql(column: { start: string; end: string }, f: DateFilter, p: (v: unknown) => string): string {
  const end = `coalesce(${column.end}, ${column.start})`;
  switch (f.prefix) {
    case 'eq':
      return `(${column.start} <= ${p(f.end)}::timestamptz AND ${end} >= ${p(f.start)}::timestamptz)`;
    case 'ne':
      return `NOT (${column.start} <= ${p(f.end)}::timestamptz AND ${end} >= ${p(f.start)}::timestamptz)`;
    case 'lt':
      return `${column.start} < ${p(f.start)}::timestamptz`;
    case 'le':
      return `${column.start} <= ${p(f.end)}::timestamptz`;
    case 'gt':
      return `${end} > ${p(f.end)}::timestamptz`;
    case 'ge':
      return `${end} >= ${p(f.start)}::timestamptz`;
  }
}

/** The token parameters of a search (code, identifier), each a set of alternatives. */
function tokenSql(q: SearchQuery, p: (v: unknown) => string): string[] {
  return q.tokens.map((alternatives) => {
    const ors = alternatives.map((t) => {
      const parts = [`t.param = ${p(t.param)}`];
      if (t.code !== undefined) parts.push(`t.code = ${p(t.code)}`);
      if (t.system === null) parts.push('t.system IS NULL');
      else if (t.system !== undefined) parts.push(`t.system = ${p(t.system)}`);
      return `(${parts.join(' AND ')})`;
    });
    return `EXISTS (SELECT 1 FROM resource_token t WHERE t.resource_id = r.id AND (${ors.join(' OR ')}))`;
  });
}

/** The date and _lastUpdated parameters of a search. */
function dateFilters(q: SearchQuery, p: (v: unknown) => string): string[] {
  return [
    ...q.dates.map((f) => dateSql({ start: 'r.date_start', end: 'r.date_end' }, f, p)),
    ...q.lastUpdated.map((f) => dateSql({ start: 'r.last_updated', end: 'r.last_updated' }, f, p)),
  ];
}

/**
 * One page of matches the clinic may read (its own resources, shared entities, and the compartments of
 * `grantedPatientIds`: other clinics' patients it may read under consent or break-glass), newest first;
 * `count + 1` rows tell if there is a next page.
 */
export async function searchResources(
  db: Db,
  clinicId: string,
  q: SearchQuery,
  grantedPatientIds: string[] = [],
  withheld: Withheld[] = [],
): Promise<{ rows: StoredResource[]; hasMore: boolean; total?: number }> {
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const granted = grantedPatientIds.length ? ` OR r.patient_id = ANY(${p(grantedPatientIds)}::uuid[])` : '';
  const where = [
    `r.resource_type = ${p(q.resourceType)}`,
    'NOT r.deleted',
    `(r.clinic_id = ${p(clinicId)} OR r.resource_type = ANY(${p(SHARED_TYPES)}::text[])${granted})`,
  ];
  // A clinic names its own resources by the ids it chose (source ids) as well as by bridge ids.
  const ownSourceIds = (type: string, ids: string[]): string =>
    `(SELECT o.id FROM resource o WHERE o.clinic_id = ${p(clinicId)} AND o.resource_type = ${p(type)} AND o.source_id = ANY(${p(ids)}::text[]))`;
  if (q.ids.length) {
    const uuids = q.ids.filter(isBridgeId);
    where.push(`(${uuids.length ? `r.id = ANY(${p(uuids)}::uuid[]) OR ` : ''}r.id IN ${ownSourceIds(q.resourceType, q.ids)})`);
  }
  where.push(...tokenSql(q, p));
  if (q.patientIds.length) {
    const uuids = q.patientIds.filter(isBridgeId);
    where.push(`(${uuids.length ? `r.patient_id = ANY(${p(uuids)}::uuid[]) OR ` : ''}r.patient_id IN ${ownSourceIds('Patient', q.patientIds)})`);
  }
  where.push(...dateFilters(q, p));
  const restricted = withheldSql(withheld, p);
  if (restricted) where.push(restricted);
  return pageAndTotal<StoredResource>(db, q, where, params, STORED);
}

/** The columns of a StoredResource. */
const STORED = 'r.id, r.resource_type AS "resourceType", r.version, r.deleted, r.last_updated AS "lastUpdated", r.content';

/**
 * The page of matches of `where` (newest first) and, when the query asks for it (`_total`, `_summary=count`), their
 * number, counted with the same predicate (so a count never includes what the page could not show); else the total
 * only when the page itself tells it (the last page, reached from its first row).
 */
async function pageAndTotal<R extends object>(
  db: Db,
  q: SearchQuery,
  where: string[],
  params: unknown[],
  columns: string,
): Promise<{ rows: R[]; hasMore: boolean; total?: number }> {
  const counted = q.countOnly || q.total === 'accurate' || q.total === 'estimate';
  const limit = params.length + 1;
  const [count, res] = await Promise.all([
    counted ? db.query(`SELECT count(*)::int AS n FROM resource r WHERE ${where.join(' AND ')}`, params) : undefined,
    q.countOnly
      ? undefined
      : db.query(
          `SELECT ${columns} FROM resource r WHERE ${where.join(' AND ')}
           ORDER BY r.last_updated DESC, r.id LIMIT $${limit} OFFSET $${limit + 1}`,
          [...params, q.count + 1, q.offset],
        ),
  ]);
  const hasMore = !!res && res.rows.length > q.count;
  const rows = (res?.rows.slice(0, q.count) ?? []) as R[];
  const total = count ? (count.rows[0].n as number) : !hasMore && (rows.length || !q.offset) ? q.offset + rows.length : undefined;
  return { rows, hasMore, total };
}

/**
 * One page of matches in the compartments of `personPatientIds` (a patient's own records at every clinic; a Patient
 * record also by its own id), newest first, with the patient records the returned rows belong to. Ids are bridge
 * ids only (source ids are the clinics' names); an id of any other compartment matches nothing.
 */
export async function searchPersonResources(
  db: Db,
  personPatientIds: string[],
  q: SearchQuery,
): Promise<{ rows: StoredResource[]; hasMore: boolean; total?: number; patientIds: string[] }> {
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const own = p(personPatientIds);
  const where = [
    `r.resource_type = ${p(q.resourceType)}`,
    'NOT r.deleted',
    `(r.patient_id = ANY(${own}::uuid[]) OR (r.resource_type = 'Patient' AND r.id = ANY(${own}::uuid[])))`,
  ];
  if (q.ids.length) where.push(`r.id = ANY(${p(q.ids.filter(isBridgeId))}::uuid[])`);
  where.push(...tokenSql(q, p));
  if (q.patientIds.length) {
    const named = p(q.patientIds.filter(isBridgeId));
    where.push(`(r.patient_id = ANY(${named}::uuid[]) OR (r.resource_type = 'Patient' AND r.id = ANY(${named}::uuid[])))`);
  }
  where.push(...dateFilters(q, p));
  const {
    rows: page,
    hasMore,
    total,
  } = await pageAndTotal<StoredResource & { patientId: string }>(db, q, where, params, `${STORED}, coalesce(r.patient_id, r.id) AS "patientId"`);
  return {
    rows: page.map(({ patientId: _p, ...r }) => r as StoredResource),
    hasMore,
    total,
    patientIds: [...new Set(page.map((r) => r.patientId as string))],
  };
}
