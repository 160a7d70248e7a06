/**
 * PATCH entries of a transaction or batch (R4 http.html#transaction, #patch), inside the push's transaction: the
 * resource is locked, the patch applied to the version current then, and the result validated and planned as an
 * update of that version, so it is stored, indexed and logged like any update and nothing in between is lost.
 */
import type { Resource } from '@medplum/fhirtypes';
import { outcomes, outcomeWithIssues } from '../fhir/outcome';
import type { PlannedEntry } from '../fhir/plan';
import { isBridgeId } from '../fhir/references';
import { resourceIssues } from '../fhir/validate';
import { checkIfMatch } from '../fhir/versioning';
import type { Tx } from '../store/db';
import { lockResources, ownResourceId, readResource } from '../store/resources';

/** `entries` with each PATCH replaced by the update it makes; 404, 410, 412, 422 or 400 (the result invalid) otherwise. */
export async function appliedPatches(tx: Tx, clinicId: string, entries: PlannedEntry[]): Promise<PlannedEntry[]> {
  const out: PlannedEntry[] = [];
  for (const entry of entries) {
    const a = entry.action;
    if (a.kind !== 'patch') {
      out.push(entry);
      continue;
    }
    const where = `Bundle.entry[${entry.index}]`;
    const what = `${entry.resourceType}/${a.id}`;
    const bridgeId = await ownResourceId(tx, clinicId, entry.resourceType, a.id);
    if (isBridgeId(bridgeId)) await lockResources(tx, [bridgeId]);
    const current = await readResource(tx, clinicId, entry.resourceType, bridgeId);
    if (!current) throw outcomes.notFound(`${what} is not known`, where);
    if (current.deleted) throw outcomes.gone(`${what} was deleted`, where);
    checkIfMatch(a.ifMatch, current.version, what, `${where}.request.ifMatch`);
    const patched = { ...a.patch(current.content), id: a.id } as unknown as Resource;
    const issues = resourceIssues(patched, `${where}.resource`);
    if (issues.length) throw outcomeWithIssues('invalid', issues);
    out.push({ ...entry, action: { kind: 'update', resource: patched, id: a.id, ifMatch: current.version } });
  }
  return out;
}
