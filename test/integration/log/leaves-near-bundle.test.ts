/**
 * The leaves a page of `$everything` reads with its rows (store/log.ts leavesOfRows) are looked for in the run of
 * leaves after each row's bundle, and by (ref_id, version) when they are not there. Whichever way a leaf is found, a
 * row gets exactly the leaf of its own version, once: here against findLeaves (the direct lookup) on bundles whose
 * runs hold the leaves, runs too short for their bundle, bundles too large for what a page wants, overlapping runs, a
 * version written by a later bundle, and a version not yet integrated; and the resources a page includes, by id.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { findLeaves, type LeafRow } from '../../../bridge/store/log';
import { compartmentPage, referencedResources, type PulledResource } from '../../../bridge/store/pull';
import { api } from '../../helpers/fixtures';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let clinic: { id: string; apiKey: string };

beforeAll(async () => {
  // An hour between checkpoints: what is pushed stays queued until a test integrates it.
  bridge = await startTestBridge({ logIntervalMs: 3_600_000 });
  clinic = await bridge.clinic('Near Clinic');
});
afterAll(() => bridge.close());

const q = (sql: string, params: unknown[] = []) => bridge.database.db.query(sql, params);

/** A transaction: one Patient with `observations` Observations, plus `others` Observations of other patients. */
function bundle(observations: number, others = 0): { bundle: Bundle } {
  const patient = randomUUID();
  const org = randomUUID();
  const obs = (subject: string, i: number): BundleEntry => ({
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource: {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: subject },
      performer: [{ reference: `urn:uuid:${org}` }],
      effectiveDateTime: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
      valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    },
    request: { method: 'POST', url: 'Observation' },
  });
  const strangers = Array.from({ length: Math.ceil(others / 10) }, () => randomUUID());
  const entry: NonNullable<Bundle['entry']> = [
    {
      fullUrl: `urn:uuid:${org}`,
      resource: { resourceType: 'Organization', name: 'Near Org' },
      request: { method: 'POST', url: 'Organization' },
    },
    {
      fullUrl: `urn:uuid:${patient}`,
      resource: { resourceType: 'Patient', name: [{ family: 'Near', given: ['Test'] }], birthDate: '1980-01-01' },
      request: { method: 'POST', url: 'Patient' },
    },
    ...strangers.map((s): BundleEntry => ({
      fullUrl: `urn:uuid:${s}`,
      resource: { resourceType: 'Patient', name: [{ family: 'Other' }] },
      request: { method: 'POST', url: 'Patient' },
    })),
    ...Array.from({ length: observations }, (_, i) => obs(`urn:uuid:${patient}`, i)),
    ...Array.from({ length: others }, (_, i) => obs(`urn:uuid:${strangers[i % strangers.length]}`, i)),
  ];
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry } };
}

async function push(b: { bundle: Bundle }): Promise<{ patient: string }> {
  const res = await api(bridge.url, clinic.apiKey, 'POST', '/fhir', b.bundle);
  expect(res.status).toBe(200);
  const ids = (res.body.entry as { response: { location: string } }[]).map((e) => e.response.location.split('/')[1]);
  return { patient: ids[1] }; // entry 0 is the Organization
}

/** Each row's leaf as the page query joined it, beside the leaf findLeaves finds for its id and version. */
async function compare(rows: PulledResource[]): Promise<{ joined: (LeafRow | null)[]; direct: (LeafRow | null)[] }> {
  const found = await findLeaves(
    bridge.database.db,
    rows.map((r) => ({ kind: 'resource', id: r.id, version: r.version })),
  );
  const byKey = new Map(found.map((l) => [`${l.refId}/${l.version}`, l]));
  const strip = (l: LeafRow | null | undefined) => (l ? { leafIndex: Number(l.leafIndex), docHash: l.docHash, salt: l.salt, clinicId: l.clinicId } : null);
  return { joined: rows.map((r) => strip(r.leaf) as LeafRow | null), direct: rows.map((r) => strip(byKey.get(`${r.id}/${r.version}`)) as LeafRow | null) };
}

const page = (patientIds: string[]) => compartmentPage(bridge.database.db, { patientIds, count: 1000, offset: 0 }, { leaves: true });

it('finds each row the leaf of its version, near its bundle or not, once', async () => {
  const small = await push(bundle(5)); // the run after its bundle holds every leaf
  const long = await push(bundle(150)); // 152 entries: longer than a run of 64
  const crowded = await push(bundle(3, 400)); // 3 of its 400+ entries wanted: looked up one by one
  await bridge.verifiableLog.integrate();
  const later = await push(bundle(1)); // queued after the integration: no leaf yet
  const people = [small.patient, long.patient, crowded.patient];

  const plain = await compartmentPage(bridge.database.db, { patientIds: people, count: 1000, offset: 0 });
  const rows = (await page(people)).rows;
  // No row twice (the runs of the first bundles overlap), none lost, in the page's order.
  expect(rows.map((r) => r.id)).toEqual(plain.rows.map((r) => r.id));
  expect(rows).toHaveLength(1 + 5 + 1 + 150 + 1 + 3);
  const { joined, direct } = await compare(rows);
  expect(joined.every((l) => l !== null)).toBe(true);
  expect(joined).toEqual(direct);

  // A run too short for its bundle (as after writes interleaved with it): every leaf is still found.
  await q('UPDATE bundle SET entry_count = 0');
  const short = await compare((await page(people)).rows);
  expect(short.joined).toEqual(direct);

  // A version not yet integrated has no leaf, and the others of its page keep theirs.
  const waiting = await compare((await page([later.patient, small.patient])).rows);
  expect(waiting.joined.filter((l) => l === null)).toHaveLength(2);
  expect(waiting.joined).toEqual(waiting.direct);
});

it('gives a version written by a later bundle its own leaf, not the one near the earlier bundle', async () => {
  const first = await push(bundle(4));
  const patientV1 = (await q('SELECT version FROM resource WHERE id = $1', [first.patient])).rows[0].version;
  const update = await api(bridge.url, clinic.apiKey, 'PUT', `/fhir/Patient/${first.patient}`, {
    resourceType: 'Patient',
    id: first.patient,
    name: [{ family: 'Near', given: ['Updated'] }],
  });
  expect(update.status).toBe(200);
  await bridge.verifiableLog.integrate();
  const rows = (await page([first.patient])).rows;
  const patientRow = rows.find((r) => r.id === first.patient) as PulledResource;
  expect(patientRow.version).toBe(patientV1 + 1);
  const { joined, direct } = await compare(rows);
  expect(joined).toEqual(direct);
  const [v1] = await findLeaves(bridge.database.db, [{ kind: 'resource', id: first.patient, version: patientV1 }]);
  expect(patientRow.leaf?.leafIndex).not.toBe(v1.leafIndex);
});

it('gives the resources a page includes the leaves of their versions too, joined by id and version (none yet: null)', async () => {
  const first = await push(bundle(2));
  await bridge.verifiableLog.integrate();
  const later = await push(bundle(1)); // queued after the integration: no leaf yet
  const orgs = (
    await q(
      `SELECT id FROM resource WHERE resource_type = 'Organization' AND patient_id IS NULL AND bundle_id IN (SELECT bundle_id FROM resource WHERE id = ANY($1::uuid[]))`,
      [[first.patient, later.patient]],
    )
  ).rows.map((r) => r.id as string);
  expect(orgs).toHaveLength(2);
  const rows = await referencedResources(bridge.database.db, orgs, [first.patient, later.patient], [clinic.id], undefined, { leaves: true });
  expect(rows.map((r) => r.id).sort()).toEqual([...orgs].sort());
  const { joined, direct } = await compare(rows);
  expect(joined).toEqual(direct);
  expect(joined.filter((l) => l === null)).toHaveLength(1);
  // Without `leaves`, nothing is read or claimed about them.
  const bare = await referencedResources(bridge.database.db, orgs, [first.patient, later.patient], [clinic.id]);
  expect(bare.every((r) => !('leaf' in r))).toBe(true);
});
