/**
 * Proofs of what a reader was served, through HTTP: `$proof` of a read or vread (200, 202 while pending, 404 like the
 * read), `$everything?_proofs=true` with one proof per entry, and redacted pulls saying what a full-access reader verifies.
 */
import { canonicalize } from 'json-canonicalize';
import { compactVerify, flattenedVerify, importJWK } from 'jose';
import { parseVkey } from '../../../bridge/log/note';
import { verifyProofOffline } from '../../../bridge/log/proof';
import { promiseFromHeader, verifyPromise } from '../../../bridge/log/promise';
import {
  LOG_PAGE_LEAVES_EXTENSION,
  LOG_PAGE_PROOF_EXTENSION,
  LOG_PROOF_EXTENSION,
  LOG_PROOF_PENDING_EXTENSION,
  SOURCE_VERSION_EXTENSION,
} from '../../../bridge/access/proofs';
import { entryProofs, expandPageProof, pageLeafEntries } from '../../../bridge/log/page-proof';
import { AUDIT_CHAIN_EXTENSION } from '../../../bridge/fhir/audit-event';
import { b64, fromB64, hex } from '../../../bridge/log/bytes';
import { commitment } from '../../../bridge/log/entry';
import { api } from '../../helpers/fixtures';
import { patientToken } from '../../helpers/patient-session';
import { patientBundle } from '../../helpers/people';
import { startTestBridge, type TestBridge } from '../../helpers/server';

let bridge: TestBridge;
let A: { id: string; apiKey: string };
let B: { id: string; apiKey: string };
let patientId = '';
let obsId = '';
const keys = () => [parseVkey(bridge.verifiableLog.vkey)];
const flip = (h: string): string => b64(fromB64(h).map((x, j) => (j === 0 ? x ^ 1 : x)));
const get = (key: string, path: string) => api(bridge.url, key, 'GET', path);
const reads = async (clinicId: string): Promise<number> =>
  (await bridge.database.db.query("SELECT count(*)::int AS n FROM audit_event WHERE clinic_id = $1 AND action = 'read'", [clinicId])).rows[0].n;

beforeAll(async () => {
  // An hour between checkpoints: entries stay pending until the test integrates them.
  bridge = await startTestBridge({ logIntervalMs: 3_600_000 });
  A = await bridge.clinic('Proof A');
  B = await bridge.clinic('Proof B');
  const bundle = patientBundle({ id: 'p1', family: 'Proof', given: 'Ada', birthDate: '1970-01-01' }) as any;
  // A reference to a record the clinic never sent: pulls serve it as display text only (bridge/pull/references.ts).
  bundle.entry[1].resource.performer = [{ reference: 'Practitioner/never-sent', display: 'Dr Who' }];
  const push = await api(bridge.url, A.apiKey, 'POST', '/fhir', bundle);
  expect(push.status).toBe(200);
  patientId = push.body.entry[0].response.location.split('/')[1];
  obsId = push.body.entry[1].response.location.split('/')[1];
});
afterAll(() => bridge?.close());

describe('extension URLs', () => {
  it('live under the project base https://fhir-anchor-bridge.dev/StructureDefinition/, as the audit extensions do', () => {
    const base = 'https://fhir-anchor-bridge.dev/StructureDefinition/';
    expect([LOG_PROOF_EXTENSION, LOG_PROOF_PENDING_EXTENSION, SOURCE_VERSION_EXTENSION, AUDIT_CHAIN_EXTENSION]).toEqual(
      ['log-proof', 'log-proof-pending', 'source-version', 'audit-chain'].map((n) => base + n),
    );
  });
});

describe('$proof of a read', () => {
  it('answers 202 with Retry-After and an OperationOutcome while the version waits for its checkpoint', async () => {
    const res = await get(A.apiKey, `/fhir/Observation/${obsId}/$proof`);
    expect(res.status).toBe(202);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('answers the fhir-anchor-proof/1 JSON, which verifies against what the read returned and not a changed copy', async () => {
    await bridge.verifiableLog.integrate();
    const read = await get(A.apiKey, `/fhir/Observation/${obsId}`);
    const before = await reads(A.id);
    const res = await get(A.apiKey, `/fhir/Observation/${obsId}/$proof`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ version: 'fhir-anchor-proof/1', served: { form: 'as-committed' } });
    expect(await reads(A.id)).toBe(before + 1); // audited like the read
    expect(verifyProofOffline(res.body, read.body, keys())).toMatchObject({ ok: true, signedBy: [bridge.verifiableLog.origin] });
    expect(verifyProofOffline(res.body, { ...read.body, status: 'amended' }, keys())).toMatchObject({ ok: false, reason: 'document-mismatch' });

    const v = await get(A.apiKey, `/fhir/Observation/${obsId}/_history/1/$proof`);
    expect(v.status).toBe(200);
    expect(verifyProofOffline(v.body, read.body, keys())).toMatchObject({ ok: true });
  });

  it("answers exactly like the read for another clinic's record, an unknown version and a malformed one (404)", async () => {
    const read = await get(B.apiKey, `/fhir/Observation/${obsId}`);
    const proof = await get(B.apiKey, `/fhir/Observation/${obsId}/$proof`);
    expect(read.status).toBe(404);
    expect(proof.status).toBe(404);
    expect(proof.body).toEqual(read.body);
    const vread = await get(B.apiKey, `/fhir/Observation/${obsId}/_history/1`);
    const vproof = await get(B.apiKey, `/fhir/Observation/${obsId}/_history/1/$proof`);
    expect([vread.status, vproof.status]).toEqual([404, 404]);
    expect(vproof.body).toEqual(vread.body);
    expect((await get(A.apiKey, `/fhir/Observation/${obsId}/_history/9/$proof`)).status).toBe(404);
    expect((await get(A.apiKey, `/fhir/Observation/${obsId}/_history/x/$proof`)).status).toBe(404);
    expect((await get(A.apiKey, `/fhir/Nonsense/${obsId}/$proof`)).status).toBe(404);
  });
});

describe('$everything?_proofs=true', () => {
  it('carries a proof in each entry (entry.extension), and a redacted entry says what a full-access reader verifies', async () => {
    await bridge.verifiableLog.integrate();
    const page = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=true`);
    expect(page.status).toBe(200);
    expect(page.body.entry.length).toBeGreaterThanOrEqual(2);
    for (const e of page.body.entry) {
      const ext = e.extension.find((x: any) => x.url === LOG_PROOF_EXTENSION);
      const proof = JSON.parse(ext.valueString);
      // The page assembles its proof text from shared pieces: it is exactly the JSON of the proof `$proof` gives.
      const single = await get(A.apiKey, `/fhir/${e.resource.resourceType}/${e.resource.id}/_history/${e.resource.meta.versionId}/$proof`);
      expect(ext.valueString).toBe(JSON.stringify({ ...single.body, served: proof.served }));
      if (e.resource.id === obsId) {
        expect(proof.served.form).toBe('redacted');
        expect(proof.served.note).toMatch(/full access/);
        expect(e.resource.performer[0].reference).toBeUndefined();
        // The served copy is not what the leaf commits to; the stored one (as a full-access read returns it) is.
        expect(verifyProofOffline(proof, e.resource, keys())).toMatchObject({ ok: false, reason: 'document-mismatch' });
        const full = await get(A.apiKey, `/fhir/Observation/${obsId}`);
        expect(verifyProofOffline(proof, full.body, keys())).toMatchObject({ ok: true });
      } else {
        expect(proof.served.form).toBe('as-committed');
        expect(verifyProofOffline(proof, e.resource, keys())).toMatchObject({ ok: true });
      }
    }
    const plain = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything`);
    expect(plain.body.entry.every((e: any) => e.extension === undefined)).toBe(true);
  });

  it('refuses a _proofs value that is neither true nor false (400), and proves nothing to a clinic without access (404)', async () => {
    const bad = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=yes`);
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    expect((await get(B.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=true`)).status).toBe(404);
  });
});

/** A `_proofs=page` Bundle's page proofs, and each entry's page entry from its leaf columns (null: none, e.g. pending). */
const pageProofsOf = (body: any): any[] =>
  (body.meta?.extension ?? []).filter((x: any) => x.url === LOG_PAGE_PROOF_EXTENSION).map((x: any) => JSON.parse(x.valueString));
const pageEntriesOf = (body: any) => {
  const columns = (body.meta?.extension ?? []).find((x: any) => x.url === LOG_PAGE_LEAVES_EXTENSION);
  return columns
    ? pageLeafEntries(
        JSON.parse(columns.valueString),
        body.entry.map((e: any) => e.resource),
      )
    : body.entry.map(() => null);
};

describe('$everything?_proofs=page', () => {
  it('carries each distinct sibling once: expanded, every entry has exactly the proof _proofs=true gives, and it verifies', async () => {
    await bridge.verifiableLog.integrate();
    // One after the other: each is an audited read of the person, and their audit chain's order is the commit order.
    const page = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=page`);
    const full = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=true`);
    expect(page.status).toBe(200);
    const pages = pageProofsOf(page.body);
    expect(pages.length).toBeGreaterThanOrEqual(1);
    // The leaves travel in columns in Bundle.meta: an entry itself carries nothing.
    expect(page.body.entry.every((e: any) => e.extension === undefined)).toBe(true);
    const entries = pageEntriesOf(page.body);
    expect(entries.every(Boolean)).toBe(true);
    const expanded = entryProofs(pages, entries);
    const byId = new Map(full.body.entry.map((e: any) => [e.resource.id, JSON.parse(e.extension.find((x: any) => x.url === LOG_PROOF_EXTENSION).valueString)]));
    page.body.entry.forEach((e: any, i: number) => {
      expect(expanded[i]).toEqual(byId.get(e.resource.id));
      if (entries[i]?.served === 'as-committed') expect(verifyProofOffline(expanded[i], e.resource, keys())).toMatchObject({ ok: true });
    });
    // Each sibling once: fewer hashes than the separate proofs hold, and a smaller page.
    const separate = [...byId.values()].reduce((n: number, p: any) => n + p.tlogProof.split('\n').length, 0);
    expect(pages.reduce((n: number, p: any) => n + p.hashes.length, 0)).toBeLessThan(separate);
    expect(JSON.stringify(page.body).length).toBeLessThan(JSON.stringify(full.body).length);
  });

  it('a changed sibling fails the entries whose paths use it (inclusion); a missing or extra one proves nothing (null)', async () => {
    const page = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=page`);
    const pages = pageProofsOf(page.body);
    const entries = pageEntriesOf(page.body);
    const resources = page.body.entry.map((e: any) => e.resource);
    const check = (ps: any[]) => entryProofs(ps, entries).map((p, i) => (p ? verifyProofOffline(p, resources[i], keys()) : null));
    const first = pages[0];
    const flipped = [{ ...first, hashes: [flip(first.hashes[0]), ...first.hashes.slice(1)] }, ...pages.slice(1)];
    const results = check(flipped);
    expect(results.some((r) => r && !r.ok && r.reason === 'inclusion')).toBe(true);
    expect(check([{ ...first, hashes: first.hashes.slice(1) }, ...pages.slice(1)]).filter((_, i) => entries[i]?.page === 0)).toEqual(
      entries.filter((e: any) => e?.page === 0).map(() => null),
    );
    // A changed salt or leaf index in the columns: that entry's leaf is another (inclusion), the others still verify.
    const columns = JSON.parse(page.body.meta.extension.find((x: any) => x.url === LOG_PAGE_LEAVES_EXTENSION).valueString);
    const forge = (change: (c: any) => void) => {
      const c = structuredClone(columns);
      change(c);
      return entryProofs(pages, pageLeafEntries(c, resources)).map((p, i) => (p ? verifyProofOffline(p, resources[i], keys()) : null));
    };
    const baseline = forge(() => undefined);
    const at = columns.entry[0];
    expect(baseline[at]).toMatchObject({ ok: true });
    const salted = forge((c) => (c.salt[0] = `0x${'0'.repeat(64)}`));
    expect(salted[at]).toMatchObject({ ok: false, reason: 'inclusion' });
    const moved = forge((c) => (c.index[0] = c.index[0] + 1));
    expect(moved[at]?.ok ?? false).toBe(false); // another leaf's path, or none in the page proof
    for (const forged of [salted, moved]) expect(forged.filter((_, i) => i !== at)).toEqual(baseline.filter((_, i) => i !== at));
    expect(() => expandPageProof({ ...first, hashes: [...first.hashes, first.hashes[0]] })).toThrow(/more hashes/);
    expect(() => expandPageProof({ ...first, indices: [...first.indices].reverse() })).toThrow(first.indices.length > 1 ? RangeError : /./);
  });

  it('is for $everything only (search answers 400 to it, as to any value but true or false), and proves nothing to a clinic without access (404)', async () => {
    const res = await get(A.apiKey, `/fhir/Observation?patient=Patient/${patientId}&_proofs=page`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const bad = await get(A.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=pages`);
    expect(bad.status).toBe(400);
    // A clinic without access gets the read's own 404, page proofs or not.
    const other = await get(B.apiKey, `/fhir/Patient/${patientId}/$everything?_proofs=page`);
    expect(other.status).toBe(404);
    expect(other.body.resourceType).toBe('OperationOutcome');
  });
});

describe('search with _proofs=true', () => {
  it('carries each match its proof, which verifies against the matched resource', async () => {
    const res = await get(A.apiKey, `/fhir/Observation?patient=Patient/${patientId}&_proofs=true`);
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(1);
    const e = res.body.entry[0];
    const proof = JSON.parse(e.extension.find((x: any) => x.url === LOG_PROOF_EXTENSION).valueString);
    expect(verifyProofOffline(proof, e.resource, keys())).toMatchObject({ ok: true });
    expect(verifyProofOffline(proof, { ...e.resource, id: patientId }, keys())).toMatchObject({ ok: false, reason: 'document-mismatch' });
    expect((await get(A.apiKey, `/fhir/Observation?patient=Patient/${patientId}`)).body.entry[0].extension).toBeUndefined();
    expect((await get(A.apiKey, `/fhir/Observation?patient=Patient/${patientId}&_proofs=1`)).status).toBe(400);
  });
});

describe('$summary signed', () => {
  const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
  const signingInput = (bundle: any) => {
    const { signature: _s, id: _i, meta: _m, ...rest } = bundle;
    return canonicalize(rest);
  };

  it('carries a Bundle.signature: a detached EdDSA JWS over the canonical document, verifiable with the JWKS; a changed summary fails', async () => {
    await bridge.verifiableLog.integrate();
    const res = await get(A.apiKey, `/fhir/Patient/${patientId}/$summary`);
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.signature).toMatchObject({
      type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.5', display: 'Verification Signature' }],
      sigFormat: 'application/jose',
      who: { display: expect.stringContaining('fhir-anchor-bridge') },
    });
    expect(Date.parse(doc.signature.when)).not.toBeNaN();
    const jwks = (await fetch(`${bridge.url}/log/jwks.json`).then((r) => r.json())) as { keys: any[] };
    expect(jwks.keys).toHaveLength(1);
    const key = await importJWK(jwks.keys[0], 'EdDSA');
    const [h, empty, s] = Buffer.from(doc.signature.data, 'base64').toString('utf8').split('.');
    expect(empty).toBe(''); // detached (RFC 7515 Appendix F)
    const ok = await flattenedVerify({ protected: h, payload: b64url(signingInput(doc)), signature: s }, key);
    expect(JSON.parse(Buffer.from(h, 'base64url').toString()).alg).toBe('EdDSA');
    expect(ok.payload.length).toBeGreaterThan(0);
    const compact = await compactVerify(`${h}.${b64url(signingInput(doc))}.${s}`, key);
    expect(compact.protectedHeader.kid).toBe(jwks.keys[0].kid);
    const changed = JSON.parse(JSON.stringify(doc));
    changed.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.birthDate = '1971-01-01';
    await expect(flattenedVerify({ protected: h, payload: b64url(signingInput(changed)), signature: s }, key)).rejects.toThrow();
  });

  it('names the resource version each entry was made from, with its proof of that stored version', async () => {
    const doc = (await get(A.apiKey, `/fhir/Patient/${patientId}/$summary`)).body;
    const entry = doc.entry.find((e: any) => e.resource.resourceType === 'Patient');
    const source = entry.extension.find((x: any) => x.url === SOURCE_VERSION_EXTENSION).valueReference.reference;
    expect(source).toBe(`Patient/${patientId}/_history/1`);
    expect(entry.resource.meta.versionId).toBe('1');
    const proof = JSON.parse(entry.extension.find((x: any) => x.url === LOG_PROOF_EXTENSION).valueString);
    expect(proof.served.form).toBe('derived');
    const stored = await get(A.apiKey, `/fhir/${source}`);
    expect(verifyProofOffline(proof, stored.body, keys())).toMatchObject({ ok: true });
    expect(doc.entry.find((e: any) => e.resource.resourceType === 'Composition').extension).toBeUndefined();
  });
});

describe('timeline with _proofs=true', () => {
  it('names the source version of each event and carries its proof, which verifies against that stored version', async () => {
    await bridge.verifiableLog.integrate();
    const plain = await get(A.apiKey, `/patients/${patientId}/history`);
    expect(plain.status).toBe(200);
    expect(plain.body.events.length).toBeGreaterThan(0);
    expect(plain.body.events.every((e: any) => e.version === 1 && e.proof === undefined)).toBe(true);
    const res = await get(A.apiKey, `/patients/${patientId}/history?_proofs=true`);
    const event = res.body.events.find((e: any) => e.resourceId === obsId);
    expect(event.proof.served.form).toBe('derived');
    const stored = await get(A.apiKey, `/fhir/${event.resourceType}/${event.resourceId}/_history/${event.version}`);
    expect(verifyProofOffline(event.proof, stored.body, keys())).toMatchObject({ ok: true });
    expect((await get(A.apiKey, `/patients/${patientId}/history?_proofs=no`)).status).toBe(400);
  });
});

describe('signed inclusion promises (X-Log-Promise)', () => {
  it('promises each audited response its audit entry, and the entry is then provable with a leaf hash equal to the promise', async () => {
    const read = await get(A.apiKey, `/fhir/Observation/${obsId}`);
    const header = read.headers.get('x-log-promise');
    expect(header).toBeTruthy();
    const notes = header!.split(',').map((v) => promiseFromHeader(v));
    expect(notes).toHaveLength(1);
    const promised = verifyPromise(notes[0], keys()[0]);
    const row = (await bridge.database.db.query('SELECT recorded, action, clinic_id FROM audit_event WHERE id = $1', [promised.auditId])).rows[0];
    expect(row).toMatchObject({ action: 'read', clinic_id: A.id });
    expect(promised.deadline).toBe(Math.ceil((new Date(row.recorded).getTime() + 60_000) / 1000));
    expect(promised.origin).toBe(bridge.verifiableLog.origin);
    // A forged promise (changed hash) does not verify.
    expect(() => verifyPromise(notes[0].replace(/^hash .*$/m, `hash ${Buffer.alloc(32, 7).toString('base64')}`), keys()[0])).toThrow(/not signed/);

    const pending = await get(A.apiKey, `/fhir/AuditEvent/${promised.auditId}/$proof`);
    expect(pending.status).toBe(202);
    await bridge.verifiableLog.integrate();
    const proof = await get(A.apiKey, `/fhir/AuditEvent/${promised.auditId}/$proof`);
    expect(proof.status).toBe(200);
    expect(proof.body.leaf.kind).toBe('audit');
    expect(proof.body.leaf.hash).toBe(promised.hash);
    expect(verifyProofOffline(proof.body, undefined, keys())).toMatchObject({ ok: true });
    const record = await fetch(`${bridge.url}/fhir/AuditEvent/${promised.auditId}/$record`, { headers: { authorization: `Bearer ${A.apiKey}` } }).then((r) =>
      r.text(),
    );
    expect(verifyProofOffline(proof.body, record, keys())).toMatchObject({ ok: true });
    // Another clinic sees neither the entry nor its proof.
    const other = await get(B.apiKey, `/fhir/AuditEvent/${promised.auditId}/$proof`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual((await get(B.apiKey, `/fhir/AuditEvent/${promised.auditId}`)).body);
  });

  it('promises nothing on a response no audit record was written for', async () => {
    const res = await fetch(`${bridge.url}/fhir/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-log-promise')).toBeNull();
  });
});

describe("the patient's access log: each entry's place in their audit chain", () => {
  it('shows seq, prev and logged/queued per entry, the chain unbroken; the proof of an entry links to the one before', async () => {
    const token = await patientToken(bridge.database.db, patientId);
    for (let i = 0; i < 2; i++) expect((await get(A.apiKey, `/fhir/Patient/${patientId}`)).status).toBe(200);
    await bridge.verifiableLog.integrate();
    expect((await get(A.apiKey, `/fhir/Patient/${patientId}`)).status).toBe(200); // stays queued
    const log = await get(token, '/fhir/AuditEvent?_count=100');
    expect(log.status).toBe(200);
    const chains = log.body.entry.map((e: any) => {
      const ext = e.resource.extension.find((x: any) => x.url === AUDIT_CHAIN_EXTENSION);
      const sub = (u: string) => ext.extension.find((x: any) => x.url === u);
      return { id: e.resource.id, status: sub('status').valueCode, seq: sub('seq')?.valueInteger, prev: sub('prev')?.valueString };
    });
    expect(chains[0].status).toBe('queued'); // newest first: the read after the last checkpoint
    // Entries that name the patient's records without being about one person (a push of several) are logged but in no chain.
    const logged = chains.filter((c: any) => c.status === 'logged' && c.seq !== undefined).reverse();
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged.map((c: any) => c.seq)).toEqual(logged.map((_: any, i: number) => logged[0].seq + i));
    const [before, after] = logged.slice(-2);
    const p0 = (await get(token, `/fhir/AuditEvent/${before.id}/$proof`)).body;
    expect(after.prev).toBe(hex(commitment(p0.leaf)));
    expect(p0.leaf.chain.seq).toBe(before.seq);
  });
});

describe('$everything proofs of entries read with their leaves', () => {
  it('matches and followed references alike: pending until integrated, then proven; a version updated since is pending, then proven as that version', async () => {
    const bundle = patientBundle({ id: 'p-lv', family: 'Leaves', given: 'Lin', birthDate: '1981-02-03' }) as any;
    bundle.entry.push({ resource: { resourceType: 'Organization', id: 'org-lv', name: 'Lab' }, request: { method: 'PUT', url: 'Organization/org-lv' } });
    bundle.entry[1].resource.performer = [{ reference: 'Organization/org-lv' }];
    const push = await api(bridge.url, A.apiKey, 'POST', '/fhir', bundle);
    expect(push.status).toBe(200);
    const [pid, oid] = push.body.entry.map((e: any) => e.response.location.split('/')[1]);
    const path = `/fhir/Patient/${pid}/$everything`;
    const pendingOf = (e: any) => e.extension?.some((x: any) => x.url === LOG_PROOF_PENDING_EXTENSION && x.valueBoolean === true);
    const proven = async (form: 'page' | 'true') => {
      const res = await get(A.apiKey, `${path}?_proofs=${form}`);
      expect(res.status).toBe(200);
      const byType = (t: string) => res.body.entry.find((e: any) => e.resource.resourceType === t);
      expect(byType('Organization').search.mode).toBe('include');
      if (form === 'true') return { res, proofs: res.body.entry.map((e: any) => (pendingOf(e) ? 'pending' : JSON.parse(e.extension[0].valueString))) };
      const entries = pageEntriesOf(res.body);
      // Exactly the pending entries lack a leaf in the columns.
      expect(entries.map((e: any) => e === null)).toEqual(res.body.entry.map((e: any) => !!pendingOf(e)));
      const expanded = entryProofs(pageProofsOf(res.body), entries);
      return { res, proofs: entries.map((e: any, i: number) => (e ? expanded[i] : 'pending')) };
    };

    for (const form of ['page', 'true'] as const) {
      const { res, proofs } = await proven(form);
      expect(res.body.entry.length).toBe(3);
      expect(proofs).toEqual(['pending', 'pending', 'pending']);
    }
    await bridge.verifiableLog.integrate();
    for (const form of ['page', 'true'] as const) {
      const { res, proofs } = await proven(form);
      res.body.entry.forEach((e: any, i: number) => expect(verifyProofOffline(proofs[i], e.resource, keys())).toMatchObject({ ok: true }));
    }

    const obs = (await get(A.apiKey, `/fhir/Observation/${oid}`)).body;
    const put = await api(bridge.url, A.apiKey, 'PUT', `/fhir/Observation/${oid}`, { ...obs, status: 'amended' });
    expect(put.status).toBe(200);
    for (const form of ['page', 'true'] as const) {
      const { res, proofs } = await proven(form);
      res.body.entry.forEach((e: any, i: number) => {
        if (e.resource.id === oid) {
          expect(e.resource.meta.versionId).toBe('2');
          expect(proofs[i]).toBe('pending'); // version 2 has no leaf yet; version 1's proof would not be of what was served
        } else expect(verifyProofOffline(proofs[i], e.resource, keys())).toMatchObject({ ok: true });
      });
    }
    await bridge.verifiableLog.integrate();
    for (const form of ['page', 'true'] as const) {
      const { res, proofs } = await proven(form);
      const i = res.body.entry.findIndex((e: any) => e.resource.id === oid);
      expect(proofs[i].leaf.version).toBe(2);
      expect(verifyProofOffline(proofs[i], res.body.entry[i].resource, keys())).toMatchObject({ ok: true });
    }
  });
});
