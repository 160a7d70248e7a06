import { Router } from 'express';
import { FhirError, outcomes } from '../../fhir/outcome';
import { recordAudit } from '../../store/audit';
import { Db, inTransaction } from '../../store/db';
import { confirmCandidate, listCandidates, rejectCandidate, unlinkPatient } from '../../store/person-links';

const STATUSES = ['candidate', 'confirmed', 'rejected', 'all'];

/**
 * Person links, under `/admin` (admin token checked by the admin router): list likely matches, confirm or reject
 * one, and unlink a patient record from its person. Every decision is one transaction and is audited.
 */
export function personAdminRouter(db: Db): Router {
  const router = Router();
  router.get('/person-candidates', async (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : 'candidate';
    if (!STATUSES.includes(status)) throw new FhirError(400, [{ code: 'invalid', diagnostics: `status must be one of ${STATUSES.join(', ')}` }]);
    const count = Math.min(Number(req.query._count ?? 100) || 100, 1000);
    const offset = Math.max(Number(req.query._offset ?? 0) || 0, 0);
    res.json(await listCandidates(db, status === 'all' ? undefined : status, count, offset));
  });

  router.post('/person-candidates/:a/:b/confirm', async (req, res) => {
    const { a, b } = req.params;
    const result = await inTransaction(db, async (tx) => {
      const r = await confirmCandidate(tx, a, b);
      if (!r) throw outcomes.notFound(`candidate ${a}/${b} is not known`);
      await recordAudit(tx, { clinicId: null, action: 'link', outcome: 'success', personId: r.personId, patientIds: r.patientIds, detail: r.mergedPersonId ? `person ${r.mergedPersonId} merged` : 'already one person' });
      return r;
    });
    res.json(result);
  });

  router.post('/person-candidates/:a/:b/reject', async (req, res) => {
    const { a, b } = req.params;
    await inTransaction(db, async (tx) => {
      if (!(await rejectCandidate(tx, a, b))) throw outcomes.notFound(`candidate ${a}/${b} is not known`);
      await recordAudit(tx, { clinicId: null, action: 'reject-link', outcome: 'success', patientIds: [a, b], detail: 'candidate rejected' });
    });
    res.json({ status: 'rejected', patientIds: [a, b] });
  });

  router.post('/patients/:id/unlink', async (req, res) => {
    const result = await inTransaction(db, async (tx) => {
      const r = await unlinkPatient(tx, req.params.id);
      if (r === 'unknown') throw outcomes.notFound(`Patient/${req.params.id} is not known`);
      if (r === 'alone') throw outcomes.conflict(`Patient/${req.params.id} is the only record of its person`);
      await recordAudit(tx, { clinicId: null, action: 'unlink', outcome: 'success', personId: r.formerPersonId, patientIds: [req.params.id, ...r.formerPatientIds], detail: `new person ${r.personId}` });
      return r;
    });
    res.json({ patientId: req.params.id, ...result });
  });
  return router;
}
