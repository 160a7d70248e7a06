import { api } from '../../helpers/fixtures';
import { startTestBridge, TestBridge } from '../../helpers/server';

/**
 * The HTTP behaviour a browser FHIR app and a FHIR client library rely on (issue 12, "HTTP"): CORS for the origins
 * configured (preflights answered without a key), JSON or 406 by `_format` and Accept on every /fhir path, and
 * `Prefer: return=` on writes. Against the real app over a real PostgreSQL.
 */
const APP = 'https://app.example.org';
let bridge: TestBridge;
let plain: TestBridge;
let key: string;
beforeAll(async () => {
  [bridge, plain] = await Promise.all([startTestBridge({ corsOrigins: [APP] }), startTestBridge()]);
  key = (await bridge.clinic('HTTP clinic')).apiKey;
});
afterAll(async () => Promise.all([bridge?.close(), plain?.close()]));

const preflight = (url: string, path: string, origin: string, method = 'GET') =>
  fetch(`${url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type, prefer' },
  });

describe('CORS (CORS_ORIGINS)', () => {
  test.each(['/fhir/Patient', '/fhir/Patient/abc/$everything', '/fhir/metadata', '/auth/token'])(
    'a preflight of %s from an allowed origin is answered without a key',
    async (path) => {
      const res = await preflight(bridge.url, path, APP, 'POST');
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('authorization'));
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    },
  );

  test('answers name the allowed origin and expose the FHIR headers; a refusal carries them too', async () => {
    const created = await api(bridge.url, key, 'POST', '/fhir/Patient', { resourceType: 'Patient', name: [{ family: 'Cors' }] }, { origin: APP });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(APP);
    const exposed = created.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['ETag', 'Location', 'X-Bundle-Hash']) expect(exposed).toContain(h);
    const refused = await api(bridge.url, 'not-a-key', 'GET', '/fhir/Patient', undefined, { origin: APP });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
  });

  test('another origin gets no CORS headers, and a preflight never reaches data', async () => {
    const res = await preflight(bridge.url, '/fhir/Patient', 'https://evil.example.net');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.status).toBe(401); // not answered as a preflight: it meets authentication like any request
    const read = await api(bridge.url, key, 'GET', '/fhir/Patient', undefined, { origin: 'https://evil.example.net' });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('paths a browser app has no business calling across origins get none', async () => {
    const res = await preflight(bridge.url, '/admin/clinics', APP, 'POST');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('with no CORS_ORIGINS (the default) nothing is opened', async () => {
    const res = await preflight(plain.url, '/fhir/Patient', APP);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.status).toBe(401);
  });
});

describe('_format and Accept', () => {
  test.each([
    ['/fhir/metadata?_format=xml', {}],
    ['/fhir/metadata?_format=application/fhir%2Bxml', {}],
    ['/fhir/Patient?_format=text/turtle', {}],
    ['/fhir/Patient', { accept: 'application/fhir+xml' }],
    ['/fhir/Patient', { accept: 'application/xml, application/json;q=0' }],
    ['/fhir/Patient/abc/$everything', { accept: 'application/fhir+xml' }],
    // _format overrides Accept (R4 http.html#mime-type)
    ['/fhir/Patient?_format=xml', { accept: 'application/fhir+json' }],
    // the first _format given is the one
    ['/fhir/Patient?_format=xml&_format=json', {}],
  ])('%s %j is 406 as an OperationOutcome in JSON', async (path, headers) => {
    const res = await api(bridge.url, key, 'GET', path, undefined, headers as Record<string, string>);
    expect(res.status).toBe(406);
    expect(res.headers.get('content-type')).toContain('json');
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
  });

  test.each([
    ['/fhir/metadata?_format=json', {}],
    ['/fhir/metadata?_format=application/fhir%2Bjson', {}],
    ['/fhir/Patient', { accept: 'application/fhir+json; fhirVersion=4.0' }],
    ['/fhir/Patient', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }],
    ['/fhir/Patient', { accept: 'application/json+fhir' }],
  ])('%s %j is answered in JSON', async (path, headers) => {
    const res = await api(bridge.url, key, 'GET', path, undefined, headers as Record<string, string>);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
  });
});

describe('Prefer: return=', () => {
  const patient = { resourceType: 'Patient', name: [{ family: 'Prefer' }] };

  test('minimal: 201 with Location and ETag and no body; the resource was stored', async () => {
    const res = await api(bridge.url, key, 'POST', '/fhir/Patient', patient, { prefer: 'return=minimal' });
    expect(res.status).toBe(201);
    expect(res.body).toBe('');
    expect(res.headers.get('etag')).toBe('W/"1"');
    const location = res.headers.get('location') as string;
    expect(location).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1$/);
    const read = await api(bridge.url, key, 'GET', location.replace(bridge.url, '').replace(/\/_history\/1$/, ''));
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('Prefer');
  });

  test('OperationOutcome: an outcome naming the version written, on create and update', async () => {
    const created = await api(bridge.url, key, 'POST', '/fhir/Patient', patient, { prefer: 'return=OperationOutcome' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] });
    const id = (created.headers.get('location') as string).split('/').at(-3) as string;
    expect(created.body.issue[0].diagnostics).toContain(`Patient/${id}`);
    const updated = await api(
      bridge.url,
      key,
      'PUT',
      `/fhir/Patient/${id}`,
      { ...patient, id, gender: 'female' },
      { prefer: 'handling=strict, return=OperationOutcome' },
    );
    expect(updated.status).toBe(200);
    expect(updated.body.issue[0].diagnostics).toContain('version 2');
    const minimal = await api(bridge.url, key, 'PUT', `/fhir/Patient/${id}`, { ...patient, id, gender: 'male' }, { prefer: 'return=minimal' });
    expect(minimal.status).toBe(200);
    expect(minimal.body).toBe('');
    expect(minimal.headers.get('etag')).toBe('W/"3"');
  });

  test('representation, or no preference: the resource', async () => {
    for (const prefer of ['return=representation', undefined]) {
      const res = await api(bridge.url, key, 'POST', '/fhir/Patient', patient, prefer ? { prefer } : {});
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' } });
    }
  });

  test('a refused write is an OperationOutcome whatever was preferred', async () => {
    const res = await api(bridge.url, key, 'POST', '/fhir/Patient', { resourceType: 'Patient', gender: 'sometimes' }, { prefer: 'return=minimal' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome' });
  });
});

describe('base64Binary is not a string: no 1 MB limit (R4 datatypes.html)', () => {
  const big = 'QUJD'.repeat(400_000); // 1.6 MB of base64
  const doc = (extra: Record<string, unknown> = {}) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    content: [{ attachment: { contentType: 'application/pdf', data: big } }],
    ...extra,
  });

  test('an attachment of more than 1 MB is stored and read back whole', async () => {
    const res = await api(bridge.url, key, 'POST', '/fhir/DocumentReference', doc());
    expect(res.status).toBe(201);
    const read = await api(bridge.url, key, 'GET', `/fhir/DocumentReference/${res.body.id}`);
    expect(read.body.content[0].attachment.data).toBe(big);
  });

  test('a string of more than 1 MB is still refused, and a large attachment beside another error reports only that error', async () => {
    const long = await api(bridge.url, key, 'POST', '/fhir/DocumentReference', doc({ description: 'x'.repeat(1024 * 1024 + 1) }));
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body.issue)).toContain('1 MB');
    const other = await api(bridge.url, key, 'POST', '/fhir/DocumentReference', doc({ unknownElement: true }));
    expect(other.status).toBe(400);
    expect(JSON.stringify(other.body.issue)).not.toContain('1 MB');
    expect(JSON.stringify(other.body.issue)).toContain('unknownElement');
  });
});
