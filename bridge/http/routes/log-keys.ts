/**
 * `GET /log/jwks.json` (public): the log key as a JWK Set (RFC 7517 §5; RFC 8037 OKP Ed25519), the key that signs
 * `$summary` documents (Bundle.signature, detached JWS) as it signs checkpoints and promises (C2SP signed notes).
 */
import { Router } from 'express';
import type { AccessServices } from '../../access/services';

export function logKeysRouter(svc: AccessServices): Router {
  const router = Router();
  router.get('/log/jwks.json', (_req, res) => {
    if (!svc.verifiableLog) return void res.status(404).json({ error: 'this bridge runs no verifiable log' });
    res
      .set('Cache-Control', 'public, max-age=300')
      .type('application/jwk-set+json')
      .json({ keys: [svc.verifiableLog.jwk()] });
  });
  return router;
}
