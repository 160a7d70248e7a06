import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log';
import { FhirError, operationOutcome, outcomes } from '../fhir/outcome';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function sendOutcome(res: Response, err: FhirError): void {
  if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
  res.status(err.status).type(FHIR_JSON).json(operationOutcome(err.issues));
}

/** body-parser failures are client mistakes: say which, never echo the body. */
function fromBodyParser(err: { type?: string; status?: number }, limit: number): FhirError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return outcomes.tooLarge(`the request body exceeds the limit of ${limit} bytes`);
    case 'entity.parse.failed':
      return outcomes.structure('the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return outcomes.unsupportedMediaType('unsupported body encoding or charset');
    case 'request.aborted':
      return outcomes.incomplete('the request was aborted');
  }
  return undefined;
}

/**
 * Client mistakes that surface as library errors: a path or query that is not valid percent-encoding (URIError from
 * decodeURIComponent, RFC 3986 §2.1), a body that does not decompress as its Content-Encoding says (zlib/brotli codes).
 */
function fromRequestShape(err: { name?: string; code?: string }): FhirError | undefined {
  if (err instanceof URIError) return outcomes.invalid('the request URL holds invalid percent-encoding');
  if (typeof err.code === 'string' && /^(Z_|ERR__ERROR_FORMAT|ERR_BROTLI)/.test(err.code)) {
    return outcomes.structure('the request body could not be decoded as its Content-Encoding says');
  }
  return undefined;
}

/**
 * Safety net: a PostgreSQL data exception (SQLSTATE class 22: a value out of range, malformed, not storable) can only
 * come from a value the client sent; it is a 400, not a server fault. Each known cause is refused earlier with a
 * precise message; this catches the ones not yet known (and logs them, so they can be).
 */
const isDataException = (err: { code?: string }): boolean => typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code);

/** Last handler: every error leaves as an OperationOutcome; faults are logged by kind only (no data, no SQL, no stack in the response). */
export function errorHandler(log: Logger, maxBodyBytes: number) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof FhirError) return sendOutcome(res, err);
    const parsed = fromBodyParser(err as { type?: string }, maxBodyBytes);
    if (parsed) return sendOutcome(res, parsed);
    const e = err as { name?: string; code?: string; stack?: string };
    const shape = fromRequestShape(e);
    if (shape) return sendOutcome(res, shape);
    if (isDataException(e)) {
      log.warn(
        { errCode: e.code, method: req.method, route: req.route?.path ?? req.path.split('/').slice(0, 3).join('/') },
        'request refused: a value the database cannot store',
      );
      return sendOutcome(res, outcomes.invalid('the request holds a value that is out of range or cannot be stored'));
    }
    log.error(
      {
        errName: e.name,
        errCode: e.code,
        method: req.method,
        route: req.route?.path ?? req.path.split('/').slice(0, 3).join('/'),
        stack: e.stack?.split('\n').slice(1, 6).join('\n'),
      },
      'request failed',
    );
    sendOutcome(res, outcomes.internal('internal error; the request was not applied'));
  };
}
