import type { Bundle } from '@medplum/fhirtypes';
import { Request, Router } from 'express';
import { auditRefusal, evaluatePersonAccess, PersonAccessOptions } from '../../access/person-access';
import { admitBreakGlass, breakGlassText, DEFAULT_BREAK_GLASS_LIMIT, parseBreakGlass } from '../../access/break-glass';
import { toAuditEvent } from '../../fhir/audit-event';
import { FhirError } from '../../fhir/outcome';
import { DEFAULT_COUNT, MAX_COUNT } from '../../fhir/search-params';
import { readAudit, readAuditDocument, recordAudit, searchAudit, type StoredAudit } from '../../store/audit';
import type { Db } from '../../store/db';
import { personPatients } from '../../store/person-links';
import { FHIR_JSON } from '../errors';

/** `X-Purpose-Of-Use`, as recorded with an access (free text outside break-glass). */
export const requestPurpose = (req: Request): string | undefined => req.get('x-purpose-of-use')?.trim().slice(0, 200) || undefined;

/**
 * Access options a request carries: `X-Purpose-Of-Use: <purpose>`, and `X-Break-Glass: <reason>`, which needs a v3
 * ActReason purpose and a clinic an admin enabled, within its hourly limit (400 / 403 / 429 before anything is read).
 */
export async function requestAccessOptions(req: Request, db: Db, breakGlassLimit: number | undefined): Promise<PersonAccessOptions> {
  const glass = parseBreakGlass(req.get('x-break-glass'), req.get('x-purpose-of-use'));
  if (!glass) return { purpose: requestPurpose(req) };
  await admitBreakGlass(db, req.clinic!.id, glass, breakGlassLimit ?? DEFAULT_BREAK_GLASS_LIMIT);
  return { breakGlassReason: breakGlassText(glass), purpose: requestPurpose(req) };
}

const bad = (diagnostics: string, expression?: string): FhirError => new FhirError(400, [{ code: 'invalid', diagnostics, expression }]);

function intParam(value: unknown, name: string, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (Array.isArray(value) || !Number.isInteger(n) || n < 0) throw bad(`${name} must be a non-negative integer`, name);
  return n;
}

/**
 * `GET /fhir/AuditEvent?patient=Patient/{id}` and `GET /fhir/AuditEvent/{id}`: the audit trail of a person, for its
 * home clinics only (a clinic holding a record of that person); anyone else gets an audited 403.
 */
export function auditEventRouter(db: Db, base: (req: Request) => string): Router {
  const router = Router();
  router.get('/AuditEvent', async (req, res) => {
    const clinicId = req.clinic!.id;
    for (const name of Object.keys(req.query)) {
      if (!['patient', '_count', '_offset', '_format'].includes(name)) {
        throw new FhirError(400, [{ code: 'not-supported', diagnostics: `AuditEvent search supports patient, _count, _offset; not "${name}"`, expression: name }]);
      }
    }
    const patient = req.query.patient;
    if (typeof patient !== 'string' || !patient) throw bad('AuditEvent search needs patient=Patient/{id}', 'patient');
    const patientId = patient.replace(/^Patient\//, '');
    const count = Math.min(intParam(req.query._count, '_count', DEFAULT_COUNT), MAX_COUNT);
    const offset = intParam(req.query._offset, '_offset', 0);
    const evaluation = await evaluatePersonAccess(db, clinicId, patientId);
    if (!evaluation) throw new FhirError(404, [{ code: 'not-found', diagnostics: `Patient/${patientId} is not known` }]);
    if (!evaluation.patients.some((p) => p.basis === 'own')) {
      await auditRefusal(db, clinicId, evaluation.personId, [patientId], { action: 'search', resourceTypes: ['AuditEvent'] });
      throw new FhirError(403, [{ code: 'forbidden', diagnostics: `only a clinic holding a record of Patient/${patientId} reads its audit trail` }]);
    }
    const patientIds = evaluation.patients.map((p) => p.patientId);
    const { rows, hasMore } = await searchAudit(db, evaluation.personId, patientIds, count, offset);
    await recordAudit(db, { clinicId, action: 'search', outcome: 'success', personId: evaluation.personId, patientIds: [patientId], resourceTypes: ['AuditEvent'] });
    const url = (o: number): string => `${base(req)}/AuditEvent?${new URLSearchParams({ patient: `Patient/${patientId}`, _count: String(count), _offset: String(o) })}`;
    const link = [{ relation: 'self', url: url(offset) }];
    if (hasMore) link.push({ relation: 'next', url: url(offset + count) });
    if (offset > 0) link.push({ relation: 'previous', url: url(Math.max(0, offset - count)) });
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'searchset', link,
      entry: rows.map((a) => ({ fullUrl: `${base(req)}/AuditEvent/${a.id}`, resource: toAuditEvent(a), search: { mode: 'match' } })),
    };
    res.type(FHIR_JSON).json(bundle);
  });

  /** An audit record the caller may read (its agent, or a home clinic of its person); refusals are audited. */
  const readableAudit = async (req: Request): Promise<StoredAudit> => {
    const clinicId = req.clinic!.id;
    const id = String(req.params.id);
    const audit = /^[0-9a-f-]{36}$/i.test(id) ? await readAudit(db, id) : null;
    if (!audit) throw new FhirError(404, [{ code: 'not-found', diagnostics: `AuditEvent/${req.params.id} is not known` }]);
    const home = audit.personId ? (await personPatients(db, audit.personId)).some((p) => p.clinicId === clinicId) : false;
    if (audit.clinicId !== clinicId && !home) {
      await auditRefusal(db, clinicId, audit.personId, [], { action: 'read', resourceTypes: ['AuditEvent'] });
      throw new FhirError(403, [{ code: 'forbidden', diagnostics: `AuditEvent/${req.params.id} is readable by its agent and the person's home clinics` }]);
    }
    await recordAudit(db, { clinicId, action: 'read', outcome: 'success', personId: audit.personId, resourceTypes: ['AuditEvent'] });
    return audit;
  };

  // The hashed document of an audit record (its canonical JSON): with its receipt from /anchors/audit/{hash},
  // `fhir-bridge verify --bundle record.json --receipt receipt.json` checks it against the chain.
  router.get('/AuditEvent/:id/\\$record', async (req, res) => {
    const audit = await readableAudit(req);
    res.type('application/json').send(await readAuditDocument(db, audit.id));
  });

  router.get('/AuditEvent/:id', async (req, res) => {
    res.type(FHIR_JSON).json(toAuditEvent(await readableAudit(req)));
  });
  return router;
}
