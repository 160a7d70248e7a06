import type { BundleEntryResponse, Resource } from '@medplum/fhirtypes';
import { canonicalJson, sha256Hex, shallowSorted, sortedRewrite } from '../fhir/hash';
import { isBridgeId, rewriteReferences } from '../fhir/references';
import { searchIndex } from '../fhir/search-index';
import { NO_VALUES } from '../fhir/search-values';
import { canonicalSystem } from '../normalize/codes';
import { normalizeResource } from '../normalize';
import { classifySensitivity } from '../normalize/sensitivity';
import { isCalendarDate } from '../normalize/time';
import type { ClinicalRow } from '../normalize/types';
import { replaceClinicalRows } from '../store/clinical';
import type { Tx } from '../store/db';
import { savePatient } from '../store/persons';
import { insertSharedEntities, ResourceWrite, writeResources } from '../store/resources';
import type { ReferenceMap } from './link';
import type { Target } from './resolve';

export interface WriteContext {
  clinicId: string;
  bundleId: string;
  now: string;
  personSystems: string[];
  /** What this push touched, for its audit record: collected as resources are written. */
  touched: { patientIds: Set<string>; resourceTypes: Set<string> };
}

export interface EntryResult {
  index: number;
  response: BundleEntryResponse;
  resource?: Resource;
}

/**
 * The resource as the bridge serves it (bridge id, version, references to bridge ids) and its RFC 8785 text, which is
 * both what the log commits to and what is stored: built with sorted keys in one copy, so the text is one
 * JSON.stringify, not a second canonicalization.
 */
function servedContent(t: Target, refs: ReferenceMap, now: string): { content: Resource; json: string } {
  const sent = (t.entry.action as { resource: Resource }).resource;
  const resolve = (ref: string): string | undefined => refs.get(ref);
  const version = { versionId: String(t.version), lastUpdated: now };
  const body = sortedRewrite(sent, resolve) as Record<string, unknown> | undefined;
  const meta = body && shallowSorted({ ...(body.meta as Record<string, unknown> | undefined), ...version });
  const sorted = meta && shallowSorted({ ...body, id: t.id, meta });
  if (sorted) return { content: sorted as unknown as Resource, json: JSON.stringify(sorted) };
  // A key JavaScript would reorder (an array index, __proto__): the reference canonicalization instead.
  const content = { ...rewriteReferences(sent, resolve), id: t.id, meta: { ...sent.meta, ...version } } as Resource;
  return { content, json: canonicalJson(content) };
}

/**
 * Writes what `targets` decided: resources with history and search tokens, patients linked to persons, the
 * universal-schema rows, and the claims (shared identifiers) that make duplicate shared entities collide.
 */
export async function writeTargets(tx: Tx, ctx: WriteContext, targets: Target[], refs: ReferenceMap): Promise<EntryResult[]> {
  const writes: ResourceWrite[] = [];
  const clinical: { resourceId: string; clinicId: string; patientId: string | null; row: ClinicalRow }[] = [];
  const cleared: string[] = [];
  const patients: { id: string; demographics: NonNullable<ReturnType<typeof normalizeResource>['patient']> }[] = [];
  const knownPatients = new Set<string>([...refs.values()].filter((r) => r.startsWith('Patient/')).map((r) => r.slice(8)));
  const served = new Map<Target, Resource>();

  for (const t of targets) {
    if (t.op === 'create' || t.op === 'update') {
      const { content, json } = servedContent(t, refs, ctx.now);
      served.set(t, content);
      const index = searchIndex(content, (s) => canonicalSystem(s) ?? s);
      // A Patient is in its own compartment, however it was sent (alone, without fullUrl or id): $everything finds it.
      const patientId =
        t.resourceType === 'Patient'
          ? (t.id as string)
          : index.patientId && isBridgeId(index.patientId) && knownPatients.has(index.patientId)
            ? index.patientId
            : null;
      writes.push({
        id: t.id as string,
        resourceType: t.resourceType,
        clinicId: ctx.clinicId,
        sourceId: t.sourceId,
        version: t.version as number,
        patientId,
        bundleId: ctx.bundleId,
        lastUpdated: ctx.now,
        dateStart: index.dateStart,
        dateEnd: index.dateEnd,
        deleted: false,
        content,
        contentJson: json,
        search: index.values,
        sensitivity: classifySensitivity(content),
        contentHash: sha256Hex(json),
      });
      const normalized = normalizeResource(content);
      if (normalized.patient) patients.push({ id: t.id as string, demographics: normalized.patient });
      for (const row of normalized.clinical) clinical.push({ resourceId: t.id as string, clinicId: ctx.clinicId, patientId, row });
      if (t.op === 'update') cleared.push(t.id as string);
    } else if (t.op === 'delete') {
      const content = { id: t.id, meta: { lastUpdated: ctx.now, versionId: String(t.version) }, resourceType: t.resourceType };
      const json = canonicalJson(content);
      writes.push({
        id: t.id as string,
        resourceType: t.resourceType,
        clinicId: ctx.clinicId,
        sourceId: null,
        version: t.version as number,
        patientId: null,
        bundleId: ctx.bundleId,
        lastUpdated: ctx.now,
        dateStart: null,
        dateEnd: null,
        deleted: true,
        content,
        contentJson: json,
        search: NO_VALUES,
        sensitivity: [],
        contentHash: sha256Hex(json),
      });
      cleared.push(t.id as string);
    }
  }

  for (const w of writes) {
    ctx.touched.resourceTypes.add(w.resourceType);
    if (w.patientId) ctx.touched.patientIds.add(w.patientId);
  }
  await writeResources(tx, writes);
  await insertSharedEntities(
    tx,
    targets.flatMap((t) => (t.op === 'create' ? (t.sharedKeys ?? []).map((k) => ({ resourceType: t.resourceType, ...k, resourceId: t.id as string })) : [])),
  );
  for (const p of patients) {
    const d = p.demographics;
    await savePatient(
      tx,
      {
        id: p.id,
        clinicId: ctx.clinicId,
        family: d.family,
        given: d.given.join(' ') || null,
        gender: d.gender,
        birthDate: isCalendarDate(d.birthDate) ? d.birthDate : null,
        identifiers: d.identifiers.filter((i): i is { system: string; value: string } => !!i.system && !!i.value),
        contact: d.contact,
      },
      ctx.personSystems,
    );
  }
  await replaceClinicalRows(tx, clinical, cleared);

  return targets.map((t) => {
    const response: BundleEntryResponse = { status: t.status };
    if (t.id && t.op !== 'none') {
      response.location = `${t.resourceType}/${t.id}/_history/${t.version}`;
      response.etag = `W/"${t.version}"`;
    }
    if (t.op === 'create' || t.op === 'update' || t.op === 'delete') response.lastModified = ctx.now;
    return { index: t.entry.index, response, resource: served.get(t) };
  });
}
