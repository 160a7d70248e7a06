/**
 * The person the pull benches read (and the portal demo shows): three bundles of one patient (bench/generate.ts),
 * one per clinic, sharing one SSN so the bridge links them; consents from the two home clinics that let the first
 * clinic read; then background patients spread over the clinics. Pushed over HTTP like any clinic's data.
 */
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { consent } from '../test/helpers/people';
import { generateBundles } from './generate';

const SSN = 'http://hl7.org/fhir/sid/us-ssn';

/** POST /fhir of one transaction bundle with a clinic key; throws with the answer unless 200. */
export async function pushBundle(url: string, key: string, bundle: unknown): Promise<Bundle> {
  const res = await fetch(`${url}/fhir`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bundle),
  });
  if (res.status !== 200) throw new Error(`push ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as Bundle;
}

/** Seeds the person (clinics[i] holds bundle i) and the background; the person's Patient id at each clinic, and the resources pushed for them. */
export async function seedSharedPerson(
  url: string,
  clinics: readonly { id: string; apiKey: string }[],
  o: { encountersPerPatient: number; background: number; backgroundEncounters: number },
): Promise<{ patientIds: string[]; total: number }> {
  const person = generateBundles({ bundles: 3, encountersPerPatient: o.encountersPerPatient, organizations: 10, seed: 7 });
  const patientIds: string[] = [];
  let total = 0;
  for (const [i, bundle] of person.entries()) {
    const p = bundle.entry![0].resource as Patient;
    p.identifier = p.identifier!.map((id) => (id.system === SSN ? { ...id, value: '999-00-0001' } : id));
    total += bundle.entry!.length;
    patientIds.push((await pushBundle(url, clinics[i].apiKey, bundle)).entry![0].response!.location!.split('/')[1]);
  }
  for (const i of [1, 2])
    await pushBundle(url, clinics[i].apiKey, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'POST', url: 'Consent' }, resource: consent(`bench-${i}`, `Patient/${patientIds[i]}`, clinics[0].id) }],
    });
  const background = generateBundles({ bundles: o.background, encountersPerPatient: o.backgroundEncounters, organizations: 10, seed: 99 });
  for (const [i, bundle] of background.entries()) await pushBundle(url, clinics[i % 3].apiKey, bundle);
  return { patientIds, total };
}
