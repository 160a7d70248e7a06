/**
 * Proofs in Bulk Data exports (`_proofs=true`: a proofs file beside each resource file, line for line), and proofs
 * never reaching past a patient's restriction: a withheld resource's `$proof` answers exactly like its read (404),
 * and no restricted pull, search, timeline, summary or export carries a proof of a withheld entry.
 */
import { randomBytes } from 'node:crypto';
import { LOG_PROOFS_OUTPUT_EXTENSION } from '../../../bridge/http/routes/export';
import { parseVkey } from '../../../bridge/log/note';
import { verifyProofOffline } from '../../../bridge/log/proof';
import { LOG_PROOF_EXTENSION } from '../../../bridge/access/proofs';
import { api } from '../../helpers/fixtures';
import { located } from '../../helpers/people';
import { patientToken } from '../../helpers/patient-session';
import { startTestBridge, type TestBridge } from '../../helpers/server';
import { waitFor } from '../../helpers/wait';

type Clinic = { id: string; apiKey: string };
let bridge: TestBridge;
let A: Clinic, C: Clinic;
let pa = '';
const ids: Record<string, string> = {};
const PASSPORT = 'http://hl7.org/fhir/sid/passport-DEU';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const keys = () => [parseVkey(bridge.verifiableLog.vkey)];
const call = (c: Clinic, method: string, path: string, headers?: Record<string, string>) => api(bridge.url, c.apiKey, method, path, undefined, headers);

const put = (resource: Record<string, unknown>) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
const patient = (id: string, passport: string) =>
  put({
    resourceType: 'Patient',
    id,
    name: [{ family: 'Novak', given: ['Eva'] }],
    birthDate: '1985-03-04',
    identifier: [{ system: PASSPORT, value: passport }],
  });
const condition = (id: string, pid: string, code: string) =>
  put({
    resourceType: 'Condition',
    id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }] },
    subject: { reference: `Patient/${pid}` },
    onsetDateTime: '2023-01-01',
  });
const observation = (id: string, pid: string) =>
  put({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
    subject: { reference: `Patient/${pid}` },
    effectiveDateTime: '2024-05-01T10:00:00Z',
  });

beforeAll(async () => {
  bridge = await startTestBridge({ logIntervalMs: 3_600_000 });
  A = await bridge.clinic('Klinik A');
  C = await bridge.clinic('Clinica C');
  const passport = `P${randomBytes(4).toString('hex').toUpperCase()}`;
  const a = await api(bridge.url, A.apiKey, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [patient('a1', passport), observation('obs', 'a1'), condition('dep', 'a1', 'F32.9'), condition('htn', 'a1', 'I10')],
  });
  expect(a.status).toBe(200);
  pa = located(a.body, 0).slice(8);
  ids.obs = located(a.body, 1).slice(12);
  ids.depression = located(a.body, 2).slice(10);
  ids.hypertension = located(a.body, 3).slice(10);
  expect((await api(bridge.url, C.apiKey, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [patient('c1', passport)] })).status).toBe(
    200,
  );
  // The patient grants C everything except mental health (the depression is withheld from C).
  const token = await patientToken(bridge.database.db, pa, ['patient/*.cruds', 'launch/patient', 'openid', 'fhirUser']);
  const consent = await api(bridge.url, token, 'POST', '/fhir/Consent', {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${pa}` },
    provision: {
      type: 'permit',
      actor: [
        {
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
          reference: { reference: `Organization/${C.id}` },
        },
      ],
      provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }],
    },
  });
  expect(consent.status).toBe(201);
  await bridge.verifiableLog.integrate();
});
afterAll(() => bridge?.close());

/** Runs a Patient-level export for `clinic` and returns the manifest once completed. */
async function exportManifest(
  clinic: Clinic,
  query = '',
): Promise<{ output: { type: string; url: string; count: number; extension?: Record<string, string> }[] }> {
  const kick = await call(clinic, 'GET', `/fhir/Patient/$export${query}`, { prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const status = new URL(kick.headers.get('content-location')!).pathname;
  return waitFor(async () => {
    const r = await call(clinic, 'GET', status);
    return r.status === 200 && r.body;
  });
}

const lines = async (clinic: Clinic, url: string, type = 'application/fhir+ndjson'): Promise<any[]> => {
  const res = await fetch(`${bridge.url}${new URL(url).pathname}`, { headers: { authorization: `Bearer ${clinic.apiKey}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(new RegExp(`^${type.replace('+', '\\+')}`));
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
};

/** Every resource line of the export with its proof line; asserts the manifest pairs each resource file with one proofs file. */
async function exportedWithProofs(clinic: Clinic): Promise<{ resource: any; proof: any }[]> {
  const manifest = await exportManifest(clinic, '?_proofs=true');
  const resources = manifest.output.filter((o) => !o.extension);
  const proofFiles = manifest.output.filter((o) => o.extension?.[LOG_PROOFS_OUTPUT_EXTENSION]);
  expect(proofFiles).toHaveLength(resources.length);
  const pairs: { resource: any; proof: any }[] = [];
  for (const r of resources) {
    const p = proofFiles.find((o) => o.extension![LOG_PROOFS_OUTPUT_EXTENSION] === r.url);
    expect(p).toMatchObject({ type: r.type, count: r.count });
    const [rs, ps] = [await lines(clinic, r.url), await lines(clinic, p!.url, 'application/x-ndjson')];
    expect(ps).toHaveLength(rs.length);
    rs.forEach((resource, i) => pairs.push({ resource, proof: ps[i] }));
  }
  return pairs;
}

describe('$export?_proofs=true', () => {
  it('writes a proofs file per resource file, listed in the manifest with its type and a log-proofs extension; every line verifies with its proof line', async () => {
    const pairs = await exportedWithProofs(A);
    expect(pairs.map((p) => p.resource.id).sort()).toEqual([pa, ids.obs, ids.depression, ids.hypertension].sort());
    for (const { resource, proof } of pairs) {
      expect(proof.served).toMatchObject({ form: 'as-committed' });
      expect(verifyProofOffline(proof, resource, keys())).toMatchObject({ ok: true });
    }
    // Line order matters: the proof of one line does not verify another.
    expect(verifyProofOffline(pairs[0].proof, pairs[1].resource, keys())).toMatchObject({ ok: false, reason: 'document-mismatch' });
  });

  it('lists no proofs files when not asked, and refuses a _proofs value that is neither true nor false (400)', async () => {
    const plain = await exportManifest(A);
    expect(plain.output.length).toBeGreaterThan(0);
    expect(plain.output.every((o) => o.extension === undefined)).toBe(true);
    const bad = await call(A, 'GET', '/fhir/Patient/$export?_proofs=yes', { prefer: 'respond-async' });
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
  });
});

describe('a withheld resource', () => {
  it('has a $proof that answers exactly like its read and vread: 404 with the same OperationOutcome', async () => {
    const read = await call(C, 'GET', `/fhir/Condition/${ids.depression}`);
    expect(read.status).toBe(404);
    const proof = await call(C, 'GET', `/fhir/Condition/${ids.depression}/$proof`);
    expect(proof.status).toBe(404);
    expect(proof.body).toEqual(read.body);
    const vread = await call(C, 'GET', `/fhir/Condition/${ids.depression}/_history/1`);
    const vproof = await call(C, 'GET', `/fhir/Condition/${ids.depression}/_history/1/$proof`);
    expect([vread.status, vproof.status]).toEqual([404, 404]);
    expect(vproof.body).toEqual(vread.body);
    // What C may read it may prove.
    expect((await call(C, 'GET', `/fhir/Condition/${ids.hypertension}/$proof`)).status).toBe(200);
  });

  it('never has its proof in a restricted pull, search, timeline, summary or export', async () => {
    const leafIds = (proofs: any[]) => proofs.filter((p) => p && p.leaf).map((p) => p.leaf.id);
    const entryProofs = (bundle: any) =>
      (bundle.entry ?? []).map((e: any) => {
        const ext = (e.extension ?? []).find((x: any) => x.url === LOG_PROOF_EXTENSION);
        return ext ? JSON.parse(ext.valueString) : null;
      });

    const everything = await call(C, 'GET', `/fhir/Patient/${pa}/$everything?_proofs=true`);
    expect(everything.status).toBe(200);
    const proved = leafIds(entryProofs(everything.body));
    expect(proved).toEqual(expect.arrayContaining([ids.obs, ids.hypertension]));
    expect(proved).not.toContain(ids.depression);

    const search = await call(C, 'GET', `/fhir/Condition?patient=${pa}&_proofs=true`);
    expect(leafIds(entryProofs(search.body))).toEqual([ids.hypertension]);

    const timeline = await call(C, 'GET', `/patients/${pa}/history?_proofs=true`);
    expect(timeline.status).toBe(200);
    const events = leafIds(timeline.body.events.map((e: any) => e.proof));
    expect(events).toContain(ids.hypertension);
    expect(events).not.toContain(ids.depression);

    const summary = await call(C, 'GET', `/fhir/Patient/${pa}/$summary`);
    expect(summary.status).toBe(200);
    expect(leafIds(entryProofs(summary.body))).not.toContain(ids.depression);
    expect(JSON.stringify(summary.body)).not.toContain(ids.depression);

    const pairs = await exportedWithProofs(C);
    expect(pairs.map((p) => p.resource.id)).toEqual(expect.arrayContaining([ids.obs, ids.hypertension]));
    expect(pairs.map((p) => p.resource.id)).not.toContain(ids.depression);
    expect(leafIds(pairs.map((p) => p.proof))).not.toContain(ids.depression);
    for (const { resource, proof } of pairs) expect(verifyProofOffline(proof, resource, keys())).toMatchObject({ ok: true });
  });
});
