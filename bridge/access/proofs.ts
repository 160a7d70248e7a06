/**
 * Inclusion proofs of what a reader was served (issue 11): a proof is given only to a reader who may read the same
 * resource version or audit entry, through exactly the checks (and the audit) of that read, so a proof of another
 * clinic's or a withheld record answers like the read: 404. The log service itself decides nothing about access.
 */
import type { LogRef, LogService, ProofAnswer } from '../log/service';
import type { Proof } from '../log/proof';
import { outcomes } from '../fhir/outcome';
import { readAuditRecord } from './audit-events';
import { readOne, readOneVersion, type StoredResource } from './reads';
import type { AccessServices } from './services';
import type { Session } from './session';

/** The log, or 503 in a setup that does not run one (the route has nothing to prove to). */
export function logOf(svc: AccessServices): LogService {
  if (!svc.verifiableLog) throw outcomes.unavailable('this bridge runs no verifiable log');
  return svc.verifiableLog;
}

/** Seconds a reader should wait for the next checkpoint (the sequencer publishes at most one interval after an append). */
export const PENDING_RETRY_SECONDS = 5;

export const AS_COMMITTED = { form: 'as-committed', note: 'the resource exactly as committed to the log' } as const;

/**
 * What a full-access reader would verify when a pull rewrote references this reader may not follow (bridge/pull/references.ts):
 * the proof's leaf commits to the resource as stored, not to the redacted copy served here.
 */
export const REDACTED_NOTE =
  'served with references you may not follow removed (kept as display text); the leaf commits to the resource as stored, ' +
  'with those references, which is what a reader with full access verifies against this proof';

/**
 * The proof of the version of `type/id` the session may read (`vid` undefined: the current one), audited as that read.
 * null: no such readable version (404, as the read); `deleted`: the read would answer 410.
 */
export async function proofOfRead(
  svc: AccessServices,
  session: Session,
  type: string,
  id: string,
  vid: number | undefined | 'current',
): Promise<{ stored: StoredResource; answer: ProofAnswer } | null> {
  const log = logOf(svc);
  const stored = vid === 'current' ? await readOne(svc, session, type, id) : await readOneVersion(svc, session, type, id, vid);
  if (!stored) return null;
  if (stored.deleted) return { stored, answer: null };
  const answer = await log.proof({ kind: 'resource', id: stored.id, version: stored.version });
  return { stored, answer: answer && 'version' in answer ? { ...answer, served: AS_COMMITTED } : answer };
}

/** Proofs for resources already disclosed by an audited pull or search (one batched `proofs()` call). */
export async function proofsOfServed(
  svc: AccessServices,
  served: readonly { id: string; version: number; redacted?: boolean }[],
): Promise<(Proof | { pending: true } | null)[]> {
  const refs: LogRef[] = served.map((s) => ({ kind: 'resource', id: s.id, version: s.version }));
  const answers = await logOf(svc).proofs(refs);
  return answers.map((a, i) => (a && 'version' in a ? { ...a, served: served[i].redacted ? { form: 'redacted', note: REDACTED_NOTE } : AS_COMMITTED } : a));
}

/** Bundle.entry extension carrying an entry's proof (valueString: the `fhir-anchor-proof/1` JSON). */
export const LOG_PROOF_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proof';
/** Bundle.entry extension (valueBoolean true) of an entry that is logged and waits for its checkpoint. */
export const LOG_PROOF_PENDING_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/log-proof-pending';

/** The FHIR extension (R4 Element.extension) that carries one proof answer; null when the log has no entry. */
export function proofExtension(answer: Proof | { pending: true } | null): { url: string; valueString?: string; valueBoolean?: boolean } | null {
  if (!answer) return null;
  if ('pending' in answer) return { url: LOG_PROOF_PENDING_EXTENSION, valueBoolean: true };
  return { url: LOG_PROOF_EXTENSION, valueString: JSON.stringify(answer) };
}

/** An everything-page annotator: each entry's proof as `"extension":[…]`, from ONE batched `proofs()` call. */
export const proofAnnotator =
  (svc: AccessServices) =>
  async (served: readonly { id: string; version: number; redacted?: boolean }[]): Promise<(string | null)[]> =>
    (await proofsOfServed(svc, served)).map((a) => {
      const ext = proofExtension(a);
      return ext ? `"extension":${JSON.stringify([ext])}` : null;
    });

/** Bundle.entry extension naming the stored resource version (valueReference `Type/id/_history/vid`) an entry was made from. */
export const SOURCE_VERSION_EXTENSION = 'https://fhir-anchor-bridge.dev/StructureDefinition/source-version';

export const DERIVED_NOTE =
  'this entry is derived from the resource version named by the source-version extension (normalized codes, units and times); ' +
  'the leaf commits to that version as stored, which a reader with full access reads (GET its _history URL) and verifies against this proof';

export const DERIVED_EVENT_NOTE =
  'this event is derived from the resource version it names (resourceType, resourceId, version); the leaf commits to that version as stored, ' +
  'which a reader with full access reads (GET {resourceType}/{resourceId}/_history/{version}) and verifies against this proof';

/**
 * The proof of audit entry `id` for a reader who may see it (the clinic that acted or whose records it is about,
 * the patient it is about): readAuditRecord's check and audit, else its 404. What a promise holder asks for.
 */
export async function proofOfAudit(svc: AccessServices, session: Session, id: string): Promise<ProofAnswer> {
  const log = logOf(svc);
  const { audit } = await readAuditRecord(svc, session, id);
  return log.proof({ kind: 'audit', id: audit.id });
}
