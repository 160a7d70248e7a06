/**
 * Seeded fuzz cases for the HTTP surface (shared by test/integration/http/fuzz.test.ts and `npm run bench -- fuzz`):
 * the targeted inputs that once answered 5xx (issue 8's table), then random mutations of small, valid seed bundles
 * (type swaps, deletions, huge and malformed strings, deep nesting, duplicate and prototype keys, circular urn:uuid
 * references, byte-level damage). Pure: the same seed gives the same cases.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { prng } from './generate';

export interface FuzzRequest {
  method: string;
  /** Path below the server root, e.g. `/fhir` or `/fhir/Patient?identifier=%`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface FuzzCase {
  /** The class of input, for counts. */
  kind: string;
  /** Requests sent in order (most cases have one). */
  steps: FuzzRequest[];
}

const JSON_TYPE = { 'content-type': 'application/fhir+json' };
const push = (text: string | Buffer, headers: Record<string, string> = JSON_TYPE): FuzzRequest => ({
  method: 'POST',
  path: '/fhir',
  headers,
  body: typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
});
const json = (v: unknown): string => JSON.stringify(v);
const tx = (entry: unknown[]): string => json({ resourceType: 'Bundle', type: 'transaction', entry });
const patientEntry = (extra: Record<string, unknown> = {}, request: Record<string, unknown> = { method: 'POST', url: 'Patient' }): Record<string, unknown> => ({
  fullUrl: `urn:uuid:${uuid()}`,
  resource: { resourceType: 'Patient', name: [{ family: 'Fuzz' }], ...extra },
  request,
});

let uuidRand = prng(1);
function uuid(): string {
  const h = Array.from({ length: 32 }, () => Math.floor(uuidRand() * 16).toString(16));
  h[12] = '4';
  h[16] = '8';
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Random bytes as hex-ish text that does not compress (a 300 KB identifier must not shrink below an index limit). */
function incompressible(bytes: number, rand: () => number): string {
  let s = '';
  while (s.length < bytes) s += Math.floor(rand() * 2 ** 32).toString(36);
  return s.slice(0, bytes);
}

const nested = (depth: number, open: string, close: string, inner = '1'): string => open.repeat(depth) + inner + close.repeat(depth);

/** The inputs of issue 8's table and their neighbours, each a fixed request sequence. */
export function targetedCases(rand: () => number): FuzzCase[] {
  const c: FuzzCase[] = [];
  const add = (kind: string, ...steps: FuzzRequest[]): void => void c.push({ kind, steps });
  // strings PostgreSQL cannot store
  add('lone-surrogate', push(tx([patientEntry()]).replace('"Fuzz"', '"\\ud800"')));
  add('lone-surrogate', push(tx([patientEntry()]).replace('"Fuzz"', '"a\\udfffb"')));
  add('lone-surrogate', push(tx([patientEntry()]).replace('"family"', '"\\ud800"')));
  add('nul-char', push(tx([patientEntry()]).replace('"Fuzz"', '"a\\u0000b"')));
  add('lone-surrogate', {
    method: 'POST',
    path: '/fhir/Patient',
    headers: JSON_TYPE,
    body: Buffer.from('{"resourceType":"Patient","name":[{"family":"\\ud800"}]}'),
  });
  // entry shapes the validator did not expect
  for (const entry of [
    '"x"',
    '[null]',
    '[1]',
    '["x"]',
    '[[]]',
    '{}',
    '[{"resource":null}]',
    '[{"request":"x"}]',
    '[{"resource":"x","request":{"method":"POST","url":"Patient"}}]',
    '[{"resource":{"resourceType":"Patient"},"request":null}]',
    '[{"resource":{"resourceType":"Patient"},"request":{"method":null,"url":5}}]',
    '[{"resource":{"resourceType":"Patient","contained":"x"},"request":{"method":"POST","url":"Patient"}}]',
    '[{"resource":{"resourceType":"Patient","contained":[null]},"request":{"method":"POST","url":"Patient"}}]',
  ]) {
    for (const type of ['transaction', 'batch', 'collection']) add('entry-shape', push(`{"resourceType":"Bundle","type":"${type}","entry":${entry}}`));
  }
  // bad percent-encoding
  const p = { resourceType: 'Patient', identifier: [{ system: 's', value: 'v' }] };
  add('percent', { method: 'PUT', path: '/fhir/Patient?identifier=%', headers: JSON_TYPE, body: Buffer.from(json(p)) });
  add('percent', { method: 'DELETE', path: '/fhir/Patient?identifier=%zz' });
  add('percent', { method: 'POST', path: '/fhir/Patient', headers: { ...JSON_TYPE, 'if-none-exist': 'identifier=%zz' }, body: Buffer.from(json(p)) });
  add('percent', { method: 'GET', path: '/fhir/Patient/%E0%A4%A' });
  add('percent', { method: 'GET', path: '/fhir/%E0%A4%A' });
  add('percent', { method: 'GET', path: '/fhir/Patient?identifier=%E0%A4%A' });
  add('percent', { method: 'GET', path: '/fhir/Patient/x/_history/%E0%A4%A' });
  add('percent', push(tx([patientEntry({}, { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=%zz' })])));
  add('percent', push(tx([patientEntry({}, { method: 'PUT', url: 'Patient?identifier=%' })])));
  add('percent', push(tx([patientEntry({}, { method: 'DELETE', url: 'Patient?identifier=%E0%A4%A' })])));
  add(
    'percent',
    push(
      tx([
        {
          fullUrl: `urn:uuid:${uuid()}`,
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=%zz' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    ),
  );
  // conditional update whose resource lacks the identifier it is keyed by, twice
  for (const path of ['/fhir/Patient?identifier=s|v', '/fhir/Patient?identifier=s%7Cv']) {
    const body = Buffer.from(json({ resourceType: 'Patient', name: [{ family: 'NoIdent' }] }));
    add('conditional-update-mismatch', { method: 'PUT', path, headers: JSON_TYPE, body }, { method: 'PUT', path, headers: JSON_TYPE, body });
  }
  const cu = push(tx([patientEntry({ name: [{ family: 'NoIdent2' }] }, { method: 'PUT', url: 'Patient?identifier=s|v2' })]));
  add('conditional-update-mismatch', cu, push(tx([patientEntry({ name: [{ family: 'NoIdent3' }] }, { method: 'PUT', url: 'Patient?identifier=s|v2' })])));
  const idBody = Buffer.from(json({ resourceType: 'Patient', id: 'other', name: [{ family: 'IdMismatch' }] }));
  add(
    'conditional-update-mismatch',
    { method: 'PUT', path: '/fhir/Patient?_id=fuzz-id-1', headers: JSON_TYPE, body: idBody },
    { method: 'PUT', path: '/fhir/Patient?_id=fuzz-id-1', headers: JSON_TYPE, body: idBody },
  );
  // huge token values
  for (const size of [3000, 300 * 1024]) {
    add('huge-identifier', push(tx([patientEntry({ identifier: [{ system: 'urn:x', value: incompressible(size, rand) }] })])));
    add('huge-identifier', push(tx([patientEntry({ identifier: [{ system: incompressible(size, rand), value: 'v' }] })])));
    add(
      'huge-identifier',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Organization', name: 'O', identifier: [{ system: 'urn:x', value: incompressible(size, rand) }] },
            request: { method: 'POST', url: 'Organization' },
          },
        ]),
      ),
    );
    add(
      'huge-identifier',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: incompressible(size, rand) }] } },
            request: { method: 'POST', url: 'Observation' },
          },
        ]),
      ),
    );
    add('huge-identifier', push(tx([patientEntry({}, { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:x|${incompressible(size, rand)}` })])));
    add('huge-identifier', { method: 'GET', path: `/fhir/Patient?identifier=${incompressible(Math.min(size, 8000), rand)}` });
    add('huge-identifier', {
      method: 'PUT',
      path: `/fhir/Patient/${incompressible(Math.min(size, 8000), rand)}`,
      headers: JSON_TYPE,
      body: Buffer.from(json({ resourceType: 'Patient' })),
    });
  }
  // encodings
  add('content-encoding', push('not gzip at all', { ...JSON_TYPE, 'content-encoding': 'gzip' }));
  add('content-encoding', push('not deflate', { ...JSON_TYPE, 'content-encoding': 'deflate' }));
  add('content-encoding', push('not br', { ...JSON_TYPE, 'content-encoding': 'br' }));
  add('content-encoding', push(tx([patientEntry()]), { ...JSON_TYPE, 'content-encoding': 'x-unknown' }));
  add('content-encoding', { method: 'PUT', path: '/fhir/Patient/x', headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: Buffer.from('{}') });
  // integers out of range
  for (const q of ['_offset=99999999999999999999', '_offset=2147483648', '_count=99999999999999999999', '_offset=1e400', '_offset=-1', '_count=1.5'])
    add('integer-range', { method: 'GET', path: `/fhir/Patient?${q}` });
  for (const v of ['99999999999', '2147483648', '-1', '1e3', '1.5', '0x10', '99999999999999999999'])
    add('integer-range', { method: 'GET', path: `/fhir/Patient/${uuid()}/_history/${v}` });
  for (const v of ['99999999999', '-1', '1.5']) add('integer-range', { method: 'GET', path: `/fhir/$export-file/${uuid()}/${v}` });
  // dates
  const dates = [
    '0000-01-01',
    '0000',
    '0000-01',
    '2020-01-01T24:00:00Z',
    '2016-12-31T23:59:60Z',
    '2021-02-29',
    '2020-13-01',
    '9999-12-31T23:59:59+14:00',
    '0001-01-01T00:00:00+14:00',
    '0001-01-01T00:00:00-14:00',
    '9999-12-31T23:59:59-14:00',
    '2020-01-01T10:00:00+99:99',
    '2020-01-01T99:99:99Z',
    '10000-01-01',
    '-0001-01-01',
    '2020-00-10',
    '2020-01-00',
  ];
  for (const d of dates) {
    add('date', push(tx([patientEntry({ birthDate: d })])));
    add(
      'date',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: d, issued: d },
            request: { method: 'POST', url: 'Observation' },
          },
        ]),
      ),
    );
    add(
      'date',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: d, end: d } },
            request: { method: 'POST', url: 'Encounter' },
          },
        ]),
      ),
    );
    add(
      'date',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Condition', subject: { reference: 'Patient/x' }, code: { text: 'x' }, onsetDateTime: d, recordedDate: d },
            request: { method: 'POST', url: 'Condition' },
          },
        ]),
      ),
    );
    for (const param of ['date', '_lastUpdated'])
      for (const prefix of ['', 'ge', 'lt']) add('date', { method: 'GET', path: `/fhir/Observation?${param}=${prefix}${encodeURIComponent(d)}` });
  }
  // _id criteria
  const someId = uuid();
  add('id-criteria', push(tx([patientEntry({}, { method: 'POST', url: 'Patient', ifNoneExist: `_id=${someId}` })])));
  add('id-criteria', {
    method: 'PUT',
    path: `/fhir/Patient?_id=${someId}`,
    headers: JSON_TYPE,
    body: Buffer.from(json({ resourceType: 'Patient', id: someId })),
  });
  add('id-criteria', { method: 'DELETE', path: `/fhir/Patient?_id=${someId}` });
  add('id-criteria', {
    method: 'POST',
    path: '/fhir/Patient',
    headers: { ...JSON_TYPE, 'if-none-exist': `_id=${someId}` },
    body: Buffer.from(json({ resourceType: 'Patient' })),
  });
  add(
    'id-criteria',
    push(
      tx([
        {
          fullUrl: `urn:uuid:${uuid()}`,
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?_id=${someId}` } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    ),
  );
  add('id-criteria', { method: 'GET', path: `/fhir/Patient?_id=${someId}` });
  // deep nesting
  for (const depth of [101, 1000, 100_000]) {
    add('deep-nesting', push(nested(depth, '[', ']')));
    add('deep-nesting', push(`{"resourceType":"Bundle","type":"collection","entry":${nested(depth, '[', ']')}}`));
    add('deep-nesting', push(tx([patientEntry({ extension: [] })]).replace('"extension":[]', `"extension":${nested(depth, '[', ']')}`)));
    add('deep-nesting', push(tx([patientEntry({ x: 1 })]).replace('"x":1', `"x":${nested(depth, '{"a":', '}')}`)));
    add('deep-nesting', {
      method: 'POST',
      path: '/fhir/Patient',
      headers: JSON_TYPE,
      body: Buffer.from(`{"resourceType":"Patient","extension":${nested(depth, '[', ']')}}`),
    });
  }
  // not UTF-8, or said to be something else
  const good = Buffer.from(tx([patientEntry()]));
  add('utf8', push(Buffer.concat([good.subarray(0, 60), Buffer.from([0xff, 0xfe]), good.subarray(60)])));
  add('utf8', push(Buffer.from(tx([patientEntry()]).replace('"Fuzz"', '"F\u00e9"'), 'latin1')));
  add(
    'utf8',
    push(
      Buffer.concat([
        Buffer.from(tx([patientEntry()]).replace('"Fuzz"', '"X')),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('"').subarray(0),
        Buffer.from(tx([]).slice(0, 0)),
      ]),
    ),
  );
  add('utf8', push(Buffer.from(tx([patientEntry()]).replace('"Fuzz"', '"ab\u00e9"')), { 'content-type': 'application/fhir+json; charset=iso-8859-1' }));
  add('utf8', push(Buffer.from(tx([patientEntry()]), 'utf16le'), { 'content-type': 'application/fhir+json; charset=utf-16' }));
  add('utf8', push(Buffer.from(tx([patientEntry()])), { 'content-type': 'application/fhir+json; charset=bogus' }));
  add('utf8', push(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(tx([patientEntry()]))])));
  add('utf8', { method: 'POST', path: '/fhir/Patient', headers: JSON_TYPE, body: Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]) });
  // keys
  add('duplicate-keys', push('{"resourceType":"Bundle","type":"transaction","type":"batch","entry":[]}'));
  add('duplicate-keys', push(tx([patientEntry()]).replace('"resourceType":"Patient"', '"resourceType":"Patient","resourceType":"Observation"')));
  for (const key of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']) {
    add('proto-keys', push(tx([patientEntry({ x: 1 })]).replace('"x":1', `"${key}":{"polluted":true}`)));
    add('proto-keys', push(`{"resourceType":"Bundle","type":"transaction","${key}":{"entry":[]},"entry":[]}`));
    add('proto-keys', push(tx([{ ...patientEntry(), x: 1 }]).replace('"x":1', `"${key}":{"method":"DELETE"}`)));
  }
  // circular urn:uuid references
  const [a, b] = [`urn:uuid:${uuid()}`, `urn:uuid:${uuid()}`];
  add(
    'circular',
    push(
      tx([
        {
          fullUrl: a,
          resource: { resourceType: 'Patient', link: [{ other: { reference: b }, type: 'seealso' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          fullUrl: b,
          resource: { resourceType: 'Patient', link: [{ other: { reference: a }, type: 'seealso' }] },
          request: { method: 'POST', url: 'Patient' },
        },
      ]),
    ),
  );
  add(
    'circular',
    push(
      tx([
        {
          fullUrl: a,
          resource: { resourceType: 'Patient', link: [{ other: { reference: a }, type: 'seealso' }] },
          request: { method: 'POST', url: 'Patient' },
        },
      ]),
    ),
  );
  add(
    'circular',
    push(
      tx([
        {
          fullUrl: a,
          resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, partOf: { reference: b } },
          request: { method: 'POST', url: 'Encounter' },
        },
        {
          fullUrl: b,
          resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, partOf: { reference: a } },
          request: { method: 'POST', url: 'Encounter' },
        },
      ]),
    ),
  );
  // huge strings and numbers
  add('huge-string', push(tx([patientEntry({ name: [{ family: 'x'.repeat(1024 * 1024 + 1) }] })])));
  add('huge-string', push(tx([patientEntry({ name: [{ family: incompressible(2 * 1024 * 1024, rand) }] })])));
  for (const n of ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.0000000000000000000001']) {
    add(
      'number',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'x' },
              valueQuantity: { value: 0, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ]).replace('"value":0', `"value":${n}`),
      ),
    );
    add(
      'number',
      push(
        tx([
          {
            fullUrl: `urn:uuid:${uuid()}`,
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueInteger: 0 },
            request: { method: 'POST', url: 'Observation' },
          },
        ]).replace('"valueInteger":0', `"valueInteger":${n}`),
      ),
    );
  }
  return c;
}

// ---- random mutations of seed bundles ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every (container, key) pair in a JSON tree. */
function slots(root: Json): [Json[] | Record<string, Json>, string | number][] {
  const out: [Json[] | Record<string, Json>, string | number][] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        out.push([v, i]);
        walk(x);
      });
    else if (v && typeof v === 'object')
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        walk(v[k]);
      }
  };
  walk(root);
  return out;
}

function badString(rand: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  return pick([
    '',
    ' ',
    '\ud800',
    'a\udc00',
    '\u0000',
    'x\u0000y',
    '\u202e',
    '%',
    '%zz',
    '%E0%A4%A',
    'Patient?identifier=%',
    'Patient?_id=' + uuid(),
    'urn:uuid:' + uuid(),
    'Patient/' + uuid(),
    '0000-01-01',
    '2020-01-01T24:00:00Z',
    '2016-12-31T23:59:60Z',
    '2021-02-29',
    '9999-12-31T23:59:59-14:00',
    '0001-01-01T00:00:00+14:00',
    'x'.repeat(3000),
    incompressible(5000, rand),
    '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
    '{"a":1}',
    'null',
    '\\',
    '"',
    '\u00e9\u4e2d\ud83d\ude00',
    'DROP TABLE resource;--',
    "' OR 1=1 --",
    '$1',
    '::uuid',
  ]);
}

function badValue(rand: () => number): Json {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const r = rand();
  if (r < 0.45) return badString(rand);
  return pick<Json>([null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 99999999999, [], [null], {}, { resourceType: 'Patient' }, [[[[[]]]]], ['x']]);
}

/** One mutation of a parsed bundle; returns the kind applied. */
function mutateTree(root: Json, rand: () => number): string {
  const all = slots(root);
  if (!all.length) return 'none';
  const [container, key] = all[Math.floor(rand() * all.length)];
  const set = (v: Json): void => {
    (container as Record<string, Json>)[key as string] = v;
  };
  const r = rand();
  if (r < 0.2) {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
    return 'delete';
  }
  if (r < 0.55) {
    set(badValue(rand));
    return 'type-swap';
  }
  if (r < 0.65) {
    const cur = (container as Record<string, Json>)[key as string];
    set(Array.isArray(cur) ? (cur[0] ?? null) : [cur]);
    return 'array-swap';
  }
  if (r < 0.72) {
    // a copy of another part of the tree (an entry as a coding, a reference as a resource ...)
    const [c2, k2] = all[Math.floor(rand() * all.length)];
    set(JSON.parse(JSON.stringify((c2 as Record<string, Json>)[k2 as string] ?? null)) as Json);
    return 'transplant';
  }
  if (r < 0.8 && !Array.isArray(container)) {
    const k = ['__proto__', 'constructor', 'prototype', 'resourceType', 'id', 'extension', 'modifierExtension', '_family', 'fhir_comments', ''][
      Math.floor(rand() * 10)
    ];
    Object.defineProperty(container, k, { value: badValue(rand), enumerable: true, configurable: true, writable: true });
    return 'add-key';
  }
  if (r < 0.86) {
    set(JSON.parse(nested(50 + Math.floor(rand() * 100), '[', ']')) as Json);
    return 'deep-nesting';
  }
  set(badString(rand));
  return 'bad-string';
}

/** Byte-level damage of serialized JSON: what a broken client or proxy sends. */
function mutateBytes(text: string, rand: () => number): { body: Buffer; kind: string } {
  const buf = Buffer.from(text, 'utf8');
  const at = Math.floor(rand() * buf.length);
  const r = rand();
  if (r < 0.25) return { body: buf.subarray(0, at), kind: 'truncate' };
  if (r < 0.5) {
    const copy = Buffer.from(buf);
    copy[at] = Math.floor(rand() * 256);
    return { body: copy, kind: 'byte-flip' };
  }
  if (r < 0.7)
    return {
      body: Buffer.concat([
        buf.subarray(0, at),
        Buffer.from([[0xff], [0xc0, 0xaf], [0xe0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]][Math.floor(rand() * 5)]),
        buf.subarray(at),
      ]),
      kind: 'invalid-utf8',
    };
  // a duplicate key: repeat the first `"key":` found after `at` with another value
  const m = /"([A-Za-z_]+)":/.exec(text.slice(at));
  if (!m) return { body: buf, kind: 'none' };
  const pos = at + m.index;
  return { body: Buffer.from(`${text.slice(0, pos)}"${m[1]}":${JSON.stringify(badValue(rand))},${text.slice(pos)}`), kind: 'duplicate-keys' };
}

/** A value as query text: percent-encoded, or sent raw when it cannot be (a lone surrogate). */
function queryText(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v.replace(/[^\x21-\x7e]/g, '%ED%A0%80');
  }
}

/** One random case from a seed bundle: 1-3 tree mutations, sometimes byte damage; sent as a push or as a REST write. */
export function mutatedCase(seed: Bundle, rand: () => number): FuzzCase {
  const tree = JSON.parse(JSON.stringify(seed)) as Json;
  const kinds: string[] = [];
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) kinds.push(mutateTree(tree, rand));
  let text = JSON.stringify(tree);
  let body: Buffer = Buffer.from(text, 'utf8');
  if (rand() < 0.15) {
    const m = mutateBytes(text, rand);
    body = m.body;
    kinds.push(m.kind);
  }
  const kind = `mutation:${kinds[0]}`;
  if (rand() < 0.15) {
    // the first entry's resource as a RESTful write
    const entry = (seed.entry ?? [])[0] as BundleEntry | undefined;
    const resource = entry?.resource ? (JSON.parse(JSON.stringify(entry.resource)) as Json) : {};
    mutateTree(resource, rand);
    text = JSON.stringify(resource);
    const type = entry?.resource?.resourceType ?? 'Patient';
    const r = rand();
    const req: FuzzRequest =
      r < 0.4
        ? { method: 'POST', path: `/fhir/${type}`, headers: JSON_TYPE, body: Buffer.from(text) }
        : r < 0.7
          ? { method: 'PUT', path: `/fhir/${type}/${uuid()}`, headers: JSON_TYPE, body: Buffer.from(text) }
          : { method: 'PUT', path: `/fhir/${type}?identifier=${queryText(badString(rand))}`, headers: JSON_TYPE, body: Buffer.from(text) };
    return { kind: `rest:${kinds[0]}`, steps: [req] };
  }
  return { kind, steps: [push(body)] };
}

/** Shrinks a large bundle to a random entry and the urn:uuid entries it references (transitively): small, still valid. */
export function subBundle(bundle: Bundle, rand: () => number, maxEntries = 12): Bundle {
  const entries = bundle.entry ?? [];
  if (entries.length <= maxEntries) return bundle;
  const byUrl = new Map(entries.filter((e) => e.fullUrl).map((e) => [e.fullUrl as string, e]));
  const picked = new Set<BundleEntry>();
  const visit = (e: BundleEntry): void => {
    if (picked.has(e) || picked.size >= maxEntries) return;
    picked.add(e);
    for (const m of JSON.stringify(e.resource ?? {}).matchAll(/"reference":"(urn:uuid:[^"]+)"/g)) {
      const target = byUrl.get(m[1]);
      if (target) visit(target);
    }
  };
  visit(entries[Math.floor(rand() * entries.length)]);
  return { ...bundle, entry: entries.filter((e) => picked.has(e)) };
}

/**
 * `count` cases: the targeted ones first, then mutations of `seeds` (each shrunk by subBundle), all from `seed`.
 * Bundle identities are made unique per case so that two cases never replay each other.
 */
export function fuzzCases(seeds: Bundle[], count: number, seed: number): FuzzCase[] {
  const rand = prng(seed);
  uuidRand = prng(seed ^ 0x5eed);
  const cases = targetedCases(rand);
  while (cases.length < count) cases.push(mutatedCase(subBundle(seeds[Math.floor(rand() * seeds.length)], rand), rand));
  return cases.slice(0, Math.max(count, 0));
}
