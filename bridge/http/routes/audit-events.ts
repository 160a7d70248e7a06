import type { Bundle } from '@medplum/fhirtypes';
import { Request, Router } from 'express';
import { readAuditRecord, readAuditRecordDocument, searchAuditTrail } from '../../access/audit-events';
import { toAuditEvent } from '../../fhir/audit-event';
import { DEFAULT_COUNT, MAX_COUNT } from '../../fhir/search-params';
import type { AccessServices } from '../../access/services';
import { sessionOf } from '../auth';
import { FHIR_JSON } from '../errors';
import { pagedUrl, pageLinks, readQuery } from '../toolkit';

/**
 * `GET /fhir/AuditEvent?patient=Patient/{id}` and `GET /fhir/AuditEvent/{id}`: the audit entries a clinic may see
 * (its own actions, accesses to records it holds), redacted for it; anything else answers as an unknown id (bridge/access).
 */
export function auditEventRouter(svc: AccessServices, base: (req: Request) => string): Router {
  const router = Router();
  router.get('/AuditEvent', async (req, res) => {
    const q = readQuery(req.query, ['patient', '_count', '_offset'], 'AuditEvent search');
    const patient = q.required('patient', 'AuditEvent search needs patient=Patient/{id}');
    const patientId = patient.replace(/^Patient\//, '');
    const count = q.count('_count', { max: MAX_COUNT, fallback: DEFAULT_COUNT });
    const offset = q.int('_offset', { min: 0, max: 1e9, fallback: 0 });
    const { rows, hasMore } = await searchAuditTrail(svc, sessionOf(req), patientId, count, offset);
    const link = pageLinks({ offset, count }, { hasMore }, pagedUrl(`${base(req)}/AuditEvent`, { patient: `Patient/${patientId}` }, count));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      link,
      entry: rows.map(({ audit, shown }) => ({
        fullUrl: `${base(req)}/AuditEvent/${audit.id}`,
        resource: toAuditEvent(audit, shown),
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

  router.get('/AuditEvent/:id', async (req, res) => {
    const { audit, shown } = await readAuditRecord(svc, sessionOf(req), String(req.params.id));
    res.type(FHIR_JSON).json(toAuditEvent(audit, shown));
  });
  return router;
}
