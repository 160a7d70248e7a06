import type { RequestHandler } from 'express';
import { NDJSON_RANGES, unacceptableFormat } from '../fhir/negotiation';
import { outcomes } from '../fhir/outcome';

/** 406 (in JSON, the one format the bridge speaks) for a FHIR request whose `_format` or Accept admits no JSON. */
export const fhirFormatGuard: RequestHandler = (req, _res, next) => {
  const f = req.query._format;
  const format = Array.isArray(f) ? String(f[0]) : typeof f === 'string' ? f : undefined;
  const asked = unacceptableFormat(format, req.get('Accept'), req.path.startsWith('/$export-file/') ? NDJSON_RANGES : []);
  if (asked) throw outcomes.notAcceptable(`${asked}: this server answers in FHIR JSON only (_format=json or Accept: application/fhir+json)`);
  next();
};
