import type { Bundle } from '@medplum/fhirtypes';
import { Request, Router } from 'express';
import { auditView, mayListAuditOf, shownWhole, type AuditShown, type AuditViewer } from '../../access/audit-visibility';
import { auditRefusal, PersonAccessOptions } from '../../access/person-access';
import { admitBreakGlass, breakGlassText, DEFAULT_BREAK_GLASS_LIMIT, parseBreakGlass } from '../../access/break-glass';
import { toAuditEvent } from '../../fhir/audit-event';
import { FhirError, outcomes } from '../../fhir/outcome';
import { DEFAULT_COUNT, MAX_COUNT } from '../../fhir/search-params';
import { readAudit, readAuditDocument, recordAudit, searchAudit, type StoredAudit } from '../../store/audit';
import type { Db } from '../../store/db';
import { clinicPatientsAmong, findPatientPerson } from '../../store/person-links';
import { isBridgeId } from '../../model/ids';
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

/** The one answer for an id the caller may not see and an id that names nothing (no oracle). */
const notKnown = (what: string): FhirError => outcomes.notFound(`${what} is not known`);
const bad = (diagnostics: string, expression?: string): FhirError => new FhirError(400, [{ code: 'invalid', diagnostics, expression }]);

function intParam(value: unknown, name: string, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (Array.isArray(value) || !Number.isInteger(n) || n < 0) throw bad(`${name} must be a non-negative integer`, name);
  return n;
}

/** The viewer a clinic's request reads the trail as, with which of `patientIds` it holds. */
async function clinicViewer(db: Db, clinicId: string, patientIds: string[]): Promise<AuditViewer> {
  return { kind: 'clinic', clinicId, ownPatientIds: await clinicPatientsAmong(db, clinicId, patientIds) };
}

/**
 * `GET /fhir/AuditEvent?patient=Patient/{id}` and `GET /fhir/AuditEvent/{id}`: what access/audit-visibility.ts lets
 * the clinic see (its own actions, accesses to records it holds), redacted for it. Anything else answers exactly as
 * an unknown id does (404), so the trail is no oracle for which ids are patients elsewhere; refusals are audited.
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
    if (!mayListAuditOf(await clinicViewer(db, clinicId, [patientId]), patientId)) {
      const known = await findPatientPerson(db, patientId);
      if (known) await auditRefusal(db, clinicId, known.personId, [patientId], { action: 'search', resourceTypes: ['AuditEvent'] });
      throw notKnown(`Patient/${patientId}`);
    }
    const { rows, hasMore } = await searchAudit(db, null, [patientId], count, offset);
    const viewer = await clinicViewer(db, clinicId, rows.flatMap((a) => a.patientIds));
    await recordAudit(db, { clinicId, action: 'search', outcome: 'success', patientIds: [patientId], resourceTypes: ['AuditEvent'] });
    const url = (o: number): string => `${base(req)}/AuditEvent?${new URLSearchParams({ patient: `Patient/${patientId}`, _count: String(count), _offset: String(o) })}`;
    const link = [{ relation: 'self', url: url(offset) }];
    if (hasMore) link.push({ relation: 'next', url: url(offset + count) });
    if (offset > 0) link.push({ relation: 'previous', url: url(Math.max(0, offset - count)) });
    const entry = rows.flatMap((a) => {
      const shown = auditView(viewer, a);
      return shown ? [{ fullUrl: `${base(req)}/AuditEvent/${a.id}`, resource: toAuditEvent(a, shown), search: { mode: 'match' as const } }] : [];
    });
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', link, entry };
    res.type(FHIR_JSON).json(bundle);
  });

  /** An audit record the caller may see, with what it is shown; anything else is audited and answered as unknown. */
  const readableAudit = async (req: Request): Promise<{ audit: StoredAudit; shown: AuditShown }> => {
    const clinicId = req.clinic!.id;
    const id = String(req.params.id);
    const audit = isBridgeId(id) ? await readAudit(db, id) : null;
    const shown = audit && auditView(await clinicViewer(db, clinicId, audit.patientIds), audit);
    if (!audit || !shown) {
      if (audit) await auditRefusal(db, clinicId, audit.personId, [], { action: 'read', resourceTypes: ['AuditEvent'] });
      throw notKnown(`AuditEvent/${id}`);
    }
    await recordAudit(db, { clinicId, action: 'read', outcome: 'success', patientIds: shown.patientIds, resourceTypes: ['AuditEvent'] });
    return { audit, shown };
  };

  // The hashed document of an audit record (its canonical JSON): with its receipt from /anchors/audit/{hash},
  // `fhir-bridge verify --bundle record.json --receipt receipt.json` checks it against the chain.
  router.get('/AuditEvent/:id/\\$record', async (req, res) => {
    const { audit, shown } = await readableAudit(req);
    const doc = await readAuditDocument(db, audit.id);
    // Served only when it names nothing the caller is not shown (records of older versions may carry the person id).
    if (!doc || !shownWhole(audit, shown) || (audit.personId && doc.includes(audit.personId))) {
      throw outcomes.forbidden(`the hashed record of AuditEvent/${audit.id} names what this clinic is not shown`);
    }
    res.type('application/json').send(doc);
  });

  router.get('/AuditEvent/:id', async (req, res) => {
    const { audit, shown } = await readableAudit(req);
    res.type(FHIR_JSON).json(toAuditEvent(audit, shown));
  });
  return router;
}
