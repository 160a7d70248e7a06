/**
 * Page proofs (`fhir-anchor-page-proof/1`): the inclusion proofs of many leaves of one checkpoint with each distinct
 * sibling hash given once, as a page of a thousand entries carries them (a thousand separate proofs repeat the upper
 * siblings and the checkpoint a thousand times). A verifier expands a page proof into the standard
 * `fhir-anchor-proof/1` of each entry (a C2SP tlog-proof each) and checks those as usual. Pure; the browser verifier
 * runs this same code.
 *
 * Order of `hashes`: one descent of RFC 9162's tree from the root into only the subtrees that hold a proven leaf
 * (rfc9162.ts inclusionPaths): at each node, when the left child holds proven leaves, the right child's hash, then the
 * left child's descent; then, when the right child holds proven leaves, the left child's hash, then the right child's
 * descent. Each leaf's path is the hashes met on the way down to it, read from the bottom up.
 */
import { HEX32 } from './bytes';
import { leafDocOf, type LeafDoc } from './entry';
import { parseCheckpoint, parseNote } from './note';
import { PROOF_VERSION, SERVED_NOTES, tlogProofText, type CheckpointAnchor, type Proof } from './proof';
import { inclusionPaths } from './rfc9162';

export const PAGE_PROOF_VERSION = 'fhir-anchor-page-proof/1';
export const PAGE_ENTRY_VERSION = 'fhir-anchor-page-entry/1';
export const PAGE_LEAVES_VERSION = 'fhir-anchor-page-leaves/1';

export interface PageProof {
  version: typeof PAGE_PROOF_VERSION;
  /** The checkpoint note, verbatim, with its cosignatures. */
  checkpoint: string;
  anchor: CheckpointAnchor | null;
  /** Leaf indexes proven, ascending, unique. */
  indices: number[];
  /** Base64 sibling hashes, each once, in descent order (see above). */
  hashes: string[];
}

/** What one entry of the page carries: its leaf document, its index, and which page proof holds its path. */
export interface PageEntry {
  version: typeof PAGE_ENTRY_VERSION;
  leaf: LeafDoc;
  index: number;
  /** Position (from 0) of the page proof that holds this entry's path, in the page's list of page proofs. */
  page: number;
  /** How the resource beside it relates to the leaf (its proof's `served`, with the form's note: SERVED_NOTES). */
  served?: keyof typeof SERVED_NOTES;
}

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The tlog-proof text of every index of a page proof, by index; throws (malformed) when the hashes do not fit the
 * descent exactly (too few, too many, not base64 hashes) or the indices are not ascending leaves of the checkpoint.
 */
export function expandPageProof(value: unknown): Map<number, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('page proof must be a JSON object');
  const p = value as Record<string, unknown>;
  if (p.version !== PAGE_PROOF_VERSION) throw new Error(`page proof version must be "${PAGE_PROOF_VERSION}"`);
  if (typeof p.checkpoint !== 'string') throw new Error('page proof checkpoint must be a signed note');
  if (!Array.isArray(p.indices) || !p.indices.every((i) => Number.isSafeInteger(i))) throw new Error('page proof indices must be integers');
  if (!Array.isArray(p.hashes) || !p.hashes.every((h) => typeof h === 'string' && B64_HASH.test(h)))
    throw new Error('page proof hashes must be base64 SHA-256 hashes');
  const { size } = parseCheckpoint(parseNote(p.checkpoint).text);
  const indices = p.indices as number[];
  const hashes = p.hashes as string[];
  let next = 0;
  const paths = inclusionPaths(indices, size, () => {
    if (next >= hashes.length) throw new Error('page proof has too few hashes');
    return `${hashes[next++]}\n`;
  });
  if (next !== hashes.length) throw new Error('page proof has more hashes than its leaves need');
  return new Map(indices.map((index, i) => [index, tlogProofText(index, paths[i], p.checkpoint as string)]));
}

/**
 * The `fhir-anchor-proof/1` of each page entry, from the page's list of page proofs (null for an entry whose page
 * proof is missing, malformed or does not hold its index): what `verifyProofOffline` then checks, exactly as a proof
 * served alone.
 */
export function entryProofs(pages: readonly unknown[], entries: readonly (PageEntry | null)[]): (Proof | null)[] {
  const expanded = pages.map((page) => {
    try {
      return { anchor: ((page as PageProof).anchor ?? null) as CheckpointAnchor | null, paths: expandPageProof(page) };
    } catch {
      return undefined; // a malformed page proof holds nothing: its entries answer null (unproven), never a made-up proof
    }
  });
  return entries.map((e) => {
    if (!e) return null;
    const page = Number.isSafeInteger(e.page) ? expanded[e.page] : undefined;
    const tlogProof = page?.paths.get(e.index);
    if (!page || !tlogProof) return null;
    const served = e.served && Object.hasOwn(SERVED_NOTES, e.served) ? { served: { form: e.served, note: SERVED_NOTES[e.served] } } : {};
    return { version: PROOF_VERSION, leaf: e.leaf, tlogProof, anchor: page.anchor, ...served };
  });
}

/**
 * The resource leaves of a page in columns (what `$everything?_proofs=page` carries in Bundle.meta beside its page
 * proofs): position k is about `Bundle.entry[entry[k]]`, whose leaf document is `{log: "fhir-anchor-log/1", hash:
 * hash[k], salt: salt[k], kind: "resource", clinic: clinics[clinic[k]], type, id, version}` with type, id and version
 * its resource's `resourceType`, `id` and `meta.versionId`, at leaf index[k] of page proof page[k]. An entry in
 * `redacted` was served with references the reader may not follow rewritten (`served: "redacted"`). A leaf in a
 * per-entry `fhir-anchor-page-entry/1` repeats its log format, kind, type, id and version and its extension's url: in
 * columns a thousand entries take about a quarter of the bytes (npm run bench -- log-everything).
 */
export interface PageLeaves {
  version: typeof PAGE_LEAVES_VERSION;
  /** The clinics of the page's leaves, each once. */
  clinics: string[];
  /** Positions in Bundle.entry, ascending; the other columns follow this one. */
  entry: number[];
  page: number[];
  index: number[];
  hash: string[];
  salt: string[];
  clinic: number[];
  /** Positions in Bundle.entry served redacted (the others as committed). */
  redacted: number[];
}

/** Characters JSON.stringify escapes in a string (quote, backslash, controls, and surrogates it may write as \\u). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * How JSON text is written: as is (`JSON_TEXT`), or as it appears inside a JSON string (`IN_JSON_STRING`: each quote
 * and backslash escaped once more), so that a valueString carrying JSON is written in one pass, never serialized and
 * then escaped whole.
 */
export interface Quoting {
  q: string;
  json(text: string): string;
}
export const JSON_TEXT: Quoting = { q: '"', json: (text) => text };
export const IN_JSON_STRING: Quoting = { q: '\\"', json: (text) => JSON.stringify(text).slice(1, -1) };

/** JSON.stringify(xs) for an array of strings (in quoting `w`), joined at once when none needs escaping (hashes, salts, ids). */
function stringsJson(xs: readonly string[], w: Quoting): string {
  if (!xs.length) return '[]';
  return NEEDS_ESCAPE.test(xs.join('')) ? w.json(JSON.stringify(xs)) : `[${w.q}${xs.join(`${w.q},${w.q}`)}${w.q}]`;
}

/** A member name and its colon, in quoting `w`. */
const keyIn =
  (w: Quoting) =>
  (name: string): string =>
    `${w.q}${name}${w.q}:`;

/**
 * The JSON text of the {@link PageLeaves} columns of a page (key order as declared; undefined when no entry has a
 * leaf): `entries[i]` is Bundle.entry[i]'s page entry (null: none, e.g. pending), served redacted when `redacted(i)`.
 * Written column by column in quoting `w`: a page of a thousand leaves is six thousand
 * values, serialized here as a few joins instead of one by one (npm run bench -- log-everything).
 */
export function pageLeavesJson(
  entries: readonly (Omit<PageEntry, 'served'> | null)[],
  redacted: (i: number) => boolean,
  w: Quoting = JSON_TEXT,
): string | undefined {
  const clinics: string[] = [];
  const clinicAt = new Map<string, number>();
  const entry: number[] = [];
  const page: number[] = [];
  const index: number[] = [];
  const hash: string[] = [];
  const salt: string[] = [];
  const clinic: number[] = [];
  const red: number[] = [];
  entries.forEach((e, i) => {
    if (!e) return;
    const l = e.leaf;
    if (l.kind !== 'resource') throw new Error('a page leaf must be a resource leaf');
    let c = clinicAt.get(l.clinic);
    if (c === undefined) clinicAt.set(l.clinic, (c = clinics.push(l.clinic) - 1));
    entry.push(i);
    page.push(e.page);
    index.push(e.index);
    hash.push(l.hash);
    salt.push(l.salt);
    clinic.push(c);
    if (redacted(i)) red.push(i);
  });
  if (!entry.length) return undefined;
  const key = keyIn(w);
  return (
    `{${key('version')}${w.q}${PAGE_LEAVES_VERSION}${w.q},${key('clinics')}${stringsJson(clinics, w)},${key('entry')}[${entry.join(',')}],` +
    `${key('page')}[${page.join(',')}],${key('index')}[${index.join(',')}],${key('hash')}${stringsJson(hash, w)},` +
    `${key('salt')}${stringsJson(salt, w)},${key('clinic')}[${clinic.join(',')}],${key('redacted')}[${red.join(',')}]}`
  );
}

/** Exactly `JSON.stringify(p)` for a page proof as the log service makes it (key order included; a test holds it to that), in quoting `w`. */
export function pageProofJson(p: PageProof, w: Quoting = JSON_TEXT): string {
  const key = keyIn(w);
  return (
    `{${key('version')}${w.q}${PAGE_PROOF_VERSION}${w.q},${key('checkpoint')}${w.json(JSON.stringify(p.checkpoint))},` +
    `${key('anchor')}${w.json(JSON.stringify(p.anchor))},${key('indices')}[${p.indices.join(',')}],${key('hashes')}${stringsJson(p.hashes, w)}}`
  );
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The page entry of each Bundle entry from a page's leaf columns and the entries' resources (null for an entry the
 * columns do not list, or whose resource has no type, id or numeric meta.versionId: nothing to prove it by). Throws
 * (malformed) when the columns are not {@link PageLeaves}: unequal lengths, positions not ascending or out of range,
 * a hash or salt that is not 0x + 64 hex, a clinic that is not listed.
 */
export function pageLeafEntries(value: unknown, resources: readonly unknown[]): (PageEntry | null)[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('page leaves must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== PAGE_LEAVES_VERSION) throw new Error(`page leaves version must be "${PAGE_LEAVES_VERSION}"`);
  const column = (name: string, ok: (x: unknown) => boolean): unknown[] => {
    const c = v[name];
    if (!Array.isArray(c) || !c.every(ok)) throw new Error(`page leaves ${name} is malformed`);
    return c;
  };
  const clinics = column('clinics', (x) => typeof x === 'string') as string[];
  const entry = column('entry', (x) => isCount(x) && x < resources.length) as number[];
  const page = column('page', isCount) as number[];
  const index = column('index', isCount) as number[];
  const hash = column('hash', (x) => typeof x === 'string' && HEX32.test(x)) as string[];
  const salt = column('salt', (x) => typeof x === 'string' && HEX32.test(x)) as string[];
  const clinic = column('clinic', (x) => isCount(x) && x < clinics.length) as number[];
  const redacted = new Set(column('redacted', (x) => isCount(x)) as number[]);
  if (![page, index, hash, salt, clinic].every((c) => c.length === entry.length)) throw new Error('page leaves columns differ in length');
  if (entry.some((e, k) => k > 0 && e <= entry[k - 1])) throw new Error('page leaves entry positions must ascend');
  const out: (PageEntry | null)[] = resources.map(() => null);
  entry.forEach((at, k) => {
    const r = resources[at] as { resourceType?: unknown; id?: unknown; meta?: { versionId?: unknown } } | null | undefined;
    const versionId = r?.meta?.versionId;
    const version = typeof versionId === 'string' && /^[1-9][0-9]*$/.test(versionId) ? Number(versionId) : NaN;
    if (typeof r?.resourceType !== 'string' || typeof r.id !== 'string' || !Number.isSafeInteger(version)) return;
    out[at] = {
      version: PAGE_ENTRY_VERSION,
      leaf: leafDocOf({ kind: 'resource', docHash: hash[k], clinicId: clinics[clinic[k]], resourceType: r.resourceType, refId: r.id, version }, salt[k]),
      index: index[k],
      page: page[k],
      served: redacted.has(at) ? 'redacted' : 'as-committed',
    };
  });
  return out;
}
