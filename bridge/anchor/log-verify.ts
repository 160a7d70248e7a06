/**
 * Verification of the verifiable log's proofs against the chain, trusting only the RPC URL (and the keys) given:
 * - a resource, bundle or audit document with its `fhir-anchor-proof/1`: document hash → inclusion → checkpoint
 *   signature and witness cosignatures (when keys are given) → `checkpointRoot(logId, size)` on chain equals the root;
 * - a checkpoint with a `fhir-anchor-consistency/1` proof to a later one: same log, no shrink, no fork, RFC 9162
 *   §2.1.4.2 consistency, signatures, and the later checkpoint's root anchored on chain.
 * - a saved `$everything` page with its proofs (`_proofs=true` or `_proofs=page`): every entry, each checkpoint once.
 * Failure reasons are the shared vocabulary of bridge/log/proof.ts.
 */
import { hex } from '../log/bytes';
import { parseCheckpoint, parseNote, verifyNote, type VerifierKey } from '../log/note';
import { entryProofs, pageLeafEntries } from '../log/page-proof';
import {
  LOG_PAGE_ENTRY_EXTENSION,
  LOG_PAGE_LEAVES_EXTENSION,
  LOG_PAGE_PROOF_EXTENSION,
  LOG_PROOF_EXTENSION,
  logIdOf,
  parseConsistencyProof,
  parseProof,
  parseTlogProof,
  verifyConsistencyOffline,
  verifyProofOffline,
  type FailureReason,
  type Proof,
} from '../log/proof';
import { ChainError } from './chain-errors';
import { checkpointOnChain } from './checkpoint-view';

export interface Check {
  name: string;
  ok: boolean;
  message: string;
}

export type LogVerifyResult = { valid: true; checks: Check[]; message: string } | { valid: false; checks: Check[]; reason: FailureReason; message: string };

export interface LogVerifyOptions {
  rpcUrl: string;
  /** The registry to ask; default: the proof's anchor.contract (a proof cannot pick a contract when this is given). */
  contract?: string;
  /** The log's verifier key: the checkpoint must carry its valid signature. */
  logKey?: VerifierKey;
  /** Witness keys: each must have cosigned the checkpoint. */
  witnesses?: readonly VerifierKey[];
  /** Deadline of each chain request (default CHECKPOINT_RPC_TIMEOUT_MS). */
  timeoutMs?: number;
}

class Run {
  readonly checks: Check[] = [];
  pass(name: string, message: string): void {
    this.checks.push({ name, ok: true, message });
  }
  fail(name: string, reason: FailureReason, message: string): LogVerifyResult {
    this.checks.push({ name, ok: false, message });
    return { valid: false, checks: this.checks, reason, message };
  }
}

const short = (h: string): string => `${h.slice(0, 10)}…`;

/** Signature of the log and cosignatures of every witness over a checkpoint note; null when all verify. */
function checkSignatures(run: Run, note: string, o: LogVerifyOptions, label = 'checkpoint'): LogVerifyResult | null {
  if (o.logKey) {
    const v = verifyNote(note, [o.logKey]);
    if (!v.ok) return run.fail(`${label} signature`, 'checkpoint-signature', `${label}: ${v.reason ?? 'the log signature does not verify'}`);
    run.pass(`${label} signature`, `signed by ${o.logKey.name}`);
  }
  for (const w of o.witnesses ?? []) {
    const v = verifyNote(note, [w]);
    if (!v.ok) return run.fail(`witness ${w.name}`, 'checkpoint-signature', `${label}: witness ${w.name}: ${v.reason ?? 'no valid cosignature'}`);
    run.pass(`witness ${w.name}`, `cosigned by ${w.name}`);
  }
  return null;
}

/** Where the chain is asked: the registry, and the chain id the proof's anchor names (a node of another chain is refused). */
interface ChainTarget {
  contract: string;
  chainId?: number;
}

/**
 * checkpointRoot(logId, size) on chain must be `root`; `required` false lets a never-anchored size pass (the older
 * checkpoint of a consistency proof). A chain that cannot be asked fails as not-anchored: nothing shows the anchor.
 */
async function checkAnchor(
  run: Run,
  o: LogVerifyOptions,
  at: ChainTarget,
  cp: { origin: string; size: number; root: Uint8Array },
  label: string,
  required = true,
): Promise<LogVerifyResult | null> {
  const logId = logIdOf(cp.origin);
  let onChain: string | null;
  try {
    onChain = (await checkpointOnChain(o.rpcUrl, at.contract, logId, cp.size, { timeoutMs: o.timeoutMs, chainId: at.chainId })).root;
  } catch (e) {
    const message = e instanceof ChainError ? e.message : `chain query failed at ${o.rpcUrl}: ${(e as Error).message}`;
    return run.fail(label, 'not-anchored', message);
  }
  if (!onChain) {
    if (!required) {
      run.pass(label, `size ${cp.size} is not anchored (not required)`);
      return null;
    }
    return run.fail(label, 'not-anchored', `the chain has no root for log ${short(logId)} at size ${cp.size}`);
  }
  if (onChain !== hex(cp.root))
    return run.fail(label, 'anchor-mismatch', `the chain anchors root ${short(onChain)} at size ${cp.size}, the checkpoint says ${short(hex(cp.root))}`);
  run.pass(label, `root ${short(onChain)} anchored for log ${short(logId)} at size ${cp.size} by ${at.contract}`);
  return null;
}

/** A document (resource, bundle or audit record) and its `fhir-anchor-proof/1`. */
export async function verifyLogProof(document: unknown, proofValue: unknown, o: LogVerifyOptions): Promise<LogVerifyResult> {
  const run = new Run();
  let anchor;
  try {
    anchor = parseProof(proofValue).anchor;
  } catch (e) {
    return run.fail('proof', 'malformed', `malformed proof: ${(e as Error).message}`);
  }
  const offline = verifyProofOffline(proofValue, document);
  if (!offline.ok)
    return run.fail(offline.reason === 'inclusion' ? 'inclusion' : offline.reason === 'malformed' ? 'proof' : 'document', offline.reason, offline.message);
  if (document !== undefined) run.pass('document', `hashes to the leaf (${offline.leaf.kind} ${short(offline.leaf.hash)})`);
  run.pass('inclusion', `leaf ${offline.index} leads to the root of the checkpoint of size ${offline.checkpoint.size}`);
  const note = parseTlogProof(parseProof(proofValue).tlogProof).checkpoint;
  const sig = checkSignatures(run, note, o);
  if (sig) return sig;
  const contract = o.contract ?? anchor?.contract;
  if (!contract) return run.fail('chain', 'not-anchored', 'the proof names no anchor yet and no --contract was given');
  const cp = offline.checkpoint;
  // The proof's own anchor names its chain; a contract given by the caller is asked on whatever chain the RPC serves.
  const r = await checkAnchor(run, o, { contract, chainId: o.contract ? undefined : anchor?.chainId }, cp, 'chain');
  if (r) return r;
  return {
    valid: true,
    checks: run.checks,
    message: `${offline.leaf.kind} leaf ${offline.index} of log ${cp.origin}, checkpoint size ${cp.size}, anchored at ${contract}`,
  };
}

/** A checkpoint note and a `fhir-anchor-consistency/1` proof from it to a later checkpoint. */
export async function verifyLogConsistency(checkpointNote: string, proofValue: unknown, o: LogVerifyOptions): Promise<LogVerifyResult> {
  const run = new Run();
  let c;
  try {
    c = parseConsistencyProof(proofValue);
    if (parseNote(checkpointNote).text !== parseNote(c.old).text)
      return run.fail('checkpoint', 'malformed', 'the consistency proof does not start at the given checkpoint');
    parseCheckpoint(parseNote(checkpointNote).text);
  } catch (e) {
    return run.fail('proof', 'malformed', `malformed input: ${(e as Error).message}`);
  }
  // Verify against the given note (it may carry cosignatures the proof's copy lacks).
  const res = verifyConsistencyOffline({ ...c, old: checkpointNote });
  if (!res.ok) return run.fail('consistency', res.reason, res.message);
  run.pass('consistency', `the tree of size ${res.new.size} extends the tree of size ${res.old.size}`);
  const s1 = checkSignatures(run, checkpointNote, o, 'old checkpoint');
  if (s1) return s1;
  const s2 = checkSignatures(run, c.new, o, 'new checkpoint');
  if (s2) return s2;
  if (!o.contract) return run.fail('chain', 'not-anchored', 'a consistency proof names no contract: give --contract');
  const at = { contract: o.contract };
  const r = (await checkAnchor(run, o, at, res.old, 'chain (old)', false)) ?? (await checkAnchor(run, o, at, res.new, 'chain (new)'));
  if (r) return r;
  return { valid: true, checks: run.checks, message: `log ${res.new.origin}: size ${res.old.size} → ${res.new.size} consistent, anchored at ${o.contract}` };
}

type PageEntryOf = { resource?: unknown; extension?: { url?: string; valueString?: string }[] };

/**
 * A saved `$everything` page (searchset Bundle) asked with `_proofs=true` or `_proofs=page`: every entry's proof,
 * each against its resource (an entry served `redacted` against its leaf only: the resource as stored is what a
 * full-access reader checks), and each distinct checkpoint on chain once. Valid when every entry is.
 */
export async function verifyLogPage(page: unknown, o: LogVerifyOptions): Promise<LogVerifyResult> {
  const run = new Run();
  const b = page as { resourceType?: unknown; entry?: PageEntryOf[]; meta?: { extension?: { url?: string; valueString?: string }[] } };
  if (b?.resourceType !== 'Bundle' || !Array.isArray(b.entry)) return run.fail('page', 'malformed', 'a page must be a Bundle with entries');
  const ext = (e: { extension?: { url?: string; valueString?: string }[] } | undefined, url: string) => e?.extension?.find((x) => x.url === url)?.valueString;
  let proofs: (unknown | null)[];
  try {
    const pages = (b.meta?.extension ?? []).filter((x) => x.url === LOG_PAGE_PROOF_EXTENSION).map((x) => JSON.parse(x.valueString ?? ''));
    // The page's leaves in columns (fhir-anchor-page-leaves/1), or in each entry (fhir-anchor-page-entry/1, pages saved before).
    const columns = ext(b.meta, LOG_PAGE_LEAVES_EXTENSION);
    const pageEntries = b.entry.map((e) => ext(e, LOG_PAGE_ENTRY_EXTENSION));
    proofs = columns
      ? entryProofs(
          pages,
          pageLeafEntries(
            JSON.parse(columns),
            b.entry.map((e) => e.resource),
          ),
        )
      : pageEntries.some(Boolean)
        ? entryProofs(
            pages,
            pageEntries.map((t) => (t ? JSON.parse(t) : null)),
          )
        : b.entry.map((e) => {
            const text = ext(e, LOG_PROOF_EXTENSION);
            return text ? JSON.parse(text) : null;
          });
  } catch (e) {
    return run.fail('page', 'malformed', `the page's proofs are malformed: ${(e as Error).message}`);
  }
  const anchored = new Map<string, LogVerifyResult>();
  let redacted = 0;
  for (const [i, proof] of proofs.entries()) {
    const resource = b.entry[i].resource as { resourceType?: string; id?: string } | undefined;
    const what = `entry ${i + 1} (${resource?.resourceType}/${resource?.id})`;
    if (!proof) return run.fail(what, 'malformed', `${what} carries no proof`);
    const served = (proof as Proof).served?.form;
    const offline = verifyProofOffline(proof, served === 'redacted' ? undefined : resource);
    if (!offline.ok) return run.fail(what, offline.reason, `${what}: ${offline.message}`);
    if (served === 'redacted') redacted++;
    // Signatures and the chain: once per checkpoint the page proves to.
    const key = parseTlogProof((proof as Proof).tlogProof).checkpoint;
    let chain = anchored.get(key);
    if (!chain) {
      chain = await verifyLogProof(undefined, proof, o);
      anchored.set(key, chain);
      for (const c of chain.checks.filter((c) => c.name !== 'document' && c.name !== 'inclusion')) run.checks.push(c);
    }
    if (!chain.valid) return run.fail(what, chain.reason, `${what}: ${chain.message}`);
  }
  run.pass(
    'entries',
    `${proofs.length} entries proven${redacted ? `, ${redacted} served redacted (leaf checked; the stored version is what a full-access reader verifies)` : ''}`,
  );
  return { valid: true, checks: run.checks, message: `page of ${proofs.length} entries, ${anchored.size} checkpoint(s), every one anchored` };
}
