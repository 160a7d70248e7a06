import { checkBundleScopes, checkRequestScope, checkScope, fhirInteraction } from '../../../bridge/access/scope-check';
import type { AccessServices } from '../../../bridge/access/services';
import { clinicSession } from '../../../bridge/access/session';

/** What a /fhir request asks of SMART scopes, and that allowed requests never touch the store (refusals: integration/http/smart-backend). */
const clinic = { id: '11111111-1111-4111-8111-111111111111', name: 'Clinic A' };
const noDb = {
  db: new Proxy(
    {},
    {
      get: () => {
        throw new Error('the database was used');
      },
    },
  ),
} as unknown as AccessServices;

test('method and path name the interaction; the root, metadata and other methods ask for none', () => {
  expect(fhirInteraction('GET', '/Observation')).toEqual({ type: 'Observation', interaction: 'search' });
  expect(fhirInteraction('HEAD', '/Observation/1')).toEqual({ type: 'Observation', interaction: 'read' });
  expect(fhirInteraction('GET', '/Observation/1/_history/2')).toEqual({ type: 'Observation', interaction: 'read' });
  expect(fhirInteraction('POST', '/Patient')).toEqual({ type: 'Patient', interaction: 'create' });
  expect(fhirInteraction('PUT', '/Patient/1')).toEqual({ type: 'Patient', interaction: 'update' });
  expect(fhirInteraction('PATCH', '/Patient/1')).toEqual({ type: 'Patient', interaction: 'update' });
  expect(fhirInteraction('DELETE', '/Patient')).toEqual({ type: 'Patient', interaction: 'delete' });
  expect(fhirInteraction('POST', '/')).toBeNull();
  expect(fhirInteraction('GET', '/metadata')).toBeNull();
  expect(fhirInteraction('OPTIONS', '/Patient')).toBeNull();
  // POST _search is a search (a read-only token may), $validate reads and writes nothing.
  expect(fhirInteraction('POST', '/Patient/_search')).toEqual({ type: 'Patient', interaction: 'search' });
  expect(fhirInteraction('PUT', '/Patient/_search')).toEqual({ type: 'Patient', interaction: 'update' });
  expect(fhirInteraction('POST', '/Patient/$validate')).toBeNull();
  expect(fhirInteraction('POST', '/Patient/1/$validate')).toBeNull();
  expect(fhirInteraction('GET', '/Patient/1/$meta')).toEqual({ type: 'Patient', interaction: 'read' });
  // History and $meta: of one type, a read of it; of the system, a read of every type.
  expect(fhirInteraction('GET', '/Patient/_history')).toEqual({ type: 'Patient', interaction: 'read' });
  expect(fhirInteraction('GET', '/Patient/$meta')).toEqual({ type: 'Patient', interaction: 'read' });
  expect(fhirInteraction('GET', '/_history')).toEqual({ type: '*', interaction: 'read' });
  expect(fhirInteraction('GET', '/$meta')).toEqual({ type: '*', interaction: 'read' });
});

test('a PATCH entry is checked against the type its URL names, not its patch resource (Binary, Parameters)', async () => {
  const patchEntry = (resourceType: string) =>
    JSON.stringify({
      entry: [{ resource: { resourceType, contentType: 'application/json-patch+json', data: 'W10=' }, request: { method: 'PATCH', url: 'Patient/1' } }],
    });
  const binaryWriter = clinicSession(clinic, 'smart-token', ['system/Binary.cu', 'system/Parameters.cu']);
  await expect(checkBundleScopes(noDb, binaryWriter, patchEntry('Binary'))).rejects.toThrow('the database was used');
  await expect(checkBundleScopes(noDb, binaryWriter, patchEntry('Parameters'))).rejects.toThrow('the database was used');
  const patientWriter = clinicSession(clinic, 'smart-token', ['system/Patient.u']);
  await expect(checkBundleScopes(noDb, patientWriter, patchEntry('Binary'))).resolves.toBeUndefined();
  // An entry whose URL and resource name different types needs both.
  const mixed = JSON.stringify({ entry: [{ resource: { resourceType: 'Observation' }, request: { method: 'PUT', url: 'Patient/1' } }] });
  await expect(checkBundleScopes(noDb, patientWriter, mixed)).rejects.toThrow('the database was used');
});

test('an API key session passes every check without a query; an allowed token scope too', async () => {
  const key = clinicSession(clinic, 'api-key');
  await expect(checkScope(noDb, key, 'Observation', 'delete')).resolves.toBeUndefined();
  await expect(checkRequestScope(noDb, key, 'DELETE', '/Observation/1')).resolves.toBeUndefined();
  await expect(checkBundleScopes(noDb, key, '{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}}]}')).resolves.toBeUndefined();
  const token = clinicSession(clinic, 'smart-token', ['system/Observation.rs', 'system/Patient.c']);
  await expect(checkRequestScope(noDb, token, 'GET', '/Observation')).resolves.toBeUndefined();
  await expect(
    checkBundleScopes(noDb, token, '{"entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}'),
  ).resolves.toBeUndefined();
  // Malformed bodies pass on to the push, which refuses them itself.
  await expect(checkBundleScopes(noDb, token, '{not json')).resolves.toBeUndefined();
});

test('a token without the scope is refused, and the refusal is audited first (here: the store is asked)', async () => {
  const token = clinicSession(clinic, 'smart-token', ['system/Observation.rs']);
  await expect(checkRequestScope(noDb, token, 'DELETE', '/Observation/1')).rejects.toThrow('the database was used');
  await expect(checkBundleScopes(noDb, token, '{"entry":[{"resource":{"resourceType":"Patient"}}]}')).rejects.toThrow('the database was used');
});
