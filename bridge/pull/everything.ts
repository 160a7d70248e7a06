/** `Patient/{id}/$everything`: the person's permitted records across clinics, plus what they reference, as a searchset page. */
import type { PersonAccess } from '../access/types';
import { pageLinks } from '../fhir/paging';
import type { Db } from '../store/db';
import { withheldGroups } from '../model/sensitivity';
import type { LeafRow } from '../store/log';
import { compartmentPage, CompartmentQuery, PulledResource, referencedResources } from '../store/pull';
import { consistentReferences, isConsistent, referencedIds } from './references';

export const EVERYTHING_DEFAULT_COUNT = 1000;
export const EVERYTHING_MAX_COUNT = 5000;
/** Levels of references followed (Observation → Encounter → Location → Organization). */
const MAX_DEPTH = 4;

/** What `$everything` was asked for: the compartment query without the patients (access decides those). */
export type EverythingRequest = Omit<CompartmentQuery, 'patientIds'>;

/** One entry as served: the resource version, and whether its references were rewritten for this reader. */
export interface ServedEntry {
  id: string;
  version: number;
  redacted: boolean;
}

/**
 * Extra JSON members for the entries (e.g. `"extension":[…]`) and for the Bundle (e.g. `"meta":{…}`). `lookup`
 * starts on a batch of entries as soon as they are known (the matches while their references are still being
 * followed, then the rest); `render` gives, from the batches' results in order, each entry's members in entry order
 * (null for none) and the Bundle's, once the page knows how each entry is served.
 */
export interface EntryAnnotator<T = unknown> {
  /** The page's matches come with their log leaves, read beside the page's query; the included resources without. */
  lookup(entries: readonly { id: string; version: number; leaf?: LeafRow | null }[]): Promise<T>;
  render(found: readonly T[], served: readonly ServedEntry[]): { entries: (string | null)[]; bundle?: string | null };
}

export interface EverythingPage {
  /**
   * The searchset Bundle as JSON text in pieces, to be written in order: stored resources are spliced in without a
   * parse/serialize round trip, and a megabyte page is never joined into one string (each piece is encoded as it is).
   */
  parts: string[];
  /** Types of the resources disclosed (for the audit trail). */
  resourceTypes: string[];
}

export async function everything(
  db: Db,
  access: PersonAccess,
  req: EverythingRequest,
  base: string,
  pageUrl: (offset: number) => string,
  annotate?: EntryAnnotator,
): Promise<EverythingPage> {
  const patientIds = access.patients.map((p) => p.patientId);
  const clinicIds = [...new Set(access.patients.map((p) => p.clinicId))];
  const withheld = withheldGroups(access.patients);
  const q: CompartmentQuery = { patientIds, ...req, withheld };
  const reads = { leaves: annotate !== undefined };
  const { rows, total } = await compartmentPage(db, q, reads);
  const version = (r: PulledResource) => ({ id: r.id, version: Number(r.version), leaf: r.leaf });
  // Each batch's lookup (its proofs' checkpoint and tiles) starts as soon as the batch is read and runs while the
  // next level of references is followed; render waits for them all, in order.
  const found: Promise<unknown>[] = [];
  const lookup = (batch: PulledResource[]): void => {
    if (!annotate) return;
    const p = annotate.lookup(batch.map(version));
    // Never left unobserved: an early failure is rethrown below (or dropped with the request that failed first).
    p.catch(() => undefined);
    found.push(p);
  };
  lookup(rows);
  const matched = new Set(rows.map((r) => r.id));
  const included: PulledResource[] = [];
  const known = new Set(matched);
  let frontier: PulledResource[] = rows;
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const ids = referencedIds(
      frontier.map((r) => r.refs),
      known,
    );
    if (!ids.length) break;
    frontier = await referencedResources(db, ids, patientIds, clinicIds, withheld);
    if (frontier.length) lookup(frontier);
    for (const r of frontier) known.add(r.id);
    for (const id of ids) known.add(id); // not readable: never asked again
    included.push(...frontier);
  }
  const all = [...rows, ...included];
  const keys = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
  const served = all.map((r) => ({ id: r.id, version: Number(r.version), redacted: !r.refs.every((ref) => isConsistent(ref, keys, base)) }));
  const rendered = annotate ? annotate.render(await Promise.all(found), served) : undefined;
  const extras = rendered?.entries ?? [];
  const link = pageLinks(req, { total }, pageUrl);
  const meta = rendered?.bundle ? `${rendered.bundle},` : '';
  const parts = [`{"resourceType":"Bundle",${meta}"type":"searchset","total":${total},"link":${JSON.stringify(link)},"entry":[`];
  all.forEach((r, i) => {
    const resource = served[i].redacted ? JSON.stringify(consistentReferences(JSON.parse(r.json), keys, base)) : r.json;
    parts.push(
      `${i ? ',' : ''}{${extras[i] ? `${extras[i]},` : ''}"fullUrl":${JSON.stringify(`${base}/${r.resourceType}/${r.id}`)},"resource":`,
      resource,
      `,"search":{"mode":"${matched.has(r.id) ? 'match' : 'include'}"}}`,
    );
  });
  parts.push(']}');
  return {
    parts,
    resourceTypes: [...new Set(all.map((r) => r.resourceType))].sort(),
  };
}
