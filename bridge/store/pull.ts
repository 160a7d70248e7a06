/** SQL of the pull operations: a person's compartment ($everything), clinical rows ($summary) and the timeline. */
import { binder, type Db, type Tx } from './db';
import { leavesOfRows, ROW_LEAF, rowLeaf, type LeafRow } from './log';
import type { PatientRecord } from './persons';
import { SHARED_TYPES } from './resources';
import type { Withheld } from '../model/sensitivity';

/**
 * The one predicate of restricted grants (migration 020): false for a row of `alias` in a withheld group's
 * compartments whose sensitivity meets the group's labels or is not classified yet (fail closed). '' when none.
 */
export function withheldSql(withheld: readonly Withheld[] | undefined, p: (v: unknown) => string, alias = 'r'): string {
  return (withheld ?? [])
    .map(
      (g) =>
        `NOT coalesce(${alias}.patient_id = ANY(${p(g.patientIds)}::uuid[]) AND (${alias}.sensitivity IS NULL OR ${alias}.sensitivity && ${p(g.labels)}::text[]), false)`,
    )
    .join(' AND ');
}

export interface CompartmentQuery {
  patientIds: string[];
  types?: string[];
  /** Only versions updated after this instant. */
  since?: string;
  /** Care dates: resources whose clinical span overlaps [start, end]; Patient always kept. */
  start?: string;
  end?: string;
  count: number;
  offset: number;
  /** Restricted grants: what is left out of these compartments (patient Consents' deny provisions). */
  withheld?: Withheld[];
}

export interface PulledResource {
  id: string;
  resourceType: string;
  /** The resource as stored, JSON text (served as is when its references need no change). */
  json: string;
  /** Its version (the log entry of that version proves it). */
  version: number;
  /** Every `reference` string in it (contained resources and nested References included). */
  refs: string[];
  /**
   * The log leaf of this version when asked for (`{ leaves: true }`), null when it has none yet; absent when it was not
   * read (asked for, but the version was written between the page's two statements): the proofs look it up.
   */
  leaf?: LeafRow | null;
}

/** Options of the compartment reads: `leaves` reads each row's log leaf too (the proofs of a page), beside the rows. */
export interface PullReadOptions {
  leaves?: boolean;
}

const PULLED = `r.id, r.resource_type AS "resourceType", r.version, r.content::text AS json`;

/**
 * String-valued `reference` members in jsonb's text output (`"reference": "…"`); an escaped quote inside a string
 * is `\"`, so text that merely mentions the word never matches. Much cheaper than a `$.**` JSON path per row.
 */
const REFERENCE = /"reference": "((?:[^"\\]|\\.)*)"/g;

export function referencesInJson(json: string): string[] {
  const out: string[] = [];
  for (const m of json.matchAll(REFERENCE)) out.push(m[1].includes('\\') ? JSON.parse(`"${m[1]}"`) : m[1]);
  return out;
}

const pulled =
  (leaves: Map<string, LeafRow | null> | undefined) =>
  (r: { id: string; resourceType: string; version: number; json: string }): PulledResource => {
    const version = Number(r.version);
    const key = `${r.id}/${version}`;
    return {
      id: r.id,
      resourceType: r.resourceType,
      version,
      json: r.json,
      refs: referencesInJson(r.json),
      // A version the leaf query did not see (written between the two statements) is left to the proofs' own lookup.
      ...(leaves?.has(key) && { leaf: leaves.get(key) }),
    };
  };

/** The order of a compartment page (Patient records first, then by care date, then id), over these columns. */
const compartmentOrder = (type: string, careStart: string, id: string): string => `${type} <> 'Patient', ${careStart} NULLS FIRST, ${id}`;

/** One page of the resources in the compartments of `patientIds` (Patient records first, then by care date), with the total. */
export async function compartmentPage(db: Db, q: CompartmentQuery, opts: PullReadOptions = {}): Promise<{ rows: PulledResource[]; total: number }> {
  const params: unknown[] = [q.patientIds];
  const p = binder(params);
  // A Patient record by its own id too: rows written before Patients were filed in their own compartment lack patient_id.
  const where = [`(r.patient_id = ANY($1::uuid[]) OR (r.resource_type = 'Patient' AND r.id = ANY($1::uuid[])))`, 'NOT r.deleted'];
  if (q.types) where.push(`r.resource_type = ANY(${p(q.types)}::text[])`);
  if (q.since) where.push(`r.last_updated > ${p(q.since)}::timestamptz`);
  if (q.start || q.end) {
    const care: string[] = [];
    if (q.start) care.push(`coalesce(r.date_end, r.date_start) >= ${p(q.start)}::timestamptz`);
    if (q.end) care.push(`r.date_start <= ${p(q.end)}::timestamptz`);
    where.push(`(r.resource_type = 'Patient' OR (${care.join(' AND ')}))`);
  }
  const withheld = withheldSql(q.withheld, p);
  if (withheld) where.push(withheld);
  const selection = `FROM resource r WHERE ${where.join(' AND ')}
     ORDER BY ${compartmentOrder('r.resource_type', 'r.date_start', 'r.id')}
     LIMIT ${p(q.count)} OFFSET ${p(q.offset)}`;
  // The leaves of the same page (its narrow columns only), read on another connection while the page is.
  const [res, leaves] = await Promise.all([
    db.query(`SELECT ${PULLED}, count(*) OVER () AS total ${selection}`, params),
    opts.leaves ? leavesOfRows(db, `SELECT r.id, r.version, r.bundle_id ${selection}`, params) : undefined,
  ]);
  let total = res.rows[0]?.total ?? 0;
  if (!res.rows.length && q.offset > 0) {
    const c = await db.query(`SELECT count(*) AS n FROM resource r WHERE ${where.join(' AND ')}`, params.slice(0, params.length - 2));
    total = c.rows[0].n;
  }
  return { rows: res.rows.map(pulled(leaves)), total };
}

/**
 * Resources by id that a reader of these patients may also see: shared entities, resources in the permitted
 * compartments, and non-compartment resources of the permitted clinics; with `leaves`, each with the log leaf of its
 * version, joined by (ref_id, version): the few of each level of references come from many bundles, so one index
 * descent apiece, in the same statement, is cheaper than a proof's own lookup after it (npm run bench -- log-everything).
 */
export async function referencedResources(
  db: Db,
  ids: string[],
  patientIds: string[],
  clinicIds: string[],
  withheld?: Withheld[],
  opts: PullReadOptions = {},
): Promise<PulledResource[]> {
  if (!ids.length) return [];
  const params: unknown[] = [ids, SHARED_TYPES, patientIds, clinicIds];
  const w = withheldSql(withheld, binder(params));
  const res = await db.query(
    `SELECT ${PULLED}${opts.leaves ? `, ${ROW_LEAF.columns}` : ''} FROM resource r ${opts.leaves ? ROW_LEAF.join : ''}
     WHERE r.id = ANY($1::uuid[]) AND NOT r.deleted
       AND (r.resource_type = ANY($2::text[]) OR r.patient_id = ANY($3::uuid[]) OR (r.patient_id IS NULL AND r.clinic_id = ANY($4::uuid[])))${w ? ` AND ${w}` : ''}`,
    params,
  );
  const plain = pulled(undefined);
  return res.rows.map((r) => (opts.leaves ? { ...plain(r), leaf: rowLeaf(r) } : plain(r)));
}

/** A patient record's demographics, as stored by savePatient. */
export type PatientDemographics = PatientRecord;

export async function patientDemographics(db: Db | Tx, patientIds: string[]): Promise<PatientDemographics[]> {
  const res = await db.query(
    `SELECT id, clinic_id AS "clinicId", family, given, birth_date AS "birthDate", gender, identifiers FROM patient WHERE id = ANY($1::uuid[]) ORDER BY id`,
    [patientIds],
  );
  return res.rows;
}

/** A clinical-table row as the summary and the timeline read it (common columns of every domain table). */
export interface ClinicalFact {
  domain: string;
  resourceId: string;
  resourceType: string;
  clinicId: string;
  patientId: string | null;
  status: string | null;
  codeSystem: string | null;
  code: string | null;
  codeDisplay: string | null;
  originalCodes: unknown;
  startTime: string | null;
  endTime: string | null;
  valueType: string | null;
  valueNum: number | null;
  valueUnit: string | null;
  valueOrig: string | null;
  unitOrig: string | null;
  unitStatus: string | null;
  valueComparator: string | null;
  valueText: string | null;
  valueCodeSystem: string | null;
  valueCode: string | null;
  valueCodeDisplay: string | null;
  text: string | null;
  /** Domain columns (intent, clinical_status, category, …) by column name. */
  extra: Record<string, unknown>;
}

const COMMON = `t.resource_id AS "resourceId", t.resource_type AS "resourceType", t.clinic_id AS "clinicId", t.patient_id AS "patientId", t.status,
  t.code_system AS "codeSystem", t.code, t.code_display AS "codeDisplay", t.original_codes AS "originalCodes", t.start_time AS "startTime",
  t.end_time AS "endTime", t.value_type AS "valueType", t.value_num AS "valueNum", t.value_unit AS "valueUnit", t.value_orig::text AS "valueOrig",
  t.unit_orig AS "unitOrig", t.unit_status AS "unitStatus", t.value_comparator AS "valueComparator", t.value_text AS "valueText",
  t.value_code_system AS "valueCodeSystem", t.value_code AS "valueCode", t.value_code_display AS "valueCodeDisplay", t.text`;

/** Domain table → its extra columns used by the summary. */
const SUMMARY_EXTRA: Record<string, string[]> = {
  medication: ['intent', 'dosage_text'],
  allergy: ['clinical_status', 'verification_status', 'allergy_type', 'category', 'criticality'],
  condition: ['clinical_status', 'verification_status'],
  immunization: [],
  procedure: [],
  observation: ['category'],
};

/** The rows the IPS needs: every medication, allergy, condition, immunization and procedure; the latest laboratory result per code. */
export async function summaryFacts(db: Db | Tx, patientIds: string[], withheld?: Withheld[]): Promise<ClinicalFact[]> {
  const params: unknown[] = [patientIds];
  const w = withheldSql(withheld, binder(params));
  const restrict = w ? ` AND EXISTS (SELECT 1 FROM resource r WHERE r.id = t.resource_id AND ${w})` : '';
  // One after another: on a transaction's single connection (a summary's snapshot) queries cannot overlap.
  const rows: ClinicalFact[] = [];
  for (const [table, extra] of Object.entries(SUMMARY_EXTRA)) {
    const extraSql = extra.length ? `jsonb_build_object(${extra.map((c) => `'${c}', t.${c}`).join(', ')})` : `'{}'::jsonb`;
    const sql =
      table === 'observation'
        ? `SELECT DISTINCT ON (t.code_system, t.code) '${table}' AS domain, ${COMMON}, ${extraSql} AS extra FROM observation t
         WHERE t.patient_id = ANY($1::uuid[]) AND t.component_index IS NULL AND t.category = 'laboratory'${restrict}
         ORDER BY t.code_system, t.code, t.start_time DESC NULLS LAST, t.id DESC`
        : `SELECT '${table}' AS domain, ${COMMON}, ${extraSql} AS extra FROM ${table} t WHERE t.patient_id = ANY($1::uuid[])${restrict}
         ORDER BY t.start_time DESC NULLS LAST, t.id`;
    rows.push(...(await db.query(sql, params)).rows);
  }
  return rows;
}

export const TIMELINE_DOMAINS = [
  'encounter',
  'condition',
  'observation',
  'medication',
  'allergy',
  'immunization',
  'procedure',
  'diagnostic_report',
  'document',
];

export interface TimelineFact extends ClinicalFact {
  componentIndex: number | null;
  bundleHash: string | null;
  clinicName: string;
}

/** Every clinical row of the patients, in time order (undated last), with the hash of the bundle that wrote its resource. */
export async function timelineFacts(db: Db | Tx, patientIds: string[], withheld?: Withheld[]): Promise<TimelineFact[]> {
  const params: unknown[] = [patientIds];
  const w = withheldSql(withheld, binder(params));
  const union = TIMELINE_DOMAINS.map(
    (table) => `SELECT '${table}' AS domain, t.id AS row_id, ${table === 'observation' ? 't.component_index' : 'NULL::integer'} AS "componentIndex", ${COMMON},
      '{}'::jsonb AS extra FROM ${table} t WHERE t.patient_id = ANY($1::uuid[])`,
  ).join('\nUNION ALL\n');
  const res = await db.query(
    `SELECT f.*, '0x' || encode(b.hash, 'hex') AS "bundleHash", c.name AS "clinicName"
     FROM (${union}) f JOIN resource r ON r.id = f."resourceId" LEFT JOIN bundle b ON b.id = r.bundle_id JOIN clinic c ON c.id = f."clinicId"
     ${w ? `WHERE ${w}` : ''}
     ORDER BY f."startTime" NULLS LAST, f."endTime" NULLS LAST, f.domain, f.row_id`,
    params,
  );
  return res.rows.map(({ row_id: _r, ...rest }) => rest as TimelineFact);
}

/** The current version of each resource, by bridge id. */
export type SourceVersions = Map<string, { resourceType: string; version: number }>;

/** The current version of each resource `ids` names (the version a summary entry or timeline event was made from). */
export async function currentVersions(db: Db | Tx, ids: string[]): Promise<SourceVersions> {
  if (!ids.length) return new Map();
  const res = await db.query('SELECT id, resource_type AS "resourceType", version FROM resource WHERE id = ANY($1::uuid[])', [ids]);
  return new Map(res.rows.map((r) => [r.id as string, { resourceType: r.resourceType as string, version: Number(r.version) }]));
}
