import { Router } from 'express';
import { z } from 'zod';
import { clinicKeys, createClinic, JwksSource, listClinics, revokeKey, rotateKey, setBreakGlass, setSmartClient } from '../../access/admin';
import { checkJwks, checkJwksUrl } from '../../access/jwks';
import { checkRedirectUri, registerPatientApp } from '../../access/patient-oauth';
import type { AccessServices } from '../../access/services';
import { outcomes, type FhirError } from '../../fhir/outcome';
import { AuthGuard, requireAdmin, sessionOf } from '../auth';
import { personAdminRouter } from './person-admin';

const newClinic = z.object({ name: z.string().trim().min(1).max(200) });
const newApp = z.object({ name: z.string().trim().min(1).max(200), redirectUris: z.array(z.string()).min(1).max(10) }).strict();
/** Grace period of a rotation: at most 30 days; default 0 (the old key is refused at once). */
const rotation = z
  .object({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(0),
  })
  .strict();

const clinicNotFound = (id: string): FhirError => outcomes.notFound(`no clinic ${id}`);

/** `/admin`: clinic management (keys included) and person links, with the bridge's admin token; bridge/access/admin audits each change. */
export function adminRouter(svc: AccessServices, adminToken: string | undefined, guard?: AuthGuard): Router {
  const router = Router();
  router.use(requireAdmin(adminToken, guard));
  router.post('/clinics', async (req, res) => {
    const parsed = newClinic.safeParse(req.body);
    if (!parsed.success) throw outcomes.invalid('body must be {"name": "<clinic name>"} (1-200 characters)');
    const clinic = await createClinic(svc, sessionOf(req), parsed.data.name);
    res.status(201).json(clinic);
  });
  // Patient apps (SMART App Launch public clients): a name and exact redirect URIs → a new client_id.
  router.post('/apps', async (req, res) => {
    const parsed = newApp.safeParse(req.body);
    const uris = parsed.success ? parsed.data.redirectUris.map(checkRedirectUri) : [];
    if (!parsed.success || uris.some((u) => u === null))
      throw outcomes.invalid('body must be {"name": "<app name>", "redirectUris": ["https://…" (http only on loopback), …]} (1-10 URIs, no fragment)');
    res.status(201).json(await registerPatientApp(svc, sessionOf(req), parsed.data.name, uris as string[], 'admin-api'));
  });
  router.get('/clinics', async (req, res) => {
    res.json(await listClinics(svc, sessionOf(req)));
  });

  router.get('/clinics/:id/keys', async (req, res) => {
    const keys = await clinicKeys(svc, sessionOf(req), req.params.id);
    if (!keys) throw clinicNotFound(req.params.id);
    res.json(keys);
  });
  // Rotation: a new key at once; the clinic's other keys end now, or after `graceSeconds`.
  router.post('/clinics/:id/keys', async (req, res) => {
    const parsed = rotation.safeParse(req.body ?? {});
    if (!parsed.success) throw outcomes.invalid('body must be empty or {"graceSeconds": <0-2592000>}');
    const rotated = await rotateKey(svc, sessionOf(req), req.params.id, parsed.data.graceSeconds, 'admin-api');
    if (!rotated) throw clinicNotFound(req.params.id);
    res.status(201).json(rotated);
  });
  router.delete('/clinics/:id/keys/:keyId', async (req, res) => {
    const r = await revokeKey(svc, sessionOf(req), req.params.id, req.params.keyId, 'admin-api');
    if (r === 'no-clinic') throw clinicNotFound(req.params.id);
    if (r === 'no-key') throw outcomes.notFound(`clinic ${req.params.id} has no key ${req.params.keyId}`);
    res.status(204).end();
  });
  // Every key of the clinic, now (a clinic locked out until a rotation gives it a new one).
  router.post('/clinics/:id/revoke-keys', async (req, res) => {
    const r = await revokeKey(svc, sessionOf(req), req.params.id, undefined, 'admin-api');
    if (r === 'no-clinic') throw clinicNotFound(req.params.id);
    res.json({ clinicId: req.params.id, revoked: r });
  });
  // Emergency access (X-Break-Glass) for a clinic: enabled by PUT, disabled by DELETE (both idempotent, audited).
  for (const [method, enabled] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    router[method]('/clinics/:id/break-glass', async (req, res) => {
      if (!(await setBreakGlass(svc, sessionOf(req), req.params.id, enabled, 'admin-api'))) throw clinicNotFound(req.params.id);
      res.json({ clinicId: req.params.id, breakGlass: enabled });
    });
  }
  // SMART Backend Services: the clinic's public JWKS (inline, or a URL fetched when assertions come); its client_id is kept when the keys are replaced.
  router.put('/clinics/:id/smart-client', async (req, res) => {
    const body = (req.body ?? {}) as { jwks?: unknown; jwksUrl?: unknown };
    let source: JwksSource;
    if (body.jwksUrl !== undefined && body.jwks === undefined) {
      const url = checkJwksUrl(body.jwksUrl);
      if (!url) throw outcomes.invalid('jwksUrl must be an https URL (http only on the loopback interface)');
      source = { jwksUrl: url };
    } else {
      const jwks = await checkJwks(body.jwks);
      if (typeof jwks === 'string') throw outcomes.invalid(`body must be {"jwks": {"keys": [...]}} or {"jwksUrl": "https://…"}: ${jwks}`);
      source = { jwks };
    }
    const clientId = await setSmartClient(svc, sessionOf(req), req.params.id, source, 'admin-api');
    if (!clientId) throw clinicNotFound(req.params.id);
    res.json({ clinicId: req.params.id, client_id: clientId });
  });
  router.use(personAdminRouter(svc));
  return router;
}
