/**
 * Writes as a session: a pushed Bundle (FHIR R4 http.html#transaction, batch, collection, document) and the RESTful
 * writes of one resource (create, update, delete, conditional or not), each pushed on the ingest pool. A push is
 * audited inside its own transaction (ingest/push.ts, through access/audit); a push that fails is audited here.
 */
import { FhirError, Issue, OUTCOME_KINDS, OutcomeKind, outcomes, outcomeWithIssues, statusOf } from '../fhir/outcome';
import { asResourceIssues, SingleWrite, singleWriteBundle } from '../fhir/single-write';
import type { Patch } from '../fhir/patch';
import type { PushResult } from '../ingest/push';
import { ownResourceId, readResource, readVersion, type StoredResource } from '../store/resources';
import { audit } from './audit';
import { checkBundleScopes } from './scope-check';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

export type { PushResult } from '../ingest/push';

/** Pushes bundle text as the session's clinic; a failed push is audited before it is answered. */
async function pushAudited(svc: AccessServices, clinicId: string, text: string): Promise<PushResult> {
  try {
    return await svc.ingest.push({ clinicId, maxEntries: svc.maxEntries, personSystems: svc.personSystems }, text);
  } catch (err) {
    await audit(svc.db, { clinicId, action: 'push', outcome: 'error', detail: `status ${err instanceof FhirError ? err.status : 500}` });
    throw err;
  }
}

/** Pushes a Bundle (its text as received): the token's scopes must allow every entry (403 before anything is stored). */
export async function pushBundleAs(svc: AccessServices, session: Session, text: string): Promise<PushResult> {
  await checkBundleScopes(svc, session, text);
  return pushAudited(svc, actingClinic(session), text);
}

/** The same failure with other issues (same status, from the catalogue); as it was when its status is not there. */
function withIssues(err: FhirError, issues: Issue[]): FhirError {
  const kind = (Object.keys(OUTCOME_KINDS) as OutcomeKind[]).find((k) => statusOf(k) === err.status);
  return kind ? outcomeWithIssues(kind, issues, err.retryAfterSeconds) : err;
}

/**
 * One RESTful write pushed as the one-entry transaction of fhir/single-write; its failures name the resource, not the
 * bundle. Returns the push and, unless it deleted, the version it produced (or matched), not whatever is current by
 * now: a concurrent write may follow.
 */
export async function writeOne(svc: AccessServices, session: Session, w: SingleWrite): Promise<{ result: PushResult; stored: StoredResource | null }> {
  const clinicId = actingClinic(session);
  let result: PushResult;
  try {
    result = await pushAudited(svc, clinicId, JSON.stringify(singleWriteBundle(w)));
  } catch (err) {
    if (err instanceof FhirError) throw withIssues(err, asResourceIssues(err.issues, w.type));
    throw err;
  }
  if (w.method === 'DELETE') return { result, stored: null };
  const [type, id, , version] = (result.response.entry?.[0]?.response?.location ?? '').split('/');
  const stored = type && id ? await readVersion(svc.db, clinicId, type, id, Number(version)) : null;
  return { result, stored };
}

/**
 * PATCH of one resource (R4 http.html#patch): `patch` is applied to the current version the clinic may write, and
 * the result is pushed as an update of that version (If-Match: the client's, else the version patched), so a write
 * that lands in between is never overwritten: the client gets 412 for its own If-Match, else 409 to patch again.
 */
export async function patchOne(
  svc: AccessServices,
  session: Session,
  type: string,
  id: string,
  patch: Patch,
  ifMatch?: string,
): Promise<{ result: PushResult; stored: StoredResource | null }> {
  const clinicId = actingClinic(session);
  const bridgeId = await ownResourceId(svc.db, clinicId, type, id);
  const current = await readResource(svc.db, clinicId, type, bridgeId);
  if (!current) throw outcomes.notFound(`${type}/${id} is not known`);
  if (current.deleted) throw outcomes.gone(`${type}/${id} was deleted`);
  const patched = { ...patch(current.content), id };
  try {
    return await writeOne(svc, session, { method: 'PUT', type, id, ifMatch: ifMatch ?? `W/"${current.version}"`, resource: patched });
  } catch (err) {
    if (ifMatch === undefined && err instanceof FhirError && err.status === 412)
      throw outcomes.conflict(`${type}/${id} changed while it was patched: patch it again`);
    throw err;
  }
}
