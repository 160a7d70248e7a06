/**
 * What a patient app may be granted (SMART App Launch 2.0 §"Scopes"): the launch context `launch/patient`, OpenID
 * Connect `openid fhirUser`, refresh tokens `offline_access` / `online_access`, and clinical-data scopes
 * `patient/<Type|*>.<perms>`. Patients read and search their own records; clinical records stay the clinics' to write.
 * The only writes granted are on what a patient owns (PATIENT_WRITES): their Consents, their notification
 * Subscriptions, and their decisions on consent requests (Task update). `patient/*.cruds` is granted as `patient/*.rs`
 * plus those writes, type by type. Granular query-parameter scopes are not granted. RFC 6749 §3.3: the server may grant
 * other scopes than asked, and says which in the token answer's `scope`. Pure.
 */
import { parseScope, type Permission } from './scopes';

/** What a patient may write, by type, in SMART's `cruds` letters: nothing clinical. */
export const PATIENT_WRITES: Readonly<Record<string, string>> = { Consent: 'cud', Subscription: 'cd', Task: 'u' };
const ORDER: Permission[] = ['c', 'r', 'u', 'd', 's'];
const lettersOf = (perms: ReadonlySet<Permission>, allowed: string): string => ORDER.filter((l) => perms.has(l) && allowed.includes(l)).join('');

export const PATIENT_CONTEXT_SCOPES = ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access'];

/** For the discovery document: every scope form granted. */
export const PATIENT_SUPPORTED_SCOPES = [
  ...PATIENT_CONTEXT_SCOPES,
  'patient/*.rs',
  'patient/*.read',
  'patient/<Type>.rs',
  'patient/<Type>.r',
  'patient/<Type>.s',
  ...Object.entries(PATIENT_WRITES).map(([type, letters]) => `patient/${type}.${letters}`),
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
      const reads = lettersOf(p.perms, p.type === '*' ? 'rs' : `rs${PATIENT_WRITES[p.type] ?? ''}`);
      if (reads) granted.push(`patient/${p.type}.${reads}`);
      if (p.type === '*')
        for (const [type, allowed] of Object.entries(PATIENT_WRITES)) {
          const writes = lettersOf(p.perms, allowed);
          if (writes) granted.push(`patient/${type}.${writes}`);
        }
    }
  }
  const unique = [...new Set(granted)];
  return unique.includes('offline_access') ? unique.filter((s) => s !== 'online_access') : unique;
}

/** Whether `narrower` asks nothing beyond `granted` (a refresh may narrow its scope, never widen it: RFC 6749 §6). */
export const withinGrant = (narrower: string[], granted: readonly string[]): boolean => narrower.every((s) => granted.includes(s));
