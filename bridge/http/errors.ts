import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log';
import { FhirError, operationOutcome } from '../fhir/outcome';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function sendOutcome(res: Response, err: FhirError): void {
  if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
  res.status(err.status).type(FHIR_JSON).json(operationOutcome(err.issues));
}

/** body-parser failures are client mistakes: say which, never echo the body. */
function fromBodyParser(err: { type?: string; status?: number }, limit: number): FhirError | undefined {
  switch (err.type) {
    case 'entity.too.large': return new FhirError(413, [{ code: 'too-costly', diagnostics: `the request body exceeds the limit of ${limit} bytes` }]);
    case 'entity.parse.failed': return new FhirError(400, [{ code: 'structure', diagnostics: 'the request body is not valid JSON' }]);
    case 'encoding.unsupported': case 'charset.unsupported': return new FhirError(415, [{ code: 'not-supported', diagnostics: 'unsupported body encoding or charset' }]);
    case 'request.aborted': return new FhirError(400, [{ code: 'incomplete', diagnostics: 'the request was aborted' }]);
  }
  return undefined;
}

/** Last handler: every error leaves as an OperationOutcome; faults are logged by kind only (no data, no SQL, no stack in the response). */
export function errorHandler(log: Logger, maxBodyBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof FhirError) return sendOutcome(res, err);
    const parsed = fromBodyParser(err as { type?: string }, maxBodyBytes);
    if (parsed) return sendOutcome(res, parsed);
    const e = err as { name?: string; code?: string; stack?: string };
    log.error({ errName: e.name, errCode: e.code, method: req.method, route: req.route?.path ?? req.path.split('/').slice(0, 3).join('/'), stack: e.stack?.split('\n').slice(1, 6).join('\n') }, 'request failed');
    sendOutcome(res, new FhirError(500, [{ code: 'exception', diagnostics: 'internal error; the request was not applied' }]));
  };
}
