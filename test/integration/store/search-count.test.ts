/**
 * Counts of token searches come from search_token (migration 031), not from the resource rows the page is read from:
 * for every reader (own clinic, a clinic with a grant, a restricted grant, a patient) and every form of token value,
 * the count is exactly the number of matches the reader can page through, after updates and deletes.
 */
import { CONFIDENTIALITY } from '../../../bridge/normalize/sensitivity';
import { emptySearch } from '../../../bridge/fhir/search-params';
import type { ParamFilter, SearchVisibility, TokenFilter } from '../../../bridge/model/search';
import { searchVisible } from '../../../bridge/store/search';
import { tokenCodeKey } from '../../../bridge/model/search-keys';
import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

let bridge: TestBridge;
const ids: Record<string, string> = {};

const LOINC = 'http://loinc.org';
const OTHER = 'http://example.org/local-codes';
const coding = (system: string | undefined, code: string) => (system ? { system, code } : { code });

beforeAll(async () => {
  bridge = await startTestBridge();
  const a = await bridge.clinic('Clinic A');
  const b = await bridge.clinic('Clinic B');
  ids.clinicA = a.id;
  const obs = (id: string, subject: string, codings: object[], extra: object = {}) => ({
    resource: { resourceType: 'Observation', id, status: 'final', subject: { reference: subject }, code: { coding: codings }, ...extra },
    request: { method: 'PUT', url: `Observation/${id}` },
  });
  const patient = (id: string) => ({ resource: { resourceType: 'Patient', id, gender: 'female' }, request: { method: 'PUT', url: `Patient/${id}` } });
  const push = async (key: string, entry: object[]) => {
    const res = await api(bridge.url, key, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
    expect(res.status).toBe(200);
    return res.body.entry.map((e: any) => e.response.location.split('/')[1] as string);
  };
  await push(a.apiKey, [
    patient('pa'),
    obs('a1', 'Patient/pa', [coding(LOINC, '2345-7')]),
    obs('a2', 'Patient/pa', [coding(LOINC, '2345-7'), coding(LOINC, '2345-7')]), // the same coding twice: one value
    obs('a3', 'Patient/pa', [coding(LOINC, '2345-7'), coding(OTHER, '2345-7')]), // one code in two systems
    obs('a4', 'Patient/pa', [coding(undefined, '2345-7')]), // no system
    obs('a5', 'Patient/pa', [coding(LOINC, '718-7')]),
    obs('a6', 'Patient/pa', [coding(LOINC, '2345-7')]), // deleted below
    obs('a7', 'Patient/pa', [coding(LOINC, '2345-7')]), // recoded below
  ]);
  const [pb] = await push(b.apiKey, [
    patient('pb'),
    obs('b1', 'Patient/pb', [coding(LOINC, '2345-7')]),
    obs('b2', 'Patient/pb', [coding(LOINC, '2345-7')], { meta: { security: [{ system: CONFIDENTIALITY, code: 'R' }] } }),
  ]);
  ids.pb = pb;
  expect((await api(bridge.url, a.apiKey, 'DELETE', '/fhir/Observation/a6')).status).toBe(204);
  const recoded = {
    resourceType: 'Observation',
    id: 'a7',
    status: 'amended',
    subject: { reference: 'Patient/pa' },
    code: { coding: [coding(LOINC, '718-7')] },
  };
  expect((await api(bridge.url, a.apiKey, 'PUT', '/fhir/Observation/a7', recoded)).status).toBe(200);
});
afterAll(async () => bridge?.close());

const token = (param: string, ...values: TokenFilter[]): ParamFilter => ({ kind: 'token', param, not: false, values });
const QUERIES: [string, string, ParamFilter][] = [
  ['code=LOINC|2345-7', 'Observation', token('code', { systems: [LOINC], code: '2345-7' })],
  ['code=2345-7 (any system)', 'Observation', token('code', { code: '2345-7' })],
  ['code=|2345-7 (no system)', 'Observation', token('code', { systems: null, code: '2345-7' })],
  ['code=LOINC|2345-7,LOINC|718-7', 'Observation', token('code', { systems: [LOINC], code: '2345-7' }, { systems: [LOINC], code: '718-7' })],
  ['code=(either system)|2345-7', 'Observation', token('code', { systems: [LOINC, OTHER], code: '2345-7' })],
  [
    'combo-code=LOINC|718-7 (a union of code and component-code)',
    'Observation',
    { ...token('combo-code', { systems: [LOINC], code: '718-7' }), indexed: ['code', 'component-code'] } as ParamFilter,
  ],
  ['status=final', 'Observation', token('status', { code: 'final' })],
  ['Patient?gender=female', 'Patient', token('gender', { code: 'female' })],
];

describe.each(QUERIES)('%s', (_name, type, filter) => {
  const readers = (): [string, SearchVisibility][] => [
    ['clinic A', { kind: 'clinic', clinicId: ids.clinicA, grantedPatientIds: [], withheld: [] }],
    ['clinic A granted B’s patient', { kind: 'clinic', clinicId: ids.clinicA, grantedPatientIds: [ids.pb], withheld: [] }],
    [
      'clinic A granted B’s patient, R withheld',
      { kind: 'clinic', clinicId: ids.clinicA, grantedPatientIds: [ids.pb], withheld: [{ patientIds: [ids.pb], labels: ['R'] }] },
    ],
    ['the patient of B', { kind: 'person', patientIds: [ids.pb] }],
  ];
  test('counted as the reader pages', async () => {
    const counts: number[] = [];
    for (const [reader, vis] of readers()) {
      const q = emptySearch(type, { filters: [filter], total: 'accurate', count: 1000 });
      const found = await searchVisible(bridge.database.db, vis, q);
      expect({ reader, total: found.total }).toEqual({ reader, total: found.rows.length });
      counts.push(found.rows.length);
    }
    expect(Math.max(...counts)).toBeGreaterThan(0); // each query matches something for some reader
  });
});

test('what the matches are (so the counts above are of the right rows)', async () => {
  const own: SearchVisibility = { kind: 'clinic', clinicId: ids.clinicA, grantedPatientIds: [], withheld: [] };
  const total = async (vis: SearchVisibility, filter: ParamFilter) =>
    (await searchVisible(bridge.database.db, vis, emptySearch('Observation', { filters: [filter], total: 'accurate' }))).total;
  expect(await total(own, QUERIES[0][2])).toBe(3); // a1, a2, a3 (a6 deleted, a7 recoded)
  expect(await total(own, QUERIES[1][2])).toBe(4); // and a4, a3 once
  expect(await total(own, QUERIES[2][2])).toBe(1); // a4
  expect(await total(own, QUERIES[3][2])).toBe(5); // a1–a3, a5, a7
  const granted: SearchVisibility = { kind: 'clinic', clinicId: ids.clinicA, grantedPatientIds: [ids.pb], withheld: [] };
  expect(await total(granted, QUERIES[0][2])).toBe(5); // and b1, b2
  expect(await total({ ...granted, withheld: [{ patientIds: [ids.pb], labels: ['R'] }] }, QUERIES[0][2])).toBe(4); // b2 withheld
  expect(await total({ kind: 'person', patientIds: [ids.pb] }, QUERIES[0][2])).toBe(2);
  // The rows of search_token are those of current versions only: none for the deleted a6, only 718-7 for a7.
  const rows = await bridge.database.db.query(
    `SELECT t.code_key::text AS "codeKey" FROM search_token t JOIN resource r ON r.id = t.resource_id
     WHERE r.source_id = ANY($1) AND t.code_key = ANY($2::bigint[])`,
    [['a6', 'a7'], ['718-7', '2345-7', '8302-2'].map((c) => tokenCodeKey('Observation', 'code', c))],
  );
  expect(rows.rows).toEqual([{ codeKey: tokenCodeKey('Observation', 'code', '718-7') }]);
});
