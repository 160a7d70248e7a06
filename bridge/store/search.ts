import { isBridgeId } from '../model/ids';
import type { DateFilter, ParamFilter, QuantityFilter, ReferenceFilter, SearchQuery, TokenFilter } from '../model/search';
import { anySystemKey, presenceKey, referenceKey, systemKey } from '../model/search-keys';
import type { Db } from './db';
import type { Withheld } from '../model/sensitivity';
import { withheldSql } from './pull';
import { SHARED_TYPES, StoredResource } from './resources';

/**
 * A date condition (R4 search.html#date) of the searched range [f.start, f.end] against a value's range [start, end]:
 * eq is "the search range contains the value's", gt/lt "the ranges above/below the search value intersect it", and
 * ge/le the union of the two.
 */
function dateSql(column: { start: string; end: string }, f: DateFilter, p: (v: unknown) => string): string {
  // Parameters are bound only when used: an unused one has no type and PostgreSQL refuses the statement.
  const ps = (): string => `${p(f.start)}::timestamptz`;
  const pe = (): string => `${p(f.end)}::timestamptz`;
  const within = (): string => `(${column.start} >= ${ps()} AND ${column.end} <= ${pe()})`;
  switch (f.prefix) {
    case 'eq':
      return within();
    case 'ne':
      return `NOT ${within()}`;
    case 'gt':
      return `${column.end} > ${pe()}`;
    case 'lt':
      return `${column.start} < ${ps()}`;
    case 'ge':
      return `(${column.end} > ${pe()} OR ${within()})`;
    case 'le':
      return `(${column.start} < ${ps()} OR ${within()})`;
    case 'sa':
      return `${column.start} > ${pe()}`;
    case 'eb':
      return `${column.end} < ${ps()}`;
  }
}

/** The tables of string, date and quantity values; tokens and references are keys of the resource row. */
const TABLES = { string: 'search_string', date: 'search_date', quantity: 'search_quantity' } as const;

/** LIKE pattern text with its wildcards escaped (LIKE's default escape is the backslash). */
const likeText = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The keys (model/search-keys.ts) any of which a token filter value matches. */
function tokenFilterKeys(param: string, t: TokenFilter): string[] {
  if (t.systems === undefined) return [anySystemKey(param, t.code as string)];
  if (t.systems === null) return [systemKey(param, null, t.code)];
  return t.systems.map((s) => systemKey(param, s, t.code ?? ''));
}

/** `r.search_keys` holds any of `keys`, and (for a clinic) of the keys of references to its own resources named by their source ids. */
function keysSql(keys: string[], p: (v: unknown) => string, bySourceId?: string): string {
  const named = `${p(keys)}::text[]`;
  return `r.search_keys && ${bySourceId ? `(${named} || ARRAY(${bySourceId}))` : named}`;
}

/** A reference filter: keys of every allowed target type, the id as a bridge id or (for a clinic) as its own source id. */
function referenceSql(param: string, values: ReferenceFilter[], p: (v: unknown) => string, clinicId: string | undefined): string {
  const keys = values.flatMap((r) => [...r.targetTypes.map((t) => referenceKey(param, t, r.id)), referenceKey(param, null, r.id)]);
  if (!clinicId) return keysSql(keys, p);
  // A clinic names its own resources by the ids it chose (source ids) as well as by bridge ids.
  const sourceIds = values.map((r) => r.id);
  const types = [...new Set(values.flatMap((r) => r.targetTypes))];
  const bySourceId = `SELECT ${p(`${param}>`)} || o.resource_type || '/' || o.id FROM resource o
    WHERE o.clinic_id = ${p(clinicId)} AND o.resource_type = ANY(${p(types)}::text[]) AND o.source_id = ANY(${p(sourceIds)}::text[])`;
  return keysSql(keys, p, bySourceId);
}

function quantitySql(f: QuantityFilter, p: (v: unknown) => string): string {
  const column = f.canonicalUnit ? 's.canonical_value' : 's.value';
  const v = (): string => `${p(f.value)}::numeric`;
  const range = (upper: '<' | '<='): string => `(${column} >= ${p(f.low)}::numeric AND ${column} ${upper} ${p(f.high)}::numeric)`;
  const compare = {
    eq: () => range('<'),
    ap: () => range('<='),
    ne: () => `NOT ${range('<')}`,
    gt: () => `${column} > ${v()}`,
    sa: () => `${column} > ${v()}`,
    lt: () => `${column} < ${v()}`,
    eb: () => `${column} < ${v()}`,
    ge: () => `${column} >= ${v()}`,
    le: () => `${column} <= ${v()}`,
  }[f.prefix]();
  const unit = f.canonicalUnit
    ? [`s.canonical_unit = ${p(f.canonicalUnit)}`]
    : [...(f.system !== undefined ? [`s.system = ${p(f.system)}`] : []), ...(f.code !== undefined ? [`s.code = ${p(f.code)}`] : [])];
  return `(${[compare, ...unit].join(' AND ')})`;
}

/** One value of a string, date or quantity filter, over the row `s` of its table. */
function valueSql(f: Extract<ParamFilter, { kind: 'string' | 'date' | 'quantity' }>, p: (v: unknown) => string): string[] {
  switch (f.kind) {
    case 'string':
      return f.values.map((v) => {
        if (v.contains) return `s.value LIKE ${p(`%${likeText(v.value)}%`)}`;
        const starts = `s.value LIKE ${p(`${likeText(v.value)}%`)}`;
        return v.exact !== undefined ? `(${starts} AND s.exact = ${p(v.exact)})` : starts;
      });
    case 'date':
      return f.values.map((d) => dateSql({ start: 's.start_at', end: 's.end_at' }, d, p));
    case 'quantity':
      return f.values.map((q) => quantitySql(q, p));
  }
}

/** The parameter filters of a search (`clinicId`: source ids of its own are names too). */
function filterSql(q: SearchQuery, p: (v: unknown) => string, clinicId?: string): string[] {
  return q.filters.map((f) => {
    switch (f.kind) {
      case 'missing': {
        if (f.table === 'token' || f.table === 'reference') return `${f.missing ? 'NOT ' : ''}(r.search_keys @> ARRAY[${p(presenceKey(f.param))}::text])`;
        const has = `SELECT 1 FROM ${TABLES[f.table]} s WHERE s.resource_id = r.id AND s.resource_type = r.resource_type AND s.param = ${p(f.param)}`;
        return `${f.missing ? 'NOT ' : ''}EXISTS (${has})`;
      }
      case 'token': {
        const match = keysSql(
          f.values.flatMap((t) => tokenFilterKeys(f.param, t)),
          p,
        );
        return f.not ? `NOT (${match})` : match;
      }
      case 'reference':
        return referenceSql(f.param, f.values, p, clinicId);
      default: {
        const has = `SELECT 1 FROM ${TABLES[f.kind]} s WHERE s.resource_id = r.id AND s.resource_type = r.resource_type AND s.param = ${p(f.param)}`;
        return `EXISTS (${has} AND (${valueSql(f, p).join(' OR ')}))`;
      }
    }
  });
}

/** ORDER BY of `_sort` (a resource's least value ascending, its greatest descending), then newest first. */
function orderSql(q: SearchQuery, p: (v: unknown) => string): string {
  const column = { string: 's.value', date: 's.start_at', quantity: 's.value' } as const;
  const keys = q.sort.map((k) => {
    const dir = k.descending ? 'DESC' : 'ASC';
    const agg = k.descending ? 'max' : 'min';
    if (k.table === 'id') return `r.id ${dir}`;
    if (k.table === 'lastUpdated') return `r.last_updated ${dir}`;
    if (k.table === 'token' || k.table === 'reference') {
      // The code (any-system key) or the target of a reference key.
      const prefix = k.table === 'token' ? anySystemKey(k.param, '') : referenceKey(k.param, null, '');
      return `(SELECT ${agg}(substr(k, ${prefix.length + 1})) FROM unnest(r.search_keys) k WHERE starts_with(k, ${p(prefix)})) ${dir} NULLS LAST`;
    }
    const value = k.table === 'date' && k.descending ? 's.end_at' : column[k.table];
    return `(SELECT ${agg}(${value}) FROM ${TABLES[k.table]} s WHERE s.resource_id = r.id AND s.resource_type = r.resource_type AND s.param = ${p(k.param)}) ${dir} NULLS LAST`;
  });
  return [...keys, 'r.last_updated DESC', 'r.id'].join(', ');
}

/** The _lastUpdated parameters of a search. */
function lastUpdatedFilters(q: SearchQuery, p: (v: unknown) => string): string[] {
  return q.lastUpdated.map((f) => dateSql({ start: 'r.last_updated', end: 'r.last_updated' }, f, p));
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
  where.push(...filterSql(q, p, clinicId), ...lastUpdatedFilters(q, p));
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
  const pageParams = [...params];
  const order = orderSql(q, (v) => {
    pageParams.push(v);
    return `$${pageParams.length}`;
  });
  const limit = pageParams.length + 1;
  const [count, res] = await Promise.all([
    counted ? db.query(`SELECT count(*)::int AS n FROM resource r WHERE ${where.join(' AND ')}`, params) : undefined,
    q.countOnly
      ? undefined
      : db.query(
          `SELECT ${columns} FROM resource r WHERE ${where.join(' AND ')}
           ORDER BY ${order} LIMIT $${limit} OFFSET $${limit + 1}`,
          [...pageParams, q.count + 1, q.offset],
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
  where.push(...filterSql(q, p), ...lastUpdatedFilters(q, p));
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
