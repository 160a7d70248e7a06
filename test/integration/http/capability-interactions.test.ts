/**
 * The CapabilityStatement's interactions and operations are promises too (its search parameters: capability-walk):
 * every interaction and operation it claims, on every type that claims it, is exercised here and answers as FHIR R4
 * says. A claim this walk does not know how to exercise fails the test, so the statement can't claim more than is tested.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let key: string;
let statement: CapabilityStatement;
let walkPatient: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  key = (await bridge.clinic('Clinic A')).apiKey;
  statement = (await api(bridge.url, key, 'GET', '/fhir/metadata')).body;
  walkPatient = (await api(bridge.url, key, 'PUT', '/fhir/Patient/walk-pt', { resourceType: 'Patient', id: 'walk-pt' })).body.id;
});
afterAll(async () => bridge?.close());

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(bridge.url, key, method, path, body, headers);
const rest = () => statement.rest![0];
const resources = (): CapabilityStatementRestResource[] => rest().resource!;

/** A valid resource of each type the full cycle walks (the others are walked without storing one). */
const MINIMAL: Record<string, Record<string, unknown>> = {
  Patient: { resourceType: 'Patient', name: [{ family: 'Walk' }] },
  Observation: { resourceType: 'Observation', status: 'final', code: { text: 'walk' } },
  Organization: { resourceType: 'Organization', name: 'Walk Org' },
  Condition: { resourceType: 'Condition', subject: { reference: 'Patient/walk-pt' }, code: { text: 'walk' } },
  Encounter: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } },
};

/**
 * A write of an empty resource of the type is stored (`created`), or refused because the type needs more (a 400
 * naming what is missing), never refused as a type or an interaction the bridge does not serve.
 */
const writeAnswer = (res: { status: number; body: any }, created: number): [boolean] => [
  res.status === created || (res.status === 400 && res.body.issue?.every((i: any) => i.code !== 'not-supported')),
];

/** How each type-level interaction is exercised on a type with no stored resource: what the claim promises. */
const TYPE_LEVEL: Record<string, (type: string) => Promise<void>> = {
  'search-type': async (type) => {
    // The access log is searched by the person it is about (its one claimed parameter).
    const query = type === 'AuditEvent' ? `patient=Patient/${walkPatient}` : '_count=1';
    const res = await call('GET', `/fhir/${type}?${query}`);
    expect([type, res.status, res.body.type]).toEqual([type, 200, 'searchset']);
  },
  'history-type': async (type) => {
    const res = await call('GET', `/fhir/${type}/_history?_count=1`);
    expect([type, res.status, res.body.type]).toEqual([type, 200, 'history']);
  },
  read: async (type) => {
    const res = await call('GET', `/fhir/${type}/walk-unknown`);
    expect([type, res.status, res.body.issue?.[0]?.code]).toEqual([type, 404, 'not-found']);
  },
  vread: async (type) => {
    const res = await call('GET', `/fhir/${type}/walk-unknown/_history/1`);
    expect([type, res.status, res.body.issue?.[0]?.code]).toEqual([type, 404, 'not-found']);
  },
  'history-instance': async (type) => {
    const res = await call('GET', `/fhir/${type}/walk-unknown/_history`);
    expect([type, res.status, res.body.issue?.[0]?.code]).toEqual([type, 404, 'not-found']);
  },
  create: async (type) => {
    const res = await call('POST', `/fhir/${type}`, { resourceType: type });
    expect([type, ...writeAnswer(res, 201)]).toEqual([type, true]);
  },
  update: async (type) => {
    const res = await call('PUT', `/fhir/${type}/walk-new`, { resourceType: type, id: 'walk-new' });
    expect([type, ...writeAnswer(res, 201)]).toEqual([type, true]);
  },
  patch: async (type) => {
    const res = await call('PATCH', `/fhir/${type}/walk-unknown`, '[]', { 'content-type': 'application/json-patch+json' });
    expect([type, res.status]).toEqual([type, 404]);
  },
  delete: async (type) => {
    // R4 http.html#delete: deleting what is not there is 204, or 404 where the server tells unknown ids apart.
    const res = await call('DELETE', `/fhir/${type}/walk-unknown`);
    expect([type, [204, 404].includes(res.status)]).toEqual([type, true]);
  },
};

/** How each operation a type claims is exercised with nothing stored. */
const TYPE_OPERATIONS: Record<string, (type: string) => Promise<void>> = {
  validate: async (type) => {
    const res = await call('POST', `/fhir/${type}/$validate`, { resourceType: type });
    expect([type, res.status, res.body.resourceType]).toEqual([type, 200, 'OperationOutcome']);
  },
  meta: async (type) => {
    const res = await call('GET', `/fhir/${type}/$meta`);
    expect([type, res.status, res.body.parameter?.[0]?.name]).toEqual([type, 200, 'return']);
  },
  everything: async (type) => {
    const res = await call('GET', `/fhir/${type}/walk-unknown/$everything`);
    expect([type, res.status]).toEqual([type, 404]);
  },
  summary: async (type) => {
    const res = await call('GET', `/fhir/${type}/walk-unknown/$summary`);
    expect([type, res.status]).toEqual([type, 404]);
  },
  export: async (type) => {
    const res = await call('GET', `/fhir/${type}/$export`, undefined, { prefer: 'respond-async' });
    expect([type, res.status, !!res.headers.get('content-location')]).toEqual([type, 202, true]);
  },
  // The consent-request decisions (bridge/http/routes/tasks.ts), on a Task that is not one.
  ...Object.fromEntries(
    ['approve', 'decline', 'revoke'].map((op) => [
      op,
      async (type: string) => {
        const res = await call('POST', `/fhir/${type}/walk-unknown/$${op}`, { resourceType: 'Parameters' });
        expect([type, op, res.status]).toEqual([type, op, 404]);
      },
    ]),
  ),
  match: async (type) => {
    const res = await call('POST', `/fhir/${type}/$match`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: { resourceType: 'Patient', name: [{ family: 'Nobody' }], birthDate: '1900-01-01' } }],
    });
    expect([type, res.status, res.body.type]).toEqual([type, 200, 'searchset']);
  },
};

test('every interaction each type claims is answered as claimed', async () => {
  for (const r of resources()) {
    for (const { code } of r.interaction!) {
      const exercise = TYPE_LEVEL[code];
      if (!exercise) throw new Error(`the statement claims ${code} on ${r.type}, which this walk does not exercise`);
      await exercise(r.type);
    }
  }
});

test('every operation each type claims is answered', async () => {
  for (const r of rest().resource!) {
    for (const op of r.operation ?? []) {
      const exercise = TYPE_OPERATIONS[op.name];
      if (!exercise) throw new Error(`the statement claims $${op.name} on ${r.type}, which this walk does not exercise`);
      await exercise(r.type);
    }
  }
});

test('the full cycle on the types with a minimal resource: create, read, vread, update, both patches, history, delete', async () => {
  for (const [type, resource] of Object.entries(MINIMAL)) {
    const created = await call('POST', `/fhir/${type}`, resource);
    expect([type, created.status]).toEqual([type, 201]);
    const id = created.body.id;
    expect((await call('GET', `/fhir/${type}/${id}`)).body.id).toBe(id);
    expect((await call('GET', `/fhir/${type}/${id}/_history/1`)).body.meta.versionId).toBe('1');
    expect((await call('PUT', `/fhir/${type}/${id}`, { ...resource, id, language: 'de' })).body.meta.versionId).toBe('2');
    const json = await call('PATCH', `/fhir/${type}/${id}`, JSON.stringify([{ op: 'replace', path: '/language', value: 'pt' }]), {
      'content-type': 'application/json-patch+json',
    });
    expect([type, json.status, json.body.language]).toEqual([type, 200, 'pt']);
    const fhirpath = await call('PATCH', `/fhir/${type}/${id}`, {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'operation',
          part: [
            { name: 'type', valueCode: 'delete' },
            { name: 'path', valueString: `${type}.language` },
          ],
        },
      ],
    });
    expect([type, fhirpath.status, fhirpath.body.language]).toEqual([type, 200, undefined]);
    expect((await call('GET', `/fhir/${type}/${id}/_history`)).body.total).toBe(4);
    expect((await call('GET', `/fhir/${type}/${id}/$meta`)).body.parameter[0].valueMeta.versionId).toBe('4');
    expect((await call('DELETE', `/fhir/${type}/${id}`)).status).toBe(204);
    expect((await call('GET', `/fhir/${type}/${id}`)).status).toBe(410);
    const typeHistory = await call('GET', `/fhir/${type}/_history?_count=1`);
    expect(typeHistory.body.entry[0].request).toEqual({ method: 'DELETE', url: `${type}/${id}` });
  }
});

test('every system-level interaction and operation is answered', async () => {
  const SYSTEM: Record<string, () => Promise<void>> = {
    transaction: async () => {
      const res = await call('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'GET', url: 'Patient?_count=1' } }],
      });
      expect([res.status, res.body.type]).toEqual([200, 'transaction-response']);
    },
    batch: async () => {
      const res = await call('POST', '/fhir', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/walk-pt' } }] });
      expect([res.status, res.body.type, res.body.entry[0].response.status]).toEqual([200, 'batch-response', '200 OK']);
    },
    'history-system': async () => {
      const res = await call('GET', '/fhir/_history?_count=2');
      expect([res.status, res.body.type, res.body.entry.length]).toEqual([200, 'history', 2]);
    },
  };
  for (const { code } of rest().interaction!) {
    if (!SYSTEM[code]) throw new Error(`the statement claims ${code} at system level, which this walk does not exercise`);
    await SYSTEM[code]();
  }
  const OPS: Record<string, () => Promise<void>> = {
    export: async () => {
      const res = await call('GET', '/fhir/$export', undefined, { prefer: 'respond-async' });
      expect(res.status).toBe(202);
    },
    meta: async () => {
      const res = await call('GET', '/fhir/$meta');
      expect([res.status, res.body.parameter[0].name]).toEqual([200, 'return']);
    },
  };
  for (const op of rest().operation ?? []) {
    if (!OPS[op.name]) throw new Error(`the statement claims $${op.name} at system level, which this walk does not exercise`);
    await OPS[op.name]();
  }
});
