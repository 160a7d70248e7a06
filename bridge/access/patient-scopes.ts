/**
 * What a patient app may be granted (SMART App Launch 2.0 §"Scopes"): the launch context `launch/patient`, OpenID
 * Connect `openid fhirUser`, refresh tokens `offline_access` / `online_access`, and clinical-data scopes
 * `patient/<Type|*>.<perms>` of which only the read part is granted: patients read and search their own records, they
 * never create, update or delete through the API (v2 `cruds` → `rs`, v1 `read` kept, `write` dropped). Granular
 * query-parameter scopes are not granted. RFC 6749 §3.3: the server may grant fewer scopes than asked. Pure.
 */
import { parseScope } from './scopes';

export const PATIENT_CONTEXT_SCOPES = ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access'];

/** For the discovery document: every scope form granted. */
export const PATIENT_SUPPORTED_SCOPES = [
  ...PATIENT_CONTEXT_SCOPES,
  'patient/*.rs',
  'patient/*.read',
  'patient/<Type>.rs',
  'patient/<Type>.r',
  'patient/<Type>.s',
];

/** The grant for a requested scope string (space-separated); with both refresh kinds asked, offline_access wins. */
export function grantPatientScopes(requested: string | undefined): string[] {
  const granted: string[] = [];
  for (const s of (requested ?? '').split(' ').filter(Boolean)) {
    if (PATIENT_CONTEXT_SCOPES.includes(s)) granted.push(s);
    else {
      const p = parseScope(s, 'patient');
      if (!p) continue;
      if (s.endsWith('.read')) {
        granted.push(s);
        continue;
      }
      const letters = ['r', 's'].filter((l) => p.perms.has(l as 'r' | 's')).join('');
      if (letters) granted.push(`patient/${p.type}.${letters}`);
    }
  }
  const unique = [...new Set(granted)];
  return unique.includes('offline_access') ? unique.filter((s) => s !== 'online_access') : unique;
}

/** Whether `narrower` asks nothing beyond `granted` (a refresh may narrow its scope, never widen it: RFC 6749 §6). */
export const withinGrant = (narrower: string[], granted: readonly string[]): boolean => narrower.every((s) => granted.includes(s));
