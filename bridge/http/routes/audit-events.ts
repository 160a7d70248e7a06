import type { Bundle } from '@medplum/fhirtypes';
import { Request, Router } from 'express';
import { readAuditRecord, readAuditRecordDocument, searchAuditTrail } from '../../access/audit-events';
import { toAuditEvent, type AuditAnchorState } from '../../fhir/audit-event';
import type { AuditAnchorRow } from '../../access/audit-events';
import { DEFAULT_COUNT, MAX_COUNT } from '../../fhir/search-params';
import { outcomes } from '../../fhir/outcome';
import type { AccessServices } from '../../access/services';
import { proofOfAudit } from '../../access/proofs';
import { sessionOf } from '../auth';
import { sendProof } from './proofs';
import { FHIR_JSON } from '../errors';
import { pagedUrl, pageLinks, publicOrigin, readQuery } from '../toolkit';

/** `_lastUpdated=le<instant>` (FHIR R4 search, date prefix `le`): the only form the access log takes; else 400. */
function untilOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^le(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2}))$/.exec(value);
  if (!m || Number.isNaN(Date.parse(m[1]))) throw outcomes.invalid('_lastUpdated must be le<instant>, e.g. le2025-03-01T10:00:00.000Z', '_lastUpdated');
  return new Date(m[1]).toISOString();
}

/**
 * The anchoring state of an entry with the URLs that prove it: the receipt (`GET /anchors/audit/{hash}`, public) and
 * the hashed document (`AuditEvent/{id}/$record`); `fhir-bridge verify --bundle record.json --receipt receipt.json`.
 */
function anchorState(origin: string, fhirBase: string, id: string, hash: string, row: AuditAnchorRow): AuditAnchorState {
  const urls = { receiptUrl: `${origin}/anchors/audit/${hash}`, recordUrl: `${fhirBase}/AuditEvent/${id}/$record` };
  if (row.batchStatus !== 'confirmed' || !row.batchId || row.chainId === null || !row.contract || !row.txHash || row.blockNumber === null) {
    return { status: 'pending', ...urls };
  }
  return {
    status: 'anchored',
    ...urls,
    batchId: row.batchId,
    chainId: row.chainId,
    contract: row.contract,
    txHash: row.txHash,
    blockNumber: row.blockNumber,
    blockTime: row.blockTime,
  };
}

/**
 * `GET /fhir/AuditEvent?patient=Patient/{id}` and `GET /fhir/AuditEvent/{id}`: the audit entries a clinic may see
 * (its own actions, accesses to records it holds), redacted for it; with a patient token, `GET /fhir/AuditEvent`
 * (`patient` optional) is the patient's whole access log, each entry with its `audit-anchor` state. Anything else
 * answers as an unknown id (bridge/access).
 */
export function auditEventRouter(svc: AccessServices, base: (req: Request) => string, publicBaseUrl?: string): Router {
  const router = Router();
  const anchorOf = (req: Request, a: { id: string; hash: string }, row: AuditAnchorRow | undefined): AuditAnchorState | undefined =>
    row && anchorState(publicOrigin(req, publicBaseUrl), base(req), a.id, a.hash, row);
  router.get('/AuditEvent', async (req, res) => {
    const session = sessionOf(req);
    const patientLog = session.principal.kind === 'patient';
    const q = readQuery(req.query, ['patient', '_count', '_offset', ...(patientLog ? ['_lastUpdated'] : [])], 'AuditEvent search');
    const patient = patientLog ? q.string('patient') : q.required('patient', 'AuditEvent search needs patient=Patient/{id}');
    const patientId = patient?.replace(/^Patient\//, '');
    const count = q.count('_count', { max: MAX_COUNT, fallback: DEFAULT_COUNT });
    const offset = q.int('_offset', { min: 0, max: 1e9, fallback: 0 });
    const until = patientLog ? untilOf(q.string('_lastUpdated')) : undefined;
    const { rows, hasMore } = await searchAuditTrail(svc, session, patientId, count, offset, until);
    // A patient's log grows while it is read (reading it is audited): the paging links carry the first page's
    // newest instant as `_lastUpdated=le…`, so later entries never shift the pages being walked.
    const snapshot = until ?? rows[0]?.audit.recorded;
    const query = { ...(patientId ? { patient: `Patient/${patientId}` } : {}), ...(patientLog && snapshot ? { _lastUpdated: `le${snapshot}` } : {}) };
    const link = pageLinks({ offset, count }, { hasMore }, pagedUrl(`${base(req)}/AuditEvent`, query, count));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      link,
      entry: rows.map(({ audit, shown, anchor, chain }) => ({
        fullUrl: `${base(req)}/AuditEvent/${audit.id}`,
        resource: toAuditEvent(audit, shown, anchorOf(req, audit, anchor), chain),
        search: { mode: 'match' },
      })),
    };
    res.type(FHIR_JSON).json(bundle);
  });

  // The hashed document of an audit record (its canonical JSON): with its receipt from /anchors/audit/{hash},
  // `fhir-bridge verify --bundle record.json --receipt receipt.json` checks it against the chain.
  router.get('/AuditEvent/:id/\\$record', async (req, res) => {
    res.type('application/json').send(await readAuditRecordDocument(svc, sessionOf(req), String(req.params.id)));
  });

  // The inclusion proof of an audit entry (e.g. for the holder of its X-Log-Promise), to whoever may read the entry.
  router.get('/AuditEvent/:id/\\$proof', async (req, res) => {
    sendProof(res, await proofOfAudit(svc, sessionOf(req), String(req.params.id)), `AuditEvent/${req.params.id}`);
  });

  router.get('/AuditEvent/:id', async (req, res) => {
    const { audit, shown, anchor, chain } = await readAuditRecord(svc, sessionOf(req), String(req.params.id));
    res.type(FHIR_JSON).json(toAuditEvent(audit, shown, anchorOf(req, audit, anchor), chain));
  });
  return router;
}
