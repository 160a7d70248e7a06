import { randomBytes, randomUUID } from 'node:crypto';
import { LOG_FORMAT } from '../../../bridge/log/entry';
import {
  IN_JSON_STRING,
  PAGE_ENTRY_VERSION,
  PAGE_LEAVES_VERSION,
  PAGE_PROOF_VERSION,
  pageLeafEntries,
  pageLeavesJson,
  pageProofJson,
  type PageEntry,
  type PageLeaves,
  type PageProof,
} from '../../../bridge/log/page-proof';

const hex = (): string => '0x' + randomBytes(32).toString('hex');
const clinics = [randomUUID(), randomUUID()];

/** A page entry of a stored resource, and the resource served with it. */
function entryOf(type: string, version: number, clinic: string, index: number, page: number, served: 'as-committed' | 'redacted' = 'as-committed') {
  const id = randomUUID();
  const entry: PageEntry = {
    version: PAGE_ENTRY_VERSION,
    leaf: { log: LOG_FORMAT, hash: hex(), salt: hex(), kind: 'resource', clinic, type, id, version },
    index,
    page,
    served,
  };
  return { entry, resource: { resourceType: type, id, meta: { versionId: String(version), lastUpdated: '2026-12-03T10:00:00Z' } } };
}

const page = [
  entryOf('Patient', 1, clinics[0], 17, 0),
  entryOf('Observation', 3, clinics[1], 2 ** 40, 1, 'redacted'),
  null, // pending: no leaf yet
  entryOf('Encounter', 9_007_199_254_740_991, clinics[0], 0, 0),
];
const entries = page.map((p) => p?.entry ?? null);
const redacted = (list: readonly (PageEntry | null)[]) => (i: number) => list[i]?.served === 'redacted';
/** The page's columns as a reader parses them. */
const columnsOf = (list: readonly (PageEntry | null)[]): PageLeaves | undefined => {
  const text = pageLeavesJson(list, redacted(list));
  return text === undefined ? undefined : JSON.parse(text);
};
const resources = page.map((p) => p?.resource ?? { resourceType: 'Condition', id: randomUUID(), meta: { versionId: '1' } });

test('columns and back: each entry gets exactly its page entry (leaf, index, page proof, served form); a pending one none', () => {
  const leaves = columnsOf(entries);
  expect(leaves).toMatchObject({ version: PAGE_LEAVES_VERSION, clinics, entry: [0, 1, 3], page: [0, 1, 0], clinic: [0, 1, 0], redacted: [1] });
  expect(pageLeafEntries(leaves, resources)).toEqual(entries);
  expect(columnsOf([null, null])).toBeUndefined();
});

test('the leaf names the resource served with it: another id, type or version in the resource gives another leaf', () => {
  const leaves = columnsOf(entries) as unknown as Record<string, any>;
  const changed = resources.map((r) => structuredClone(r));
  changed[0].id = randomUUID();
  changed[3].meta.versionId = '2';
  const out = pageLeafEntries(leaves, changed);
  expect(out[0]?.leaf).toMatchObject({ id: changed[0].id });
  expect(out[3]?.leaf).toMatchObject({ version: 2 });
  expect(out[1]).toEqual(entries[1]);
  // No version to name (a resource without meta.versionId, or not a number): nothing proves that entry.
  const bare = resources.map((r) => structuredClone(r));
  delete (bare[0] as { meta?: unknown }).meta;
  (bare[1].meta as { versionId: string }).versionId = '3a';
  expect(pageLeafEntries(leaves, bare).slice(0, 2)).toEqual([null, null]);
});

test('malformed columns are refused with the reason, never read as another page', () => {
  const good = columnsOf(entries) as unknown as Record<string, any>;
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...good, version: 'fhir-anchor-page-leaves/2' }, /version/],
    [{ ...good, salt: good.salt.slice(1) }, /length/],
    [{ ...good, entry: [0, 3, 1] }, /ascend/],
    [{ ...good, entry: [0, 1, 4] }, /entry is malformed/],
    [{ ...good, hash: [good.hash[0].toUpperCase(), ...good.hash.slice(1)] }, /hash is malformed/],
    [{ ...good, salt: ['0x00', ...good.salt.slice(1)] }, /salt is malformed/],
    [{ ...good, clinic: [0, 2, 0] }, /clinic is malformed/],
    [{ ...good, index: [-1, 0, 0] }, /index is malformed/],
    [{ ...good, page: undefined }, /page is malformed/],
  ];
  for (const [value, reason] of bad) expect(() => pageLeafEntries(value, resources)).toThrow(reason);
  expect(() => pageLeafEntries([good], resources)).toThrow(/object/);
});

/** The columns as the PageLeaves definition reads, built the plain way (objects, then JSON.stringify). */
function plainColumns(list: readonly (PageEntry | null)[]): PageLeaves {
  const out: PageLeaves = { version: PAGE_LEAVES_VERSION, clinics: [], entry: [], page: [], index: [], hash: [], salt: [], clinic: [], redacted: [] };
  list.forEach((e, i) => {
    if (!e || e.leaf.kind !== 'resource') return;
    if (!out.clinics.includes(e.leaf.clinic)) out.clinics.push(e.leaf.clinic);
    out.entry.push(i);
    out.page.push(e.page);
    out.index.push(e.index);
    out.hash.push(e.leaf.hash);
    out.salt.push(e.leaf.salt);
    out.clinic.push(out.clinics.indexOf(e.leaf.clinic));
    if (e.served === 'redacted') out.redacted.push(i);
  });
  return out;
}

test('the columns and page proofs are written exactly as JSON.stringify writes them, as JSON and inside a JSON string', () => {
  // A clinic id that needs escaping (quote, backslash, a line separator, a lone surrogate) takes the escaping path.
  const odd = entryOf('Condition', 2, 'clinic "x" \\ \u2028 \ud800', 5, 0);
  const list = [...entries, odd.entry];
  const expected = JSON.stringify(plainColumns(list));
  expect(pageLeavesJson(list, redacted(list))).toBe(expected);
  expect(`"${pageLeavesJson(list, redacted(list), IN_JSON_STRING)}"`).toBe(JSON.stringify(expected));

  const proofs: PageProof[] = [
    {
      version: PAGE_PROOF_VERSION,
      checkpoint:
        'example.org/log\n12\nq6p0=\n\n— example.org/log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n',
      anchor: { chainId: 31337, contract: '0x' + '1'.repeat(40), logId: '0x' + '2'.repeat(64), treeSize: 12, txHash: '0x' + '3'.repeat(64), blockNumber: 9 },
      indices: [0, 3, 11],
      hashes: [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')],
    },
    { version: PAGE_PROOF_VERSION, checkpoint: 'o\n1\nAA==\n', anchor: null, indices: [], hashes: [] },
  ];
  for (const p of proofs) {
    expect(pageProofJson(p)).toBe(JSON.stringify(p));
    expect(`"${pageProofJson(p, IN_JSON_STRING)}"`).toBe(JSON.stringify(JSON.stringify(p)));
  }
});
