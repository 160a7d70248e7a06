import type { Request } from 'express';

/**
 * The bridge's public origin: PUBLIC_BASE_URL when configured (behind a proxy the Host header is not the public
 * name), else the scheme and Host of the request. Every absolute URL the bridge answers with starts here.
 */
export const publicOrigin = (req: Request, configured?: string): string => configured ?? `${req.protocol}://${req.get('host')}`;

/** The FHIR base (`[base]` of R4 http.html): the public origin followed by `/fhir`. */
export const fhirBaseUrl = (req: Request, configured?: string): string => `${publicOrigin(req, configured)}/fhir`;
