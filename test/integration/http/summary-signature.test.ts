/**
 * Summaries as verifiable documents beyond `$summary`: the IPS inside a SMART Health Link carries the same
 * Bundle.signature (the recipient abroad verifies it against /log/jwks.json), and a summary's facts and the versions
 * it names are read in one snapshot (store/db inSnapshot), so a write committed in between is not seen by either.
 */
import { canonicalize } from 'json-canonicalize';
import { flattenedVerify, importJWK } from 'jose';
import { LOG_PROOF_EXTENSION, SOURCE_VERSION_EXTENSION } from '../../../bridge/access/proofs';
import { parseVkey } from '../../../bridge/log/note';
import { verifyProofOffline } from '../../../bridge/log/proof';
import { openInternationalPatientSummary } from '../../../bridge/shl/opener';
import { inSnapshot } from '../../../bridge/store/db';
import { currentVersions } from '../../../bridge/store/pull';
import { api } from '../../helpers/fixtures';
import { patientToken } from '../../helpers/patient-session';
import { patientBundle } from '../../helpers/people';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let A: { id: string; apiKey: string };
let patientId = '';

beforeAll(async () => {
  bridge = await startTestBridge({ logIntervalMs: 3_600_000 });
  A = await bridge.clinic('Signed A');
  const push = await api(bridge.url, A.apiKey, 'POST', '/fhir', patientBundle({ id: 's1', family: 'Signed', given: 'Sam', birthDate: '1975-05-05' }));
  expect(push.status).toBe(200);
  patientId = push.body.entry[0].response.location.split('/')[1];
  await bridge.verifiableLog.integrate();
});
afterAll(() => bridge?.close());

/** Verifies a document's detached JWS (Bundle.signature.data) with the bridge's JWKS; throws when it does not verify. */
async function verifySignature(doc: any): Promise<void> {
  const jwks = (await fetch(`${bridge.url}/log/jwks.json`).then((r) => r.json())) as { keys: any[] };
  const key = await importJWK(jwks.keys[0], 'EdDSA');
  const [h, empty, s] = Buffer.from(doc.signature.data, 'base64').toString('utf8').split('.');
  expect(empty).toBe('');
  const { signature: _s, id: _i, meta: _m, ...rest } = doc;
  await flattenedVerify({ protected: h, payload: Buffer.from(canonicalize(rest)).toString('base64url'), signature: s }, key);
}

describe('a SMART Health Link summary', () => {
  it('carries a Bundle.signature that verifies against /log/jwks.json, and entries with their source version and proof', async () => {
    const token = await patientToken(bridge.database.db, patientId);
    const made = await fetch(`${bridge.url}/shl`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'Trip' }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect(made.status).toBe(201);
    const ips: any = await openInternationalPatientSummary(made.body.viewerUrl, { recipient: 'Clinic abroad' });
    expect(ips.signature).toMatchObject({ sigFormat: 'application/jose', who: { display: expect.stringContaining('fhir-anchor-bridge') } });
    await verifySignature(ips);
    const changed = JSON.parse(JSON.stringify(ips));
    changed.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.birthDate = '1976-05-05';
    await expect(verifySignature(changed)).rejects.toThrow();

    const entry = ips.entry.find((e: any) => e.resource.resourceType === 'Patient');
    expect(entry.extension.find((x: any) => x.url === SOURCE_VERSION_EXTENSION).valueReference.reference).toBe(`Patient/${patientId}/_history/1`);
    const proof = JSON.parse(entry.extension.find((x: any) => x.url === LOG_PROOF_EXTENSION).valueString);
    expect(proof.served.form).toBe('derived');
    const stored = await api(bridge.url, A.apiKey, 'GET', `/fhir/Patient/${patientId}/_history/1`);
    expect(verifyProofOffline(proof, stored.body, [parseVkey(bridge.verifiableLog.vkey)])).toMatchObject({ ok: true });
  });
});

describe('one snapshot for facts and versions', () => {
  it('a version committed between two reads of one snapshot is seen by neither; the next summary names it', async () => {
    const read = await api(bridge.url, A.apiKey, 'GET', `/fhir/Patient/${patientId}`);
    const before = Number(read.body.meta.versionId);
    const seen = await inSnapshot(bridge.database.db, async (tx) => {
      const first = (await currentVersions(tx, [patientId])).get(patientId)!.version;
      // A write from another connection commits between the snapshot's reads.
      const put = await api(bridge.url, A.apiKey, 'PUT', `/fhir/Patient/${patientId}`, { ...read.body, gender: 'other' });
      expect(put.status).toBe(200);
      const second = (await currentVersions(tx, [patientId])).get(patientId)!.version;
      return [first, second];
    });
    expect(seen).toEqual([before, before]);
    expect((await currentVersions(bridge.database.db, [patientId])).get(patientId)!.version).toBe(before + 1);
    const doc = (await api(bridge.url, A.apiKey, 'GET', `/fhir/Patient/${patientId}/$summary`)).body;
    const entry = doc.entry.find((e: any) => e.resource.resourceType === 'Patient');
    expect(entry.resource.gender).toBe('other');
    expect(entry.resource.meta.versionId).toBe(String(before + 1));
  });
});
