/**
 * PATCH (R4 http.html#patch) with JSON Patch (RFC 6902) and FHIRPath Patch (R4 fhirpatch.html), alone and as
 * transaction and batch entries: applied to the current version, validated and stored as an update (history, search
 * index, log), guarded by If-Match; every failure a clear OperationOutcome, nothing written.
 */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
let id: string;
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
  const created = await api(bridge.url, keyA, 'PUT', '/fhir/Patient/pt-1', {
    resourceType: 'Patient',
    id: 'pt-1',
    name: [{ family: 'Weber', given: ['Anna'] }],
    gender: 'female',
    birthDate: '1985-03-14',
  });
  expect(created.status).toBe(201);
  id = created.body.id;
});
afterAll(async () => bridge?.close());

const patch = (key: string, path: string, ops: unknown, headers: Record<string, string> = {}) =>
  api(bridge.url, key, 'PATCH', path, JSON.stringify(ops), { ...JSON_PATCH, ...headers });
const versions = async (): Promise<number> => (await api(bridge.url, keyA, 'GET', `/fhir/Patient/${id}/_history`)).body.total;

test('a JSON Patch is stored as a new version, found by search, by bridge id and by the clinic’s own id', async () => {
  const res = await patch(keyA, '/fhir/Patient/pt-1', [
    { op: 'replace', path: '/name/0/family', value: 'Weber-Schulz' },
    { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '+49 30 555' }] },
  ]);
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe('W/"2"');
  expect(res.body).toMatchObject({ id, meta: { versionId: '2' }, name: [{ family: 'Weber-Schulz' }], telecom: [{ value: '+49 30 555' }] });
  const found = await api(bridge.url, keyA, 'GET', '/fhir/Patient?family=weber-s&phone=%2B49 30 555');
  expect(found.body.entry.map((e: any) => e.resource.id)).toEqual([id]);
  expect((await api(bridge.url, keyA, 'GET', '/fhir/Patient?family:exact=Weber')).body.entry).toBeUndefined();
  const byBridgeId = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'remove', path: '/telecom' }], { Prefer: 'return=minimal' });
  expect(byBridgeId.status).toBe(200);
  expect(byBridgeId.body).toBe('');
  expect(await versions()).toBe(3);
});

test('If-Match: the current version applies, a stale one is 412 and writes nothing', async () => {
  const before = await versions();
  const stale = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'other' }], { 'If-Match': 'W/"1"' });
  expect(stale.status).toBe(412);
  expect(stale.body.resourceType).toBe('OperationOutcome');
  expect(await versions()).toBe(before);
  const fresh = await patch(keyA, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'other' }], { 'If-Match': `W/"${before}"` });
  expect(fresh.status).toBe(200);
  expect(fresh.body.gender).toBe('other');
});

test('concurrent patches of one version: each lands on its own version, none is lost', async () => {
  const before = await versions();
  const results = await Promise.all(
    ['A', 'B', 'C', 'D'].map((given) => patch(keyA, `/fhir/Patient/${id}`, [{ op: 'add', path: '/name/0/given/-', value: given }])),
  );
  const ok = results.filter((r) => r.status === 200);
  // Each either applied on the version it read, or was told to patch again (409): never silently overwritten.
  for (const r of results) expect([200, 409]).toContain(r.status);
  const current = (await api(bridge.url, keyA, 'GET', `/fhir/Patient/${id}`)).body;
  expect(current.meta.versionId).toBe(String(before + ok.length));
  const added = current.name[0].given.filter((g: string) => ['A', 'B', 'C', 'D'].includes(g));
  expect(added.sort()).toEqual(ok.map((r) => r.body.name[0].given.at(-1)).sort());
});

test.each([
  ['not an array', { op: 'replace' }, 400, 'invalid', /array of operations/],
  ['an unknown op', [{ op: 'frobnicate', path: '/gender' }], 400, 'invalid', /operation 1/],
  [
    'a failed test',
    [
      { op: 'test', path: '/gender', value: 'male' },
      { op: 'remove', path: '/name' },
    ],
    422,
    'business-rule',
    /test failed/,
  ],
  ['an unresolvable path', [{ op: 'replace', path: '/contact/3/name', value: {} }], 422, 'business-rule', /cannot be applied/],
  ['a changed id', [{ op: 'replace', path: '/id', value: 'other' }], 422, 'business-rule', /resourceType or id/],
  ['an invalid result', [{ op: 'replace', path: '/gender', value: 'robot' }], 400, 'code-invalid', /gender|robot/i],
  ['prototype pollution', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], 422, 'business-rule', /cannot be applied/],
])('%s: its status and code, nothing written', async (_label, ops, status, code, message) => {
  const before = await versions();
  const res = await patch(keyA, `/fhir/Patient/${id}`, ops);
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe(code);
  expect(JSON.stringify(res.body.issue)).toMatch(message);
  expect(await versions()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('another clinic cannot patch the record (unknown to it), nor patch with a body that is no patch', async () => {
  const before = await versions();
  const theirs = await patch(keyB, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'male' }]);
  expect(theirs.status).toBe(404);
  const fhirpath = await api(bridge.url, keyA, 'PATCH', `/fhir/Patient/${id}`, { resourceType: 'Parameters', parameter: [] });
  expect(fhirpath.status).toBe(400);
  expect(fhirpath.body.issue[0].diagnostics).toMatch(/at least one parameter named "operation"/);
  const text = await api(bridge.url, keyA, 'PATCH', `/fhir/Patient/${id}`, '[]', { 'content-type': 'text/plain' });
  expect(text.status).toBe(415);
  expect((await patch(keyA, '/fhir/Patient/nobody', [])).status).toBe(404);
  const theirFhirPath = await api(
    bridge.url,
    keyB,
    'PATCH',
    `/fhir/Patient/${id}`,
    fhirPathPatch(['replace', 'Patient.gender', { name: 'value', valueCode: 'male' }]),
  );
  expect(theirFhirPath.status).toBe(404);
  expect(await versions()).toBe(before);
});

type Part = Record<string, unknown>;
/** A FHIRPath Patch Parameters resource: one operation per [type, path, ...other parts]. */
const fhirPathPatch = (...ops: [string, string, ...Part[]][]) => ({
  resourceType: 'Parameters',
  parameter: ops.map(([type, path, ...rest]) => ({
    name: 'operation',
    part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...rest],
  })),
});

describe('FHIRPath Patch', () => {
  test('is stored as a new version and searched by its new values, If-Match honoured', async () => {
    const before = await versions();
    const res = await api(
      bridge.url,
      keyA,
      'PATCH',
      '/fhir/Patient/pt-1',
      fhirPathPatch(
        ['add', 'Patient', { name: 'name', valueString: 'address' }, { name: 'value', valueAddress: { city: 'Lisboa', country: 'PT' } }],
        ['replace', 'Patient.birthDate', { name: 'value', valueDate: '1985-03-15' }],
        ['insert', 'Patient.name', { name: 'value', valueHumanName: { use: 'nickname', given: ['Anni'] } }, { name: 'index', valueInteger: 0 }],
      ),
      { 'If-Match': `W/"${before}"` },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ birthDate: '1985-03-15', address: [{ city: 'Lisboa' }], name: [{ use: 'nickname' }, {}] });
    expect(await versions()).toBe(before + 1);
    const found = await api(bridge.url, keyA, 'GET', '/fhir/Patient?address-city=lisboa&birthdate=1985-03-15');
    expect(found.body.entry.map((e: any) => e.resource.id)).toEqual([id]);
    const stale = await api(bridge.url, keyA, 'PATCH', '/fhir/Patient/pt-1', fhirPathPatch(['delete', 'Patient.address']), { 'If-Match': `W/"${before}"` });
    expect(stale.status).toBe(412);
    expect(await versions()).toBe(before + 1);
  });

  test.each([
    [
      'a path that matches nothing to replace',
      fhirPathPatch(['replace', 'Patient.deceased', { name: 'value', valueBoolean: true }]),
      422,
      /matches no element/,
    ],
    [
      'an element Patient does not have',
      fhirPathPatch(['add', 'Patient', { name: 'name', valueString: 'colour' }, { name: 'value', valueString: 'red' }]),
      422,
      /no element "colour"/,
    ],
    ['an invalid result', fhirPathPatch(['replace', 'Patient.gender', { name: 'value', valueCode: 'robot' }]), 400, /gender|robot/i],
    ['an operation without its value', fhirPathPatch(['replace', 'Patient.gender']), 400, /"value" is required/],
    ['a path the bridge cannot place', fhirPathPatch(['delete', 'Patient.name.select(given)']), 400, /not a FHIRPath expression the bridge can evaluate/],
  ])('%s: its status, nothing written', async (_label, body, status, message) => {
    const before = await versions();
    const res = await api(bridge.url, keyA, 'PATCH', `/fhir/Patient/${id}`, body);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.map((i: any) => i.diagnostics).join(' ')).toMatch(message);
    expect(await versions()).toBe(before);
  });
});

describe('PATCH entries in bundles', () => {
  const base64 = (ops: unknown) => Buffer.from(JSON.stringify(ops)).toString('base64');
  const jsonPatchEntry = (url: string, ops: unknown, ifMatch?: string) => ({
    resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64(ops) },
    request: { method: 'PATCH', url, ...(ifMatch ? { ifMatch } : {}) },
  });
  const fhirPathEntry = (url: string, body: unknown) => ({ resource: body, request: { method: 'PATCH', url } });

  test('a transaction applies a JSON Patch and a FHIRPath Patch with its other writes, each as an update', async () => {
    const obs = await api(bridge.url, keyA, 'PUT', '/fhir/Observation/obs-1', {
      resourceType: 'Observation',
      id: 'obs-1',
      status: 'preliminary',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: 'Patient/pt-1' },
      valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    });
    expect(obs.status).toBe(201);
    const before = await versions();
    const res = await api(bridge.url, keyA, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        jsonPatchEntry('Patient/pt-1', [{ op: 'replace', path: '/gender', value: 'female' }], `W/"${before}"`),
        fhirPathEntry('Observation/obs-1', fhirPathPatch(['replace', 'Observation.status', { name: 'value', valueCode: 'final' }])),
        { resource: { resourceType: 'Patient', name: [{ family: 'Neu' }] }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '200 OK', '201 Created']);
    expect(res.body.entry[0].response.location).toContain(`Patient/${id}/_history/${before + 1}`);
    expect((await api(bridge.url, keyA, 'GET', '/fhir/Patient/pt-1')).body.gender).toBe('female');
    const stored = (await api(bridge.url, keyA, 'GET', '/fhir/Observation/obs-1')).body;
    expect(stored).toMatchObject({ status: 'final', meta: { versionId: '2' }, valueQuantity: { value: 70 } });
    expect((await api(bridge.url, keyA, 'GET', '/fhir/Observation?status=final&_id=' + stored.id)).body.total).toBe(1);
  });

  test('a transaction with a PATCH that fails writes none of its entries', async () => {
    const before = await versions();
    const count = async () => (await api(bridge.url, keyA, 'GET', '/fhir/Patient?family:exact=Nobody&_total=accurate')).body.total;
    for (const [entry, status] of [
      [jsonPatchEntry('Patient/pt-1', [{ op: 'test', path: '/gender', value: 'male' }]), 422],
      [jsonPatchEntry('Patient/pt-1', [{ op: 'replace', path: '/gender', value: 'robot' }]), 400],
      [jsonPatchEntry('Patient/pt-1', [], 'W/"1"'), 412],
      [jsonPatchEntry('Patient/not-there', []), 404],
      [fhirPathEntry('Patient/pt-1', { resourceType: 'Patient' }), 400],
      [{ resource: { resourceType: 'Binary', contentType: 'text/plain', data: base64([]) }, request: { method: 'PATCH', url: 'Patient/pt-1' } }, 400],
    ] as const) {
      const res = await api(bridge.url, keyA, 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'Nobody' }] }, request: { method: 'POST', url: 'Patient' } }, entry],
      });
      expect([res.status, res.body.resourceType]).toEqual([status, 'OperationOutcome']);
    }
    expect(await count()).toBe(0);
    expect(await versions()).toBe(before);
  });

  test('in a batch a failed PATCH is its entry’s error alone', async () => {
    const before = await versions();
    const res = await api(bridge.url, keyA, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        jsonPatchEntry('Patient/pt-1', [{ op: 'replace', path: '/gender', value: 'male' }]),
        fhirPathEntry('Patient/pt-1', fhirPathPatch(['replace', 'Patient.deceased', { name: 'value', valueBoolean: true }])),
        jsonPatchEntry(`Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'unknown' }]),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '422', '200 OK']);
    expect(res.body.entry[1].response.outcome.issue[0].diagnostics).toMatch(/matches no element/);
    expect(await versions()).toBe(before + 2);
    expect((await api(bridge.url, keyA, 'GET', '/fhir/Patient/pt-1')).body.gender).toBe('unknown');
  });

  test('another clinic’s PATCH entry finds nothing to patch', async () => {
    const before = await versions();
    const res = await api(bridge.url, keyB, 'POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [jsonPatchEntry(`Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'male' }])],
    });
    expect(res.body.entry[0].response.status).toBe('404');
    expect(await versions()).toBe(before);
  });
});
