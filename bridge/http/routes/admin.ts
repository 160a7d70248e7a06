import { Router } from 'express';
import { z } from 'zod';
import { FhirError } from '../../fhir/outcome';
import type { Db } from '../../store/db';
import { createClinic, listClinics } from '../../store/clinics';
import { requireAdmin } from '../auth';
import { personAdminRouter } from './person-admin';

const newClinic = z.object({ name: z.string().trim().min(1).max(200) });

/** `/admin`: clinic management and person links, with the bridge's admin token. */
export function adminRouter(db: Db, adminToken: string | undefined): Router {
  const router = Router();
  router.use(requireAdmin(adminToken));
  router.post('/clinics', async (req, res) => {
    const parsed = newClinic.safeParse(req.body);
    if (!parsed.success) throw new FhirError(400, [{ code: 'invalid', diagnostics: 'body must be {"name": "<clinic name>"} (1-200 characters)' }]);
    const clinic = await createClinic(db, parsed.data.name);
    res.status(201).json(clinic);
  });
  router.get('/clinics', async (_req, res) => {
    res.json(await listClinics(db));
  });
  router.use(personAdminRouter(db));
  return router;
}
