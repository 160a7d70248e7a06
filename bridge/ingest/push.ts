import { randomBytes, randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { applyConsentDecision, type ConsentDecisionStep } from '../access/consent-decision';
import { FhirError, operationOutcome, outcomeWithIssues } from '../fhir/outcome';
import { BundleOperationCall, BundlePlan, PlannedEntry, planBundle } from '../fhir/plan';
import { prepareBundle } from '../fhir/prepare';
import { audit } from '../access/audit';
import { collectAudits, type PromisedAudit } from '../access/audit-context';
import { findBundleResponses, insertBundle, lockBundleHash, setBundleResponse } from '../store/bundles';
import { withSavepoint } from '../store/connection';
import { Db, inTransaction, Tx } from '../store/db';
import { personsOf } from '../store/persons';
import { readResource } from '../store/resources';
import { newBridgeId } from '../model/ids';
import { linkReferences } from './link';
import { appliedPatches } from './patch-entries';
import { replayable } from './replay';
import { resolveTargets } from './resolve';
import { EntryResult, WriteContext, writeTargets } from './write';

export interface PushOptions {
  clinicId: string;
  maxEntries: number;
  personSystems: string[];
  /** A home clinic's approval of a consent request, applied in the push's transaction (access/consent-decision). */
  consentDecision?: ConsentDecisionStep;
}

export interface PushResult {
  hash: string;
  response: Bundle;
  /** The same bundle was pushed before by this clinic and nothing it wrote changed since: nothing stored, that response returned. */
  replayed: boolean;
  /**
   * The audit records this push committed (ingest-pool notes them in the caller's request, which promises them,
   * X-Log-Promise): collected here because on a worker thread the request's collector is out of reach.
   */
  audits: PromisedAudit[];
  /** The bundle's `GET Type?params` entries, answered by the access layer (access/writes.ts) into `response`. */
  searches: BundleSearch[];
  /** The bundle's operation entries (fhir/plan BUNDLE_OPERATIONS), answered the same way. */
  operations: (BundleOperationCall & { index: number })[];
}

export interface BundleSearch {
  index: number;
  resourceType: string;
  params: Record<string, string[]>;
}

/** Unique violations and deadlocks from concurrent pushes of the same things: rerun, and the rerun sees the winner. */
const RETRYABLE = new Set(['23505', '40P01', '40001']);
const MAX_ATTEMPTS = 5;

async function executeEntries(tx: Tx, ctx: WriteContext, planned: PlannedEntry[]): Promise<EntryResult[]> {
  const entries = await appliedPatches(tx, ctx.clinicId, planned);
  const targets = await resolveTargets(tx, ctx.clinicId, entries);
  const refs = await linkReferences(tx, ctx.clinicId, targets);
  const results = await writeTargets(tx, ctx, targets, refs);
  // writeTargets answers in target order: GET entries carry the resource read.
  for (const [i, t] of targets.entries()) {
    if (t.op === 'read' && t.id) results[i].resource = (await readResource(tx, ctx.clinicId, t.resourceType, t.id))?.content as Resource | undefined;
  }
  return results;
}

function errorEntry(index: number, err: FhirError): EntryResult {
  return { index, response: { status: String(err.status), outcome: operationOutcome(err.issues) } };
}

/** Batch entries are independent: each runs under a savepoint, a failure rolls back that entry alone. */
async function executeBatch(tx: Tx, ctx: WriteContext, plan: BundlePlan): Promise<EntryResult[]> {
  const results: EntryResult[] = [...plan.refused].map(([index, err]) => errorEntry(index, err));
  for (const entry of plan.entries) {
    try {
      results.push(...(await withSavepoint(tx, () => executeEntries(tx, ctx, [entry]))));
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      results.push(errorEntry(entry.index, err));
    }
  }
  return results;
}

function responseBundle(plan: BundlePlan, results: EntryResult[]): Bundle {
  const type = plan.type === 'transaction' ? 'transaction-response' : 'batch-response';
  const entry: BundleEntry[] = results
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ ...(r.resource && r.response.status === '200 OK' && !r.response.lastModified ? { resource: r.resource } : {}), response: r.response }));
  return { resourceType: 'Bundle', id: randomUUID(), type, entry };
}

/** Bridge ids of the resources a response's entries name (`Type/id/_history/n`). */
const writtenIds = (response: Bundle): string[] => (response.entry ?? []).map((e) => e.response?.location?.split('/')[1]).filter((id): id is string => !!id);

/**
 * Validates, plans, hashes and stores one pushed Bundle (the request body as text) in one PostgreSQL transaction,
 * committed before returning. Runs on an ingest worker (ingest-pool). Throws FhirError for client mistakes (nothing stored).
 */
export async function pushBundle(db: Db, opts: PushOptions, text: string): Promise<PushResult> {
  const { bundle, hash, canonical, entryIssues } = prepareBundle(text, opts.maxEntries);
  const plan = planBundle(bundle, opts.maxEntries);
  for (const [index, issues] of entryIssues) {
    plan.refused.set(index, outcomeWithIssues('invalid', issues));
    plan.entries = plan.entries.filter((e) => e.index !== index);
  }
  for (let attempt = 1; ; attempt++) {
    // Per attempt, filled only when the attempt's transaction commits: a rolled-back attempt promises nothing.
    const audits: PromisedAudit[] = [];
    try {
      const result = await collectAudits(audits, () =>
        inTransaction(db, async (tx): Promise<Omit<PushResult, 'audits' | 'searches' | 'operations'>> => {
          await lockBundleHash(tx, opts.clinicId, hash);
          const earlier = await replayable(tx, await findBundleResponses(tx, opts.clinicId, hash));
          if (earlier) {
            await audit(tx, { clinicId: opts.clinicId, action: 'push', outcome: 'success', detail: `bundle ${hash} (replayed)` });
            if (opts.consentDecision) await applyConsentDecision(tx, opts.consentDecision, writtenIds(earlier));
            return { hash, replayed: true, response: earlier };
          }
          const bundleId = newBridgeId();
          await insertBundle(tx, {
            id: bundleId,
            clinicId: opts.clinicId,
            hash,
            bundleType: plan.type,
            entryCount: plan.entryCount,
            canonical,
            rootId: bundle.id ?? null,
            rootMeta: bundle.meta ?? null,
            salt: randomBytes(32),
          });
          const touched = { patientIds: new Set<string>(), resourceTypes: new Set<string>() };
          const ctx: WriteContext = { clinicId: opts.clinicId, bundleId, now: new Date().toISOString(), personSystems: opts.personSystems, touched };
          const results = plan.type === 'batch' ? await executeBatch(tx, ctx, plan) : await executeEntries(tx, ctx, plan.entries);
          const response = responseBundle(plan, results);
          await setBundleResponse(tx, bundleId, response);
          // The audit record commits with the bundle: an acknowledged push is never missing from the trail.
          const patientIds = [...touched.patientIds];
          const personIds = await personsOf(tx, patientIds);
          await audit(tx, {
            clinicId: opts.clinicId,
            action: 'push',
            outcome: 'success',
            personId: personIds.length === 1 ? personIds[0] : null,
            patientIds: patientIds.slice(0, 1000),
            resourceTypes: [...touched.resourceTypes],
            detail: `bundle ${hash}`,
          });
          if (opts.consentDecision) await applyConsentDecision(tx, opts.consentDecision, writtenIds(response));
          return { hash, replayed: false, response };
        }),
      );
      const searches = plan.entries.flatMap((e) =>
        e.action.kind === 'search' ? [{ index: e.index, resourceType: e.resourceType, params: e.action.params }] : [],
      );
      const operations = plan.entries.flatMap((e) => {
        if (e.action.kind !== 'operation') return [];
        const { kind: _kind, ...call } = e.action;
        return [{ index: e.index, ...call }];
      });
      return { ...result, audits, searches, operations };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt < MAX_ATTEMPTS && code && RETRYABLE.has(code)) continue;
      throw err;
    }
  }
}
