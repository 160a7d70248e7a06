/**
 * Seeded, bounded fuzzing of the HTTP surface (issue 8): issue 8's table of inputs that once answered 500, then
 * mutations of the project's fixtures and generated bundles, sent by 4 concurrent clients. Asserts: no 5xx, every error
 * an OperationOutcome, the bridge healthy after, and no rejected request leaves a row (the rejected cases are sent again
 * on their own, between two counts of every table a push writes).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { FuzzCase, fuzzCases } from '../../../bench/fuzz-cases';
import { FuzzAnswer, runFuzz, summarize } from '../../../bench/fuzz-run';
import { generateBundles } from '../../../bench/generate';
import { api, FIXTURES, fixtureBundle } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

const CASES = 2000;
const CLIENTS = 4;

let bridge: TestBridge;
let key: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('fuzz')).apiKey;
});
afterAll(async () => bridge?.close());

function seeds(): Bundle[] {
  const fixtures = fs
    .readdirSync(path.join(FIXTURES, 'bundles'))
    .filter((f) => f.endsWith('.json'))
    .map(fixtureBundle);
  return [...fixtures, ...generateBundles({ bundles: 10, encountersPerPatient: 1, seed: 8 })];
}

/** Rows of every table a push writes (audit records of refusals excepted: a refusal is audited on purpose). */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await bridge.database.db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       AND table_name !~ '(audit|migration|^log_)' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: t } of tables.rows) counts[t] = Number((await bridge.database.db.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
  // The verifiable log grows with the audit records of refusals (tiles, checkpoints, chains follow); any other entry
  // (a bundle or resource version) would be something stored.
  counts.log_entries_not_audit = Number(
    (
      await bridge.database.db.query(
        "SELECT (SELECT count(*) FROM log_leaf WHERE kind <> 'audit') + (SELECT count(*) FROM log_queue WHERE kind <> 'audit') AS n",
      )
    ).rows[0].n,
  );
  return counts;
}

const describeWrong = (wrong: FuzzAnswer[]): string =>
  wrong
    .slice(0, 20)
    .map((a) => `${a.kind} ${a.method} ${a.path}: ${a.problem} ${a.diagnostics ?? ''}`)
    .join('\n');

test(`${CASES} seeded fuzz cases: no 5xx, every error an OperationOutcome, healthy after, rejected ones leave no row`, async () => {
  const cases = fuzzCases(seeds(), CASES, 2026);
  const kinds = new Set(cases.map((c) => c.kind));
  for (const k of [
    'lone-surrogate',
    'nul-char',
    'entry-shape',
    'percent',
    'conditional-update-mismatch',
    'huge-identifier',
    'content-encoding',
    'integer-range',
    'date',
    'id-criteria',
    'deep-nesting',
    'utf8',
    'duplicate-keys',
    'proto-keys',
    'circular',
    'huge-string',
    'mutation:type-swap',
    'mutation:delete',
  ]) {
    expect(kinds).toContain(k);
  }
  const answers = await runFuzz(bridge.url, key, cases, CLIENTS);
  const { byStatus, problems } = summarize(answers);
  expect(describeWrong(problems)).toBe('');
  // Both outcomes occur: the cases are neither all refused nor all accepted.
  expect(Object.keys(byStatus).some((s) => s.startsWith('2'))).toBe(true);
  expect(byStatus['400']).toBeGreaterThan(CASES / 4);

  expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  const valid = await api(bridge.url, key, 'POST', '/fhir', generateBundles({ bundles: 1, encountersPerPatient: 1, seed: 99 })[0]);
  expect(valid.status).toBe(200);

  // Every case whose every request was refused, sent again alone: refused again, and not one row more anywhere.
  const rejected: FuzzCase[] = cases.filter((_c, i) => answers[i].every((a) => a.status >= 400));
  expect(rejected.length).toBeGreaterThan(CASES / 4);
  const before = await rowCounts();
  const again = await runFuzz(bridge.url, key, rejected, CLIENTS);
  expect(describeWrong(again.flat().filter((a) => a.problem || a.status < 400))).toBe('');
  expect(await rowCounts()).toEqual(before);
}, 600_000); // bounded by CASES, not by time: a slow machine only takes longer

/** One request, answered as an OperationOutcome or a resource. */
async function send(
  method: string,
  pathname: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; diagnostics: string; body: any }> {
  const res = await fetch(`${bridge.url}${pathname}`, {
    method,
    body,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (res.status >= 400) expect(parsed?.resourceType).toBe('OperationOutcome');
  return { status: res.status, diagnostics: (parsed?.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics).join('; '), body: parsed };
}

const bundleOf = (...entry: unknown[]): string => JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
const patient = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ resourceType: 'Patient', name: [{ family: 'Table' }], ...extra });

test("each input of issue 8's table gets the right 4xx, naming the problem", async () => {
  const post = { method: 'POST', url: 'Patient' };
  const expectations: [string, Promise<{ status: number; diagnostics: string }>, number, RegExp][] = [
    [
      'lone surrogate',
      send('POST', '/fhir', bundleOf({ resource: patient(), request: post }).replace('"Table"', '"\\ud800"')),
      400,
      /Bundle\.entry\[0\]\.resource\.name\[0\]\.family holds a lone surrogate/,
    ],
    ['entry "x"', send('POST', '/fhir', '{"resourceType":"Bundle","type":"transaction","entry":"x"}'), 400, /Bundle\.entry must be an array/],
    ['entry [null]', send('POST', '/fhir', '{"resourceType":"Bundle","type":"transaction","entry":[null]}'), 400, /a bundle entry must be an object/],
    ['PUT ?identifier=%', send('PUT', '/fhir/Patient?identifier=%', JSON.stringify(patient())), 400, /invalid percent-encoding/],
    [
      'ifNoneExist %zz',
      send('POST', '/fhir', bundleOf({ resource: patient(), request: { ...post, ifNoneExist: 'identifier=%zz' } })),
      400,
      /invalid percent-encoding/,
    ],
    ['If-None-Exist %zz', send('POST', '/fhir/Patient', JSON.stringify(patient()), { 'if-none-exist': 'identifier=%zz' }), 400, /invalid percent-encoding/],
    ['path %E0%A4%A', send('GET', '/fhir/Patient/%E0%A4%A'), 400, /invalid percent-encoding/],
    [
      '300 KB identifier',
      send('POST', '/fhir', bundleOf({ resource: patient({ identifier: [{ system: 'urn:x', value: 'v'.repeat(300 * 1024) }] }), request: post })),
      400,
      /identifier\[0\]\.value is longer than the 1024 bytes/,
    ],
    ['gzip that is not', send('POST', '/fhir', 'plain', { 'content-encoding': 'gzip' }), 400, /Content-Encoding/],
    ['_offset 1e20', send('GET', '/fhir/Patient?_offset=99999999999999999999'), 400, /_offset must be an integer from 0 to 2147483647/],
    ['_history/99999999999', send('GET', '/fhir/Patient/00000000-0000-4000-8000-000000000000/_history/99999999999'), 404, /is not known/],
    ['$export-file seq', send('GET', '/fhir/$export-file/00000000-0000-4000-8000-000000000000/99999999999'), 404, /is not known/],
    ['date search year 0', send('GET', '/fhir/Observation?date=ge0000-01-01'), 400, /is not a FHIR date/],
    ['100,000 deep', send('POST', '/fhir', '['.repeat(100_000) + ']'.repeat(100_000)), 400, /nested more than 100 levels/],
    [
      'invalid UTF-8',
      send(
        'POST',
        '/fhir',
        Buffer.concat([Buffer.from('{"resourceType":"Bundle","type":"transaction","entry":[],"x":"'), Buffer.from([0xff]), Buffer.from('"}')]),
      ),
      400,
      /not valid UTF-8/,
    ],
    [
      'iso-8859-1',
      send('POST', '/fhir', Buffer.from(bundleOf({ resource: patient({ name: [{ family: 'Ren\u00e9e' }] }), request: post }), 'latin1'), {
        'content-type': 'application/fhir+json; charset=iso-8859-1',
      }),
      415,
      /charset "iso-8859-1" is not supported/,
    ],
    [
      'primitive as object',
      send('POST', '/fhir', bundleOf({ resource: patient({ identifier: [{ system: 'urn:x', value: {} }] }), request: post })),
      400,
      /identifier\[0\]\.value must be a JSON string/,
    ],
  ];
  for (const [name, answer, status, diagnostics] of expectations) {
    const a = await answer;
    expect(`${name}: ${a.status} ${a.diagnostics}`).toMatch(new RegExp(`^${name.replace(/[$.*+?()[\]{}|\\^]/g, '\\$&')}: ${status} .*${diagnostics.source}`));
  }
});

test('dates PostgreSQL cannot store are kept in the resource, unindexed, rather than refused', async () => {
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '9999-12-31T23:59:59-14:00' };
  const a = await send(
    'POST',
    '/fhir',
    bundleOf(
      { resource: patient({ birthDate: '2021-02-29' }), request: { method: 'POST', url: 'Patient' } },
      { resource: obs, request: { method: 'POST', url: 'Observation' } },
    ),
  );
  expect(a.status).toBe(200);
  const id = a.body.entry[0].response.location.split('/')[1];
  expect((await send('GET', `/fhir/Patient/${id}`)).body.birthDate).toBe('2021-02-29');
  expect((await bridge.database.db.query('SELECT birth_date FROM patient WHERE id = $1', [id])).rows[0].birth_date).toBeNull();
});

test('a conditional update that matches nothing must carry its own criteria; one that does is found again', async () => {
  for (let i = 0; i < 2; i++) {
    const a = await send('PUT', '/fhir/Patient?identifier=urn:fuzz|lacks', JSON.stringify(patient()));
    expect(`${a.status} ${a.diagnostics}`).toMatch(/^400 .*does not satisfy the criteria \(identifier urn:fuzz\|lacks\)/);
  }
  const carrying = JSON.stringify(patient({ identifier: [{ system: 'urn:fuzz', value: 'has' }] }));
  const first = await send('PUT', '/fhir/Patient?identifier=urn:fuzz|has', carrying);
  const second = await send('PUT', '/fhir/Patient?identifier=urn:fuzz|has', carrying.replace('Table', 'Table2'));
  expect([first.status, second.status]).toEqual([201, 200]);
  expect(second.body.id).toBe(first.body.id);
  expect(second.body.meta.versionId).toBe('2');
  // Its identifier removed by a plain update, the resource no longer matches the criteria (FHIR R4 http.html#cond-update
  // matches on what is stored now): the next conditional update creates the one that carries it, and later ones find that.
  expect((await send('PUT', `/fhir/Patient/${first.body.id}`, JSON.stringify(patient({ id: first.body.id })))).status).toBe(200);
  const third = await send('PUT', '/fhir/Patient?identifier=urn:fuzz|has', carrying.replace('Table', 'Table3'));
  const fourth = await send('PUT', '/fhir/Patient?identifier=urn:fuzz|has', carrying.replace('Table', 'Table4'));
  expect([third.status, fourth.status, fourth.body.id, fourth.body.meta.versionId]).toEqual([201, 200, third.body.id, '2']);
  expect(third.body.id).not.toBe(first.body.id);
});

test('_id criteria work: conditional create, conditional reference, conditional update and conditional delete', async () => {
  const created = await send('POST', '/fhir/Patient', JSON.stringify(patient()));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const again = await send('POST', '/fhir/Patient', JSON.stringify(patient()), { 'if-none-exist': `_id=${id}` });
  expect([again.status, again.body.id]).toEqual([200, id]);
  const ref = await send(
    'POST',
    '/fhir',
    bundleOf({
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?_id=${id}` } },
      request: { method: 'POST', url: 'Observation' },
    }),
  );
  expect(ref.status).toBe(200);
  const obsId = ref.body.entry[0].response.location.split('/')[1];
  expect((await send('GET', `/fhir/Observation/${obsId}`)).body.subject.reference).toBe(`Patient/${id}`);
  const updated = await send('PUT', `/fhir/Patient?_id=${id}`, JSON.stringify(patient({ id, gender: 'female' })));
  expect([updated.status, updated.body.id, updated.body.gender]).toEqual([200, id, 'female']);
  expect((await send('DELETE', `/fhir/Patient?_id=${id}`)).status).toBe(204);
  expect((await send('GET', `/fhir/Patient/${id}`)).status).toBe(410);
});
