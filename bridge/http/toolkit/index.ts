/** The HTTP edge's shared toolkit: every route parses, pages and builds URLs with these (errors: fhir/outcome `outcomes`). */
export { fhirBaseUrl, publicOrigin } from './base-url';
export { pagedUrl, pageLinks, type PageRequest } from '../../fhir/paging';
export { QueryReader, readQuery } from './query';
export { sendJsonParts } from './send-json';
