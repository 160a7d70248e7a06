/**
 * Plain reads of the FHIR REST API as a session: read, vread and _history of one resource (FHIR R4 http.html#read,
 * #vread, #history) and type-level search (#search). A clinic reaches another clinic's patient records under consent
 * or an admitted break-glass; a signed-in patient every record of their own person (resource-access, reader.ts);
 * every granted read and search is audited here before it is answered.
 */
import { parseSearch, type SearchQuery } from '../fhir/search-params';
import { isBridgeId } from '../fhir/references';
import { canonicalSystem } from '../normalize/codes';
import { classifySensitivity, isWithheld } from '../normalize/sensitivity';
import { withheldGroups } from '../model/sensitivity';
import { ownResourceId, readHistory, readResource, readVersion, type StoredResource } from '../store/resources';
import { searchVisible } from '../store/search';
import { historyVisible } from '../store/history';
import { metaInUse, type MetaInUse } from '../store/meta';
import { parseHistoryParams, type HistoryQuery } from '../fhir/history-params';
import { includedResources } from './search-includes';
import type { SearchVisibility } from '../model/search';
import { accessOptions } from './admission';
import { audit } from './audit';
import { ownPatientIds } from './person-access';
import { auditedAs, readerOf, type PatientReader } from './reader';
import { authorizeReadAs, authorizeSearchPatients, ReadGrant } from './resource-access';
import type { AccessServices } from './services';
import { actingClinic, Session } from './session';

export type { StoredResource } from '../store/resources';

/** Audit of a granted read: break-glass flagged only when it was the basis of this read. */
async function auditRead(svc: AccessServices, session: Session, action: 'read' | 'history', type: string, grant: ReadGrant): Promise<void> {
  const glass = grant.basis === 'break-glass';
  const opts = accessOptions(session);
  await audit(svc.db, {
    ...auditedAs(readerOf(session)),
    action,
    outcome: 'success',
    personId: grant.personId,
    patientIds: grant.patientId ? [grant.patientId] : [],
    resourceTypes: [type],
    breakGlass: glass,
    purpose: glass ? opts.breakGlassReason : (opts.purpose ?? null),
    ...(grant.basis !== 'own' && grant.basis !== 'self' ? { detail: `basis ${grant.basis}` } : {}),
  });
}

/** The grant of a read of `type/id` (for a clinic: the id it chose, or a bridge id; for a patient: a bridge id), and the bridge id it names. */
async function grantFor(
  svc: AccessServices,
  session: Session,
  type: string,
  id: string,
  action: 'read' | 'history',
): Promise<{ bridgeId: string; grant: ReadGrant | null }> {
  const reader = readerOf(session);
  const bridgeId = reader.kind === 'clinic' ? await ownResourceId(svc.db, reader.clinicId, type, id) : id;
  return { bridgeId, grant: await authorizeReadAs(svc.db, reader, type, bridgeId, { ...accessOptions(session), action }) };
}

/**
 * The current version of `type/id` the session may read, audited; null when there is none it could read (404). A
 * deletion is returned as stored (`deleted`): the caller answers 410. 403 (audited) for a record it may not read.
 */
export async function readOne(svc: AccessServices, session: Session, type: string, id: string): Promise<StoredResource | null> {
  const { bridgeId, grant } = await grantFor(svc, session, type, id, 'read');
  const stored = grant && (await readResource(svc.db, grant.readAs, type, bridgeId));
  if (!grant || !stored) return null;
  await auditRead(svc, session, 'read', type, grant);
  return stored;
}

/** Version `vid` of `type/id` (undefined: a version number no column holds, which names no version), as readOne. */
export async function readOneVersion(svc: AccessServices, session: Session, type: string, id: string, vid: number | undefined): Promise<StoredResource | null> {
  const { bridgeId, grant } = await grantFor(svc, session, type, id, 'read');
  const stored = grant && vid !== undefined && (await readVersion(svc.db, grant.readAs, type, bridgeId, vid));
  if (!grant || !stored || isWithheld(classifySensitivity(stored.content), grant.excludedLabels)) return null;
  await auditRead(svc, session, 'read', type, grant);
  return stored;
}

/** Every version of `type/id`, oldest first, audited; empty when there is none the session could read (404). */
export async function readAllVersions(svc: AccessServices, session: Session, type: string, id: string): Promise<StoredResource[]> {
  const { bridgeId, grant } = await grantFor(svc, session, type, id, 'history');
  // A restricted grant: older versions carrying withheld labels are left out too.
  const versions = grant
    ? (await readHistory(svc.db, grant.readAs, type, bridgeId)).filter((v) => !isWithheld(classifySensitivity(v.content), grant.excludedLabels))
    : [];
  if (!grant || !versions.length) return [];
  await auditRead(svc, session, 'history', type, grant);
  return versions;
}

/**
 * Type-level (`type`) or system-level history as the session (R4 http.html#history): every version of the records it
 * may search, newest first. A clinic's own records and the shared entities (another clinic's patients are reached
 * per resource, under consent, not by a feed); a patient's, their own person's records at every clinic. Audited
 * with the compartments whose versions it returned.
 */
export async function readHistoryFeed(
  svc: AccessServices,
  session: Session,
  type: string | undefined,
  params: Record<string, unknown>,
): Promise<{ query: HistoryQuery; rows: StoredResource[]; hasMore: boolean }> {
  const query = parseHistoryParams(params);
  const reader = readerOf(session);
  const { rows, hasMore } = await historyVisible(svc.db, await feedVisibility(svc, session), type, query);
  const patientIds = [...new Set(rows.map((r) => r.patientId).filter((id): id is string => !!id))];
  await audit(svc.db, {
    ...auditedAs(reader),
    action: 'history',
    outcome: 'success',
    personId: reader.kind === 'patient' ? reader.personId : null,
    patientIds: patientIds.slice(0, 1000),
    resourceTypes: type ? [type] : [...new Set(rows.map((r) => r.resourceType))],
    purpose: accessOptions(session).purpose ?? null,
    detail: `${type ?? 'system'} history: ${rows.length} version(s)`,
  });
  return { query, rows: rows.map(({ patientId: _p, ...r }) => r), hasMore };
}

/**
 * The profiles, tags and security labels in use on the records the session may search (`$meta` at type or system
 * level, R4 resource-operation-meta.html), as readHistoryFeed scopes them; audited as a search.
 */
export async function readMetaInUse(svc: AccessServices, session: Session, type: string | undefined): Promise<MetaInUse> {
  const reader = readerOf(session);
  const vis = await feedVisibility(svc, session);
  const meta = await metaInUse(svc.db, vis, type);
  await audit(svc.db, {
    ...auditedAs(reader),
    action: 'search',
    outcome: 'success',
    personId: reader.kind === 'patient' ? reader.personId : null,
    resourceTypes: type ? [type] : [],
    purpose: accessOptions(session).purpose ?? null,
    detail: `${type ?? 'system'} $meta`,
  });
  return meta;
}

/** What a feed over many records (history, $meta) may see: a clinic its own and shared ones, a patient their person's. */
async function feedVisibility(svc: AccessServices, session: Session): Promise<SearchVisibility> {
  const reader = readerOf(session);
  return reader.kind === 'patient'
    ? { kind: 'person', patientIds: await ownPatientIds(svc.db, reader) }
    : { kind: 'clinic', clinicId: actingClinic(session), grantedPatientIds: [], withheld: [] };
}

/**
 * A type-level search as the session (FHIR R4 search, parameters of fhir/search-params): its own records, plus the
 * records of other clinics' patients it names (`patient`, `subject`, `_id` of a Patient search) under consent or
 * break-glass; the others are left out (their refusal audited). The search is audited with what it matched.
 */
export async function search(svc: AccessServices, session: Session, type: string, params: Record<string, unknown>): Promise<SearchAnswer> {
  const reader = readerOf(session);
  if (reader.kind === 'patient') return patientSearch(svc, session, reader, type, params);
  const clinicId = actingClinic(session);
  const query = parseSearch(type, params, (s) => canonicalSystem(s) ?? s);
  const opts = accessOptions(session);
  const named = [...query.patientIds, ...(type === 'Patient' ? query.ids : [])].filter(isBridgeId);
  const { granted } = await authorizeSearchPatients(svc.db, clinicId, named, opts);
  const foreign = granted.filter((g) => g.basis !== 'own');
  const vis: SearchVisibility = { kind: 'clinic', clinicId, grantedPatientIds: foreign.map((g) => g.patientId), withheld: withheldGroups(foreign) };
  const { rows, hasMore, total } = await searchVisible(svc.db, vis, query);
  const included = await includedResources(svc.db, vis, query, rows);
  const persons = [...new Set(granted.map((g) => g.personId))];
  const glass = foreign.some((g) => g.basis === 'break-glass');
  await audit(svc.db, {
    clinicId,
    action: 'search',
    outcome: 'success',
    personId: persons.length === 1 ? persons[0] : null,
    patientIds: granted.map((g) => g.patientId),
    resourceTypes: typesOf(type, included.rows),
    breakGlass: glass,
    purpose: glass ? opts.breakGlassReason : (opts.purpose ?? null),
    detail: searchDetail(query, rows.length, included.rows.length, total),
  });
  return { query, rows, included: included.rows, hasMore, total };
}

/** What a search served: its matches (one page), what they include, paging, and the count when known. */
export interface SearchAnswer {
  query: SearchQuery;
  rows: StoredResource[];
  included: StoredResource[];
  hasMore: boolean;
  total?: number;
}

const typesOf = (type: string, included: StoredResource[]): string[] => [...new Set([type, ...included.map((r) => r.resourceType)])];

function searchDetail(query: SearchQuery, matches: number, included: number, total: number | undefined): string {
  if (query.countOnly) return `count: ${total} match(es)`;
  return included ? `${matches} match(es), ${included} included` : `${matches} match(es)`;
}

/**
 * A signed-in patient's search: the same parameters, confined to the compartments of their own person's records at
 * every clinic (`patient`/`subject`/`_id` naming anything else simply match nothing: no refusal, no count, nothing
 * that tells another person's id from an unknown one). Audited with the records whose resources it returned.
 */
async function patientSearch(
  svc: AccessServices,
  session: Session,
  reader: PatientReader,
  type: string,
  params: Record<string, unknown>,
): Promise<SearchAnswer> {
  const query = parseSearch(type, params, (s) => canonicalSystem(s) ?? s);
  const vis: SearchVisibility = { kind: 'person', patientIds: await ownPatientIds(svc.db, reader) };
  const { rows, hasMore, total, patientIds } = await searchVisible(svc.db, vis, query);
  const included = await includedResources(svc.db, vis, query, rows);
  await audit(svc.db, {
    ...auditedAs(reader),
    action: 'search',
    outcome: 'success',
    personId: reader.personId,
    patientIds: [...new Set([...patientIds, ...included.patientIds])],
    resourceTypes: typesOf(type, included.rows),
    purpose: accessOptions(session).purpose ?? null,
    detail: searchDetail(query, rows.length, included.rows.length, total),
  });
  return { query, rows, included: included.rows, hasMore, total };
}
