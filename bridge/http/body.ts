/**
 * FHIR JSON request bodies. The bytes are read raw (inflated per Content-Encoding by body-parser) and decoded as strict
 * UTF-8: JSON exchanged between systems SHALL be UTF-8 (RFC 8259 §8.1) and FHIR's JSON format is UTF-8 only
 * (FHIR R4 json.html), so a body that is not valid UTF-8, or that declares another charset, is refused rather than
 * decoded with replacement characters; what is hashed and stored is then exactly what the client sent.
 */
import express, { NextFunction, Request, Response } from 'express';
import { parseLimitedJson } from '../fhir/json-limits';
import { outcomes } from '../fhir/outcome';

export const FHIR_BODY_TYPES = ['application/fhir+json', 'application/json'];

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

function decodeUtf8(req: Request, _res: Response, next: NextFunction): void {
  if (!Buffer.isBuffer(req.body)) return next();
  const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return next(outcomes.unsupportedMediaType(`charset "${charset.slice(0, 40)}" is not supported: send FHIR JSON as UTF-8 (RFC 8259 §8.1)`));
  }
  try {
    // fatal: invalid bytes (and encoded lone surrogates) throw instead of becoming U+FFFD; a leading BOM is dropped.
    req.body = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    return next(outcomes.structure('the request body is not valid UTF-8'));
  }
  next();
}

/** Body parsing for FHIR JSON routes: `req.body` becomes the decoded text (the push parses it off the HTTP thread). */
export function fhirBody(limit: number, types: readonly string[] = FHIR_BODY_TYPES): ReturnType<typeof express.raw> {
  const raw = express.raw({ type: [...types], limit });
  return (req, res, next) => raw(req, res, (err?: unknown) => (err ? next(err) : decodeUtf8(req as Request, res as Response, next)));
}

/**
 * The parsed FHIR JSON body of a route that took `fhirBody`, with the limits every push has (fhir/json-limits.ts:
 * nesting depth, strings PostgreSQL cannot store): 415 naming `what` when no FHIR JSON body came; undefined when
 * `optional` and the body is empty.
 */
export function parsedFhirBody(req: Request, what: string, opts: { optional?: boolean } = {}): unknown {
  if (opts.optional && (typeof req.body !== 'string' || !req.body.trim())) return undefined;
  if (typeof req.body !== 'string') throw outcomes.unsupportedMediaType(`send ${what} as application/fhir+json`);
  return parseLimitedJson(req.body);
}
