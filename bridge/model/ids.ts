/** Bridge ids: what store/, fhir/ and access/ all need to tell a stored row's id from a clinic's own id. */
import { v7 as uuidv7 } from 'uuid';

/** RFC 9562 UUID text form (any version), as PostgreSQL's uuid type prints it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bridge ids are UUIDs; anything else (a clinic's own id) never names a stored row directly. */
export function isBridgeId(id: string): boolean {
  return UUID_PATTERN.test(id);
}

/**
 * A new bridge id: an RFC 9562 version 7 UUID (48-bit Unix milliseconds, then 74 random bits). Ids made in turn sort
 * in turn, so every B-tree keyed by them (resource_pkey, the resource_id indexes of search and clinical rows, the log's
 * ref index) grows at its right edge instead of touching a random page per row, which a version 4 id does. What it
 * tells of a resource, when it was created, its meta.lastUpdated already tells whoever may read it.
 */
export function newBridgeId(): string {
  return uuidv7();
}
