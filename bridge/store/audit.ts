import { createHash, randomBytes } from 'node:crypto';
import { canonicalize } from 'json-canonicalize';
import type { AuditRecord, StoredAudit } from '../model/audit';
import { newBridgeId } from '../model/ids';
import type { Db, Tx } from './db';

export type { StoredAudit } from '../model/audit';

/** SHA-256 of the canonical text as `0x` + hex (the same function as fhir/hash sha256Hex, which bundles use). */
const sha256Hex = (text: string): string => '0x' + createHash('sha256').update(text, 'utf8').digest('hex');

const MAX_TEXT = 500;
const clip = (s: string | null | undefined): string | null => (s == null ? null : s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);

/**
 * The record as hashed: every field but the person, sorted arrays, RFC 8785 canonical JSON. Pure. The document
 * commits to the patient records; the internal person id is left out because the document is served to clinics
 * (`$record`), which never see person ids (access/audit-visibility.ts), and because a person is derived from links
 * that later merges and unlinks change.
 */
export function auditCanonical(a: Omit<StoredAudit, 'hash'>): string {
  return canonicalize({
    // `auditId`, not `id`: the document hashed is exactly what `fhir-bridge verify` hashes (it drops a root id and meta).
    auditId: a.id,
    recorded: a.recorded,
    clinicId: a.clinicId,
    // Only when set, so the documents of clinic and admin records keep the form they were hashed in.
    ...(a.agent ? { agent: a.agent } : {}),
    action: a.action,
    outcome: a.outcome,
    patientIds: a.patientIds,
    resourceTypes: a.resourceTypes,
    purpose: a.purpose,
    breakGlass: a.breakGlass,
    detail: a.detail,
  });
}

/**
 * Appends one audit record (inside the caller's transaction when given a client) and returns it with its hash.
 * Nothing is logged: audit rows hold personal data (ids, reasons) and stay in the database.
 */
export async function recordAudit(db: Db | Tx, rec: AuditRecord): Promise<StoredAudit> {
  const row: Omit<StoredAudit, 'hash'> = {
    id: newBridgeId(),
    recorded: new Date().toISOString(),
    clinicId: rec.clinicId,
    agent: rec.agent ?? null,
    action: rec.action,
    outcome: rec.outcome,
    personId: rec.personId ?? null,
    patientIds: [...new Set(rec.patientIds ?? [])].sort(),
    resourceTypes: [...new Set(rec.resourceTypes ?? [])].sort(),
    purpose: clip(rec.purpose),
    breakGlass: rec.breakGlass ?? false,
    detail: clip(rec.detail),
  };
  const canonical = auditCanonical(row);
  const hash = sha256Hex(canonical);
  // The verifiable-log entry is queued by the same statement (store/log.ts): the sequencer links it into the person's chain.
  await db.query(
    `WITH a AS (INSERT INTO audit_event (id, recorded, clinic_id, action, outcome, person_id, patient_ids, resource_types, purpose, break_glass, detail, canonical, hash, salt, agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8::text[], $9, $10, $11, $12, $13, $14, $15) RETURNING id, hash, person_id, clinic_id)
     INSERT INTO log_queue (kind, ref_id, doc_hash, clinic_id, person_id) SELECT 'audit', id, hash, clinic_id, person_id FROM a`,
    [
      row.id,
      row.recorded,
      row.clinicId,
      row.action,
      row.outcome,
      row.personId,
      row.patientIds,
      row.resourceTypes,
      row.purpose,
      row.breakGlass,
      row.detail,
      canonical,
      Buffer.from(hash.slice(2), 'hex'),
      randomBytes(32),
      row.agent ? JSON.stringify(row.agent) : null,
    ],
  );
  return { ...row, hash };
}

const SELECT = `SELECT id, recorded, clinic_id AS "clinicId", agent, action, outcome, person_id AS "personId", patient_ids::text[] AS "patientIds",
  resource_types AS "resourceTypes", purpose, break_glass AS "breakGlass", detail, '0x' || encode(hash, 'hex') AS hash FROM audit_event`;

/**
 * Audit records naming any of `patientIds` (and, given a person id, those recorded about that person: the patient's
 * own view), newest first; `count + 1` rows tell if there is more. Who may see which is access/audit-visibility.ts.
 */
export async function searchAudit(
  db: Db,
  personId: string | null,
  patientIds: string[],
  count: number,
  offset: number,
): Promise<{ rows: StoredAudit[]; hasMore: boolean }> {
  const res = await db.query(
    `${SELECT} WHERE ($1::uuid IS NOT NULL AND person_id = $1::uuid) OR patient_ids && $2::uuid[] ORDER BY recorded DESC, seq DESC LIMIT $3 OFFSET $4`,
    [personId, patientIds, count + 1, offset],
  );
  return { rows: res.rows.slice(0, count), hasMore: res.rows.length > count };
}

/** The canonical JSON an audit record was hashed from (the document its anchor receipt is for). */
export async function readAuditDocument(db: Db, id: string): Promise<string | null> {
  const res = await db.query('SELECT canonical FROM audit_event WHERE id = $1', [id]);
  return res.rows[0]?.canonical ?? null;
}

export async function readAudit(db: Db, id: string): Promise<StoredAudit | null> {
  const res = await db.query(`${SELECT} WHERE id = $1`, [id]);
  return res.rows[0] ?? null;
}

/** Where an audit record's leaf stands: its batch (null: not batched yet) and, once confirmed, the chain coordinates. */
export interface AuditAnchorRow {
  batchId: string | null;
  batchStatus: 'pending' | 'submitted' | 'confirmed' | null;
  chainId: number | null;
  contract: string | null;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: string | null;
}

const ANCHOR = `'0x' || encode(b.id, 'hex') AS "batchId", b.status AS "batchStatus", b.chain_id::int AS "chainId", b.contract,
  '0x' || encode(b.tx_hash, 'hex') AS "txHash", b.block_number::int AS "blockNumber", b.block_time AS "blockTime"`;
const PERSON_SELECT = `SELECT a.id, a.recorded, a.clinic_id AS "clinicId", a.agent, a.action, a.outcome, a.person_id AS "personId",
  a.patient_ids::text[] AS "patientIds", a.resource_types AS "resourceTypes", a.purpose, a.break_glass AS "breakGlass", a.detail,
  '0x' || encode(a.hash, 'hex') AS hash, ${ANCHOR}
  FROM audit_event a LEFT JOIN batch b ON b.id = a.batch_id`;

const splitAnchor = (row: StoredAudit & AuditAnchorRow): { audit: StoredAudit; anchor: AuditAnchorRow } => {
  const { batchId, batchStatus, chainId, contract, txHash, blockNumber, blockTime, ...audit } = row;
  return {
    audit,
    anchor: { batchId, batchStatus, chainId, contract, txHash, blockNumber, blockTime: blockTime ? new Date(blockTime).toISOString() : null },
  };
};

/** Who a person's access log is for: their person, every record of theirs, their account (see access/audit-visibility.ts). */
export interface PersonAuditQuery {
  personId: string;
  patientIds: string[];
  accountId: string;
  /** Only the entries naming this one record of theirs (`AuditEvent?patient=`). */
  patientId?: string;
  /** Only entries recorded at or before this instant: a snapshot, so later entries do not shift the pages. */
  until?: string;
}

/**
 * A person's access log, newest first, with each entry's anchoring state: entries naming any of their records, those
 * naming their person and no record, and those of their own account; `count + 1` rows tell if there is more. The
 * three arms use the GIN index on patient_ids, audit_event_person_idx and audit_event_patient_agent_idx.
 */
export async function searchPersonAudit(
  db: Db,
  q: PersonAuditQuery,
  count: number,
  offset: number,
): Promise<{ rows: { audit: StoredAudit; anchor: AuditAnchorRow }[]; hasMore: boolean }> {
  const [arms, params]: [string, unknown[]] = q.patientId
    ? ['a.patient_ids && ARRAY[$1::uuid]', [q.patientId]]
    : [
        `(a.patient_ids && $2::uuid[] OR (a.person_id = $1 AND cardinality(a.patient_ids) = 0) OR (a.agent IS NOT NULL AND a.agent->>'accountId' = $3))`,
        [q.personId, q.patientIds, q.accountId],
      ];
  if (q.until) params.push(q.until);
  const where = q.until ? `${arms} AND a.recorded <= $${params.length}::timestamptz` : arms;
  const n = params.length;
  // The page is chosen on narrow rows (id and sort keys), then only its rows are read whole with their batches.
  const res = await db.query(
    `WITH page AS (SELECT a.id, a.recorded, a.seq FROM audit_event a WHERE ${where} ORDER BY a.recorded DESC, a.seq DESC LIMIT $${n + 1} OFFSET $${n + 2})
     ${PERSON_SELECT} JOIN page p ON p.id = a.id ORDER BY p.recorded DESC, p.seq DESC`,
    [...params, count + 1, offset],
  );
  return { rows: res.rows.slice(0, count).map(splitAnchor), hasMore: res.rows.length > count };
}

/** One audit record with its anchoring state. */
export async function readAuditWithAnchor(db: Db, id: string): Promise<{ audit: StoredAudit; anchor: AuditAnchorRow } | null> {
  const res = await db.query(`${PERSON_SELECT} WHERE a.id = $1`, [id]);
  return res.rows[0] ? splitAnchor(res.rows[0]) : null;
}
