/**
 * Inclusion proofs of what a reader was served (issue 11): a proof is given only to a reader who may read the same
 * resource version or audit entry, through exactly the checks (and the audit) of that read, so a proof of another
 * clinic's or a withheld record answers like the read: 404. The log service itself decides nothing about access.
 */
import { checkpointAnchor, type LogRef, type LogService, type PageProofs, type PartsAnswer, type ProofAnswer, type ProvingCheckpoints } from '../log/service';
import type { EntryAnnotator } from '../pull/everything';
import { IN_JSON_STRING, pageLeavesJson, pageProofJson } from '../log/page-proof';
import {
  LOG_PAGE_ENTRY_EXTENSION,
  LOG_PAGE_LEAVES_EXTENSION,
  LOG_PAGE_PROOF_EXTENSION,
  LOG_PROOF_EXTENSION,
  LOG_PROOF_PENDING_EXTENSION,
  PROOF_VERSION,
  SERVED_NOTES,
  TLOG_PROOF_HEADER,
  type Proof,
} from '../log/proof';

// The extensions proofs travel in are the format's (bridge/log/proof.ts); access users import them from here too.
export { LOG_PAGE_ENTRY_EXTENSION, LOG_PAGE_LEAVES_EXTENSION, LOG_PAGE_PROOF_EXTENSION, LOG_PROOF_EXTENSION, LOG_PROOF_PENDING_EXTENSION };
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

export const AS_COMMITTED = { form: 'as-committed', note: SERVED_NOTES['as-committed'] } as const;

export const REDACTED_NOTE = SERVED_NOTES.redacted;

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

const REDACTED = { form: 'redacted', note: REDACTED_NOTE } as const;

/** Proofs for resources already disclosed by an audited pull or search (one batched `proofs()` call). */
export async function proofsOfServed(
  svc: AccessServices,
  served: readonly { id: string; version: number; redacted?: boolean }[],
): Promise<(Proof | { pending: true } | null)[]> {
  const refs: LogRef[] = served.map((s) => ({ kind: 'resource', id: s.id, version: s.version }));
  const answers = await logOf(svc).proofs(refs);
  return answers.map((a, i) => (a && 'version' in a ? { ...a, served: served[i].redacted ? REDACTED : AS_COMMITTED } : a));
}

/** A page's entries as the log's refs, with the leaves their page query read. */
const resourceRefs = (entries: readonly { id: string; version: number; leaf?: LogRef['leaf'] }[]): LogRef[] =>
  entries.map((s) => ({ kind: 'resource', id: s.id, version: s.version, leaf: s.leaf }));

/**
 * The checkpoints that all lookups of one page prove to, read once, from the annotator's creation on: beside the
 * page's own query, so no lookup waits for a checkpoint read of its own (npm run bench -- log-everything).
 */
function sharedCheckpoints(log: LogService): Promise<ProvingCheckpoints> {
  const at = log.provingCheckpoints();
  at.catch(() => undefined); // observed: a request that fails before its first lookup drops it
  return at;
}

/** The FHIR extension (R4 Element.extension) that carries one proof answer; null when the log has no entry. */
export function proofExtension(answer: Proof | { pending: true } | null): { url: string; valueString?: string; valueBoolean?: boolean } | null {
  if (!answer) return null;
  if ('pending' in answer) return { url: LOG_PROOF_PENDING_EXTENSION, valueBoolean: true };
  return { url: LOG_PROOF_EXTENSION, valueString: JSON.stringify(answer) };
}

/** The content of a JSON string literal of `text` (escaped, without its quotes). */
const jsonInner = (text: string): string => JSON.stringify(text).slice(1, -1);
/** `text` as it appears inside a JSON string that is itself inside a JSON string (valueString of the proof JSON). */
const escapedTwice = (text: string): string => jsonInner(jsonInner(text));
const NEWLINE_TWICE = escapedTwice('\n');
const EXTENSION_HEAD = `"extension":[{"url":"${LOG_PROOF_EXTENSION}","valueString":"${jsonInner(`{"version":"${PROOF_VERSION}","leaf":`)}`;
const TLOG_HEAD = jsonInner(',"tlogProof":"') + escapedTwice(`${TLOG_PROOF_HEADER}\nindex `);
const PENDING_EXTENSION = `"extension":${JSON.stringify([{ url: LOG_PROOF_PENDING_EXTENSION, valueBoolean: true }])}`;

/**
 * An everything-page annotator: each entry's proof as `"extension":[…]`, from batched proofParts calls. The text is
 * what `JSON.stringify([proofExtension(proof)])` writes (a test holds it to that), assembled from pieces escaped once
 * per page (the checkpoint note, the anchor, the served form) and hash lines shared between proofs, instead of
 * serializing a thousand proofs twice over.
 */
export const proofAnnotator = (svc: AccessServices): EntryAnnotator<PartsAnswer[]> => {
  const log = logOf(svc);
  const at = sharedCheckpoints(log);
  return {
    lookup: (entries) => log.proofParts(resourceRefs(entries), NEWLINE_TWICE, at),
    render(batches, served) {
      const tails = new Map<string, string>(); // checkpoint size + served form → the escaped end of the proof JSON
      const entries = batches.flat().map((p, i) => {
        if (!p) return null;
        if (!('leaf' in p)) return PENDING_EXTENSION;
        const form = servedForm(served[i]);
        const key = `${p.checkpoint.size}/${form.form}`;
        let tail = tails.get(key);
        if (tail === undefined) {
          const end = jsonInner(`","anchor":${JSON.stringify(checkpointAnchor(p.checkpoint))},"served":${JSON.stringify(form)}}`);
          tails.set(key, (tail = `${NEWLINE_TWICE}${escapedTwice(p.checkpoint.note)}${end}"}]`));
        }
        return `${EXTENSION_HEAD}${jsonInner(JSON.stringify(p.leaf))}${TLOG_HEAD}${p.index}${NEWLINE_TWICE}${p.path}${tail}`;
      });
      return { entries };
    },
  };
};

const servedForm = (s: { redacted?: boolean }) => (s.redacted ? REDACTED : AS_COMMITTED);

/**
 * `_proofs=page`: the page's proofs with each distinct sibling hash once (bridge/log/page-proof.ts). Bundle.meta
 * carries one page proof per checkpoint and lookup and, in columns, every proven entry's leaf, leaf index and page
 * proof (`fhir-anchor-page-leaves/1`); a pending entry its own extension. A verifier expands them into exactly the
 * proofs `_proofs=true` gives (pageLeafEntries, then entryProofs), from a seventh of the bytes.
 */
export const pageProofAnnotator = (svc: AccessServices): EntryAnnotator<PageProofs> => {
  const log = logOf(svc);
  const at = sharedCheckpoints(log);
  return {
    lookup: (entries) => log.pageProofs(resourceRefs(entries), at),
    render(batches, served) {
      const pages = batches.flatMap((b) => b.pages);
      let offset = 0;
      const entries = batches.flatMap((b) => {
        const shifted = offset ? b.entries.map((e) => (e && 'leaf' in e ? { ...e, page: e.page + offset } : e)) : b.entries;
        offset += b.pages.length;
        return shifted;
      });
      // Each valueString written straight in its escaped form (IN_JSON_STRING): what JSON.stringify of the extension
      // objects writes (a test holds it to that), without serializing six thousand values and then escaping the text.
      const leaves = pageLeavesJson(
        entries.map((e) => (e && 'leaf' in e ? e : null)),
        (i) => servedForm(served[i]).form === 'redacted',
        IN_JSON_STRING,
      );
      const meta = [
        ...pages.map((p) => `{"url":${JSON.stringify(LOG_PAGE_PROOF_EXTENSION)},"valueString":"${pageProofJson(p, IN_JSON_STRING)}"}`),
        ...(leaves ? [`{"url":${JSON.stringify(LOG_PAGE_LEAVES_EXTENSION)},"valueString":"${leaves}"}`] : []),
      ];
      return {
        entries: entries.map((e) => (e && !('leaf' in e) ? PENDING_EXTENSION : null)),
        bundle: meta.length ? `"meta":{"extension":[${meta.join(',')}]}` : null,
      };
    },
  };
};

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
