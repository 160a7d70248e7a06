/**
 * SMART clinical-data scopes (SMART App Launch 2.x §"Scopes for requesting clinical data"): `<context>/<Type|*>.<perms>`
 * where context is `system` (clinics, Backend Services) or `patient` (a patient's own records, App Launch), and perms
 * is a subset of `cruds` in that order (v2), or the v1 `read` (= rs) / `write` (= cud). Pure: no I/O.
 * Granular query-parameter scopes (`?category=…`) are not supported and are not granted.
 */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export type Interaction = 'create' | 'read' | 'update' | 'delete' | 'search';

const NEED: Record<Interaction, Permission> = { create: 'c', read: 'r', update: 'u', delete: 'd', search: 's' };
const SCOPE = /^(system|patient)\/(\*|[A-Z][A-Za-z]{0,63})\.(read|write|\*|c?r?u?d?s?)$/;

export type ScopeContext = 'system' | 'patient';

export interface Scope {
  type: string;
  perms: ReadonlySet<Permission>;
}

/** A clinical-data scope of `context` (default `system`), or null when `s` is none. */
export function parseScope(s: string, context: ScopeContext = 'system'): Scope | null {
  const m = SCOPE.exec(s);
  if (!m || m[1] !== context || m[3] === '') return null;
  const letters = m[3] === 'read' ? 'rs' : m[3] === 'write' ? 'cud' : m[3] === '*' ? 'cruds' : m[3];
  return { type: m[2], perms: new Set(letters.split('') as Permission[]) };
}

/** What the bridge may grant: every system scope, v2 and v1 (clinics are confined by consent, not by scope). */
export const SUPPORTED_SCOPES = ['system/*.cruds', 'system/*.rs', 'system/*.cud', 'system/*.read', 'system/*.write', 'system/<Type>.<cruds>'];

/**
 * The scopes granted for a request: those asked that parse and that the client may have (all, for now). RFC 6749 §3.3
 * lets the server grant fewer than asked; an empty grant is `invalid_scope` for the caller.
 */
export function grantScopes(requested: string | undefined, allowed: (s: Scope) => boolean = () => true): string[] {
  const asked = (requested ?? '').split(' ').filter(Boolean);
  return [
    ...new Set(
      asked.filter((s) => {
        const p = parseScope(s);
        return p !== null && allowed(p);
      }),
    ),
  ];
}

/** Whether granted scopes of `context` allow `interaction` on resources of `type` ('*': every type, as a system export needs). */
export function scopesAllow(granted: readonly string[], type: string, interaction: Interaction, context: ScopeContext = 'system'): boolean {
  const need = NEED[interaction];
  return granted.some((s) => {
    const p = parseScope(s, context);
    return p !== null && p.perms.has(need) && (p.type === '*' || p.type === type);
  });
}

/** The interaction a Bundle entry's request method asks for (FHIR R4 Bundle.entry.request.method). */
export function entryInteraction(method: string, hasId: boolean): Interaction | null {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
    case 'PATCH':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'GET':
    case 'HEAD':
      return hasId ? 'read' : 'search';
    default:
      return null;
  }
}
