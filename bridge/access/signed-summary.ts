/**
 * `$summary` as a signed, verifiable document (issue 11): each entry made from a stored resource names that
 * resource version (meta.versionId and a source-version extension; fullUrl stays `urn:uuid:` because the document's
 * own references use it) and carries that version's log proof; the Bundle is signed by the bridge's log key
 * (Bundle.signature, detached JWS over the document's canonical JSON, fhir/document-signature.ts).
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { bundleSignature, detached, documentSigningInput } from '../fhir/document-signature';
import { BRIDGE_AUTHOR_ID } from '../pull/summary';
import { currentVersions, type SourceVersions } from '../store/pull';
import type { Db, Tx } from '../store/db';
import { DERIVED_NOTE, proofExtension, proofsOfServed, SOURCE_VERSION_EXTENSION } from './proofs';
import type { AccessServices } from './services';

/** The entries of a summary made from a stored resource (their resource id is that resource's bridge id). */
const madeFromResources = (bundle: Bundle): BundleEntry[] =>
  (bundle.entry ?? []).filter((e) => e.resource?.id && e.resource.resourceType !== 'Composition' && e.resource.id !== BRIDGE_AUTHOR_ID);

/**
 * The stored versions the summary's entries were made from. Read them in the same snapshot as the facts the summary
 * was built from (store/db inSnapshot): read later, a version written in between would be named for an entry made
 * from the one before it, and its proof would not be of what was summarized.
 */
export const sourceVersions = (db: Db | Tx, bundle: Bundle): Promise<SourceVersions> =>
  currentVersions(db, [...new Set(madeFromResources(bundle).map((e) => e.resource!.id!))]);

/**
 * Adds source versions, proofs (one batched call) and the signature; unchanged when the bridge runs no log.
 * `versions`: from sourceVersions in the facts' snapshot (read now when absent, which may race a write).
 */
export async function signSummary(svc: AccessServices, bundle: Bundle, versions?: SourceVersions): Promise<Bundle> {
  const log = svc.verifiableLog;
  if (!log) return bundle;
  const entries = bundle.entry ?? [];
  const made = madeFromResources(bundle);
  versions ??= await sourceVersions(svc.db, bundle);
  const sourced = made.filter((e) => versions.has(e.resource!.id!));
  const served = sourced.map((e) => ({ id: e.resource!.id!, version: versions.get(e.resource!.id!)!.version }));
  const proofs = await proofsOfServed(svc, served);
  sourced.forEach((e: BundleEntry, i) => {
    const src = versions.get(e.resource!.id!)!;
    const answer = proofs[i] && 'version' in proofs[i]! ? { ...proofs[i]!, served: { form: 'derived' as const, note: DERIVED_NOTE } } : proofs[i];
    const ext = proofExtension(answer);
    e.resource!.meta = { ...e.resource!.meta, versionId: String(src.version) };
    e.extension = [
      { url: SOURCE_VERSION_EXTENSION, valueReference: { reference: `${src.resourceType}/${e.resource!.id}/_history/${src.version}` } },
      ...(ext ? [ext] : []),
    ];
  });
  const signed: Bundle = { ...bundle, entry: entries };
  const jws = detached(log.signJws(documentSigningInput(signed)));
  signed.signature = bundleSignature(jws, bundle.timestamp ?? new Date().toISOString(), {
    reference: `urn:uuid:${BRIDGE_AUTHOR_ID}`,
    display: `fhir-anchor-bridge (log ${log.origin})`,
  });
  return signed;
}
