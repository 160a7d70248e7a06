/** Bridge ids: what store/, fhir/ and access/ all need to tell a stored row's id from a clinic's own id. */

/** RFC 9562 UUID text form (any version), as PostgreSQL's uuid type prints it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bridge ids are UUIDs; anything else (a clinic's own id) never names a stored row directly. */
export function isBridgeId(id: string): boolean {
  return UUID_PATTERN.test(id);
}
