import { Router } from 'express';
import { confirmLink, personCandidates, rejectLink, unlink } from '../../access/admin';
import type { AccessServices } from '../../access/services';
import { sessionOf } from '../auth';
import { readQuery } from '../toolkit';

const STATUSES = ['candidate', 'confirmed', 'rejected', 'all'] as const;

/**
 * Person links, under `/admin` (admin token checked by the admin router): list likely matches, confirm or reject
 * one, and unlink a patient record from its person. Every decision is one transaction, audited by bridge/access/admin.
 */
export function personAdminRouter(svc: AccessServices): Router {
  const router = Router();
  router.get('/person-candidates', async (req, res) => {
    const q = readQuery(req.query, ['status', '_count', '_offset'], 'person-candidates');
    const status = q.oneOf('status', STATUSES) ?? 'candidate';
    const count = q.count('_count', { max: 1000, fallback: 100 }) || 100;
    const offset = q.int('_offset', { min: 0, max: 1e9, fallback: 0 });
    res.json(await personCandidates(svc, sessionOf(req), status === 'all' ? undefined : status, count, offset));
  });

  router.post('/person-candidates/:a/:b/confirm', async (req, res) => {
    res.json(await confirmLink(svc, sessionOf(req), req.params.a, req.params.b));
  });

  router.post('/person-candidates/:a/:b/reject', async (req, res) => {
    const { a, b } = req.params;
    await rejectLink(svc, sessionOf(req), a, b);
    res.json({ status: 'rejected', patientIds: [a, b] });
  });

  router.post('/patients/:id/unlink', async (req, res) => {
    res.json({ patientId: req.params.id, ...(await unlink(svc, sessionOf(req), req.params.id)) });
  });
  return router;
}
