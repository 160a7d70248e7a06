/**
 * Clinical domain rows (migrations/002_clinical.sql) ← normalized rows (bridge/normalize).
 * replaceClinicalRows runs inside the caller's transaction: one DELETE statement covering all domain tables,
 * then one COPY per domain table, so a bundle of thousands of rows costs a handful of round trips (COPY's text
 * format costs PostgreSQL less than reading the same rows out of a JSON parameter: store/copy.ts).
 */
import type { PoolClient } from 'pg';
import type { ClinicalBase, ClinicalRow, Domain } from '../model/clinical';
import { copyRows, type CopyValue } from './copy';

type PgType = 'text' | 'double precision' | 'numeric' | 'integer' | 'boolean' | 'timestamptz' | 'jsonb';
type RowOf<D extends Domain> = Extract<ClinicalRow, { domain: D }>;
/** Columns are named by row keys (camelCase) so the compiler checks them; the SQL name is their snake_case. */
type Columns<D extends Domain> = ReadonlyArray<readonly [Exclude<keyof RowOf<D>, 'domain' | keyof ClinicalBase> & string, PgType]>;

const BASE: ReadonlyArray<readonly [keyof ClinicalBase, PgType]> = [
  ['resourceType', 'text'],
  ['status', 'text'],
  ['codeSystem', 'text'],
  ['code', 'text'],
  ['codeDisplay', 'text'],
  ['originalCodes', 'jsonb'],
  ['startTime', 'timestamptz'],
  ['endTime', 'timestamptz'],
  ['valueType', 'text'],
  ['valueNum', 'double precision'],
  ['valueUnit', 'text'],
  ['valueOrig', 'numeric'],
  ['unitOrig', 'text'],
  ['unitStatus', 'text'],
  ['valueComparator', 'text'],
  ['valueText', 'text'],
  ['valueCodeSystem', 'text'],
  ['valueCode', 'text'],
  ['valueCodeDisplay', 'text'],
  ['valueJson', 'jsonb'],
  ['text', 'text'],
];

const EXTRA: { readonly [D in Domain]: Columns<D> } = {
  encounter: [
    ['classSystem', 'text'],
    ['classCode', 'text'],
    ['classDisplay', 'text'],
    ['serviceType', 'text'],
    ['reasonCodeSystem', 'text'],
    ['reasonCode', 'text'],
    ['reasonDisplay', 'text'],
    ['dischargeDisposition', 'text'],
    ['serviceProviderRef', 'text'],
  ],
  condition: [
    ['clinicalStatus', 'text'],
    ['verificationStatus', 'text'],
    ['category', 'text'],
    ['severity', 'text'],
    ['bodySite', 'text'],
    ['onsetText', 'text'],
    ['abatementText', 'text'],
    ['recordedTime', 'timestamptz'],
    ['encounterRef', 'text'],
  ],
  observation: [
    ['category', 'text'],
    ['componentIndex', 'integer'],
    ['interpretation', 'text'],
    ['refLow', 'double precision'],
    ['refHigh', 'double precision'],
    ['dataAbsentReason', 'text'],
    ['issuedTime', 'timestamptz'],
    ['encounterRef', 'text'],
  ],
  medication: [
    ['intent', 'text'],
    ['medicationRef', 'text'],
    ['dosageText', 'text'],
    ['route', 'text'],
    ['category', 'text'],
    ['encounterRef', 'text'],
  ],
  allergy: [
    ['clinicalStatus', 'text'],
    ['verificationStatus', 'text'],
    ['allergyType', 'text'],
    ['category', 'text'],
    ['criticality', 'text'],
    ['reactions', 'jsonb'],
    ['recordedTime', 'timestamptz'],
  ],
  immunization: [
    ['primarySource', 'boolean'],
    ['lotNumber', 'text'],
    ['route', 'text'],
    ['site', 'text'],
    ['statusReason', 'text'],
    ['encounterRef', 'text'],
  ],
  procedure: [
    ['category', 'text'],
    ['bodySite', 'text'],
    ['outcome', 'text'],
    ['reasonCode', 'text'],
    ['encounterRef', 'text'],
  ],
  diagnostic_report: [
    ['category', 'text'],
    ['issuedTime', 'timestamptz'],
    ['resultRefs', 'jsonb'],
    ['encounterRef', 'text'],
  ],
  document: [
    ['category', 'text'],
    ['docStatus', 'text'],
    ['title', 'text'],
    ['attachments', 'jsonb'],
    ['encounterRef', 'text'],
  ],
};

export const CLINICAL_TABLES: readonly Domain[] = Object.keys(EXTRA) as Domain[];

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

interface TablePlan {
  /** SQL column names, in COPY order. */
  columns: string[];
  /** [row key, column type] pairs, in column order. */
  keys: ReadonlyArray<readonly [string, PgType]>;
}

const PLANS: { readonly [D in Domain]: TablePlan } = (() => {
  const plans = {} as Record<Domain, TablePlan>;
  for (const d of CLINICAL_TABLES) {
    const cols: Array<readonly [string, PgType]> = [
      ['resourceId', 'uuid' as PgType],
      ['clinicId', 'uuid' as PgType],
      ['patientId', 'uuid' as PgType],
      ...BASE,
      ...EXTRA[d],
    ];
    plans[d] = { columns: cols.map(([k]) => snake(k)), keys: cols };
  }
  return plans;
})();

const DELETE_SQL = 'with ' + CLINICAL_TABLES.map((t, i) => `d${i} as (delete from ${t} where resource_id = any($1::uuid[]))`).join(', ') + ' select 1';

export interface ClinicalItem {
  resourceId: string;
  clinicId: string;
  patientId: string | null;
  row: ClinicalRow;
}

/** A row's COPY fields in column order: jsonb as JSON text; a number JSON has no form for (NaN, ±Infinity) as null, as before in JSON. */
function fields(item: ClinicalItem, keys: TablePlan['keys']): CopyValue[] {
  const src = item.row as unknown as Record<string, unknown>;
  const out: CopyValue[] = [item.resourceId, item.clinicId, item.patientId];
  for (let i = 3; i < keys.length; i++) {
    const v = src[keys[i][0]];
    if (v === null || v === undefined) out.push(null);
    else if (keys[i][1] === 'jsonb' || typeof v === 'object')
      out.push(JSON.stringify(v)); // an object in text: its JSON, as json_to_recordset gave
    else if (typeof v === 'number') out.push(Number.isFinite(v) ? v : null);
    else out.push(v as CopyValue);
  }
  return out;
}

/**
 * Replace the clinical rows of resources: delete every domain row of `clearResourceIds`, then insert `items`.
 * Call inside the transaction that writes the resources themselves.
 */
export async function replaceClinicalRows(
  client: PoolClient,
  items: Array<{ resourceId: string; clinicId: string; patientId: string | null; row: ClinicalRow }>,
  clearResourceIds: string[],
): Promise<void> {
  if (clearResourceIds.length > 0) await client.query(DELETE_SQL, [clearResourceIds]);
  const byDomain = new Map<Domain, ClinicalItem[]>();
  for (const item of items) {
    const list = byDomain.get(item.row.domain);
    if (list) list.push(item);
    else byDomain.set(item.row.domain, [item]);
  }
  for (const [domain, list] of byDomain) {
    const plan = PLANS[domain];
    await copyRows(
      client,
      domain,
      plan.columns,
      list.map((it) => fields(it, plan.keys)),
    );
  }
}
