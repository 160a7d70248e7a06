/** The Session of a clinic request, built from what requireClinic attached (until the access layer wires req.session). */
import type { Request } from 'express';
import type { Session } from '../../access/session';

export function clinicSession(req: Request): Session {
  const clinic = req.clinic!;
  return {
    principal: { kind: 'clinic', clinicId: clinic.id, clinicName: clinic.name },
    credential: req.scopes ? 'smart-token' : 'api-key',
    ...(req.scopes ? { scopes: req.scopes } : {}),
  };
}
