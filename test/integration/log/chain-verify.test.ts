/**
 * The verifiable log against the real chain: a bridge as `npm start` runs it (embedded chain, each checkpoint the log
 * publishes anchored by AnchorRegistry.anchorCheckpoint). `fhir-bridge verify` of a resource's `$proof` and of a
 * bundle's log proof, and of a consistency proof between anchored checkpoints; the chain-side tamper cases (a size
 * never anchored → not-anchored, a root other than the chain's → anchor-mismatch, both under the log's own key);
 * `fhir-bridge monitor --rpc --contract` across runs, and a chain whose anchored size went down → shrink;
 * `/anchors/status` reports the log's anchoring.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEV_PRIVATE_KEY, startEmbeddedChain } from '../../../bridge/anchor/chain';
import { checkpointOnChain } from '../../../bridge/anchor/checkpoint-view';
import { closeMerkleWorker } from '../../../bridge/anchor/merkle';
import { hex } from '../../../bridge/log/bytes';
import { commitment } from '../../../bridge/log/entry';
import { formatCheckpoint, parseCheckpoint, parseNote, parseVkey, signNote } from '../../../bridge/log/note';
import {
  formatTlogProof,
  LOG_PAGE_ENTRY_EXTENSION,
  LOG_PAGE_LEAVES_EXTENSION,
  parseTlogProof,
  verifyProofOffline,
  type Proof,
} from '../../../bridge/log/proof';
import { pageLeafEntries } from '../../../bridge/log/page-proof';
import { remoteLog } from '../../../bridge/log/remote';
import { inclusionRanges, leafHash, rootFromInclusion } from '../../../bridge/log/rfc9162';
import { TileTree } from '../../../bridge/log/tiles';
import { runVerifyCommand } from '../../helpers/anchor/cli';
import { waitFor } from '../../helpers/anchor/bundles';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { api, fixtureBundle } from '../../helpers/fixtures';
import { startChainBridge, type ChainBridge } from '../../helpers/log/chain-bridge';
import { runCli } from '../../helpers/log/run-cli';
import { freePort } from '../../helpers/net';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-chain-verify-'));
const file = (name: string, v: unknown): string => {
  const f = path.join(dir, `${name}-${process.hrtime.bigint()}`);
  fs.writeFileSync(f, typeof v === 'string' ? v : JSON.stringify(v));
  return f;
};
const bundle = (tag: string): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fixtureBundle('transaction-patient-encounter.json')).replace(/A-1001/g, tag)) as Record<string, unknown>;

let database: TestDatabase;
let cb: ChainBridge;
let apiKey: string;
let pushed: { bundle: Record<string, unknown>; hash: string };
/** The anchored size once the first push settled. */
let firstSize: number;

async function push(b: Record<string, unknown>): Promise<string> {
  const res = await api(cb.bridge.url, apiKey, 'POST', '/fhir', b);
  expect(res.status).toBe(200);
  return res.headers.get('x-bundle-hash') as string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  cb = await startChainBridge(database);
  apiKey = await cb.clinicKey('Chain Verify Clinic');
  const b = bundle('CV-1');
  pushed = { bundle: b, hash: await push(b) };
  firstSize = await cb.settled();
});
afterAll(async () => {
  await cb?.close();
  await database?.drop();
  await closeMerkleWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rpc = (): string => cb.contract.rpcUrl;
const verify = (...args: string[]) => runCli(['verify', ...args, '--rpc', rpc()]);
const vkey = (): string => cb.bridge.verifiableLog.vkey;

/** The Patient as a reader gets it, and its `$proof` (to an anchored checkpoint once the log settled). */
async function patientWithProof(): Promise<{ read: Record<string, unknown>; proof: Proof }> {
  const id = (await cb.bridge.db.query("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id as string;
  const read = (await api(cb.bridge.url, apiKey, 'GET', `/fhir/Patient/${id}`)).body as Record<string, unknown>;
  const res = await api(cb.bridge.url, apiKey, 'GET', `/fhir/Patient/${id}/$proof`);
  expect(res.status).toBe(200);
  return { read, proof: res.body as Proof };
}

/** A checkpoint over `root` at `size` signed with the log's own key (read from the bridge's key file). */
const signedCheckpoint = (size: number, root: Uint8Array): string =>
  signNote(formatCheckpoint({ origin: cb.bridge.verifiableLog.origin, size, root }), cb.logKey());

describe('fhir-bridge verify on the real chain', () => {
  it('a resource with its $proof → VALID once its checkpoint is anchored', async () => {
    const { read, proof } = await patientWithProof();
    expect(proof.anchor).toMatchObject({ chainId: cb.contract.chainId, contract: cb.contract.address, logId: cb.bridge.verifiableLog.logId });
    // Only the two files and the RPC URL: the contract comes from the proof, the chain id is checked against the node.
    const r = await verify('--document', file('doc', read), '--proof', file('proof', proof), '--key', vkey());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok +checkpoint signature: /m);
    expect(r.out).toMatch(new RegExp(`^ok +chain: root 0x[0-9a-f]{8}… anchored .* at size ${proof.anchor!.treeSize} `, 'm'));
    expect(r.out).toMatch(/^VALID /m);
  });

  it('a saved $everything page with _proofs=page or _proofs=true → VALID; a changed resource or sibling → INVALID with its reason', async () => {
    await cb.settled();
    const id = (await cb.bridge.db.query("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id as string;
    for (const mode of ['page', 'true']) {
      const res = await api(cb.bridge.url, apiKey, 'GET', `/fhir/Patient/${id}/$everything?_proofs=${mode}`);
      expect(res.status).toBe(200);
      const ok = await verify('--page', file('page', res.body), '--key', vkey());
      expect(ok.out).toMatch(/^VALID page of \d+ entries/m);
      expect(ok.code).toBe(0);
      const changed = JSON.parse(JSON.stringify(res.body));
      const patient = changed.entry.find((e: any) => e.resource.resourceType === 'Patient');
      patient.resource.gender = patient.resource.gender === 'male' ? 'female' : 'male';
      const bad = await verify('--page', file('page', changed), '--key', vkey());
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/INVALID \(document-mismatch\)/);
    }
    const res = await api(cb.bridge.url, apiKey, 'GET', `/fhir/Patient/${id}/$everything?_proofs=page`);
    // A page saved before the leaf columns (each entry its fhir-anchor-page-entry/1) still verifies.
    const columns = res.body.meta.extension.find((x: any) => x.url === LOG_PAGE_LEAVES_EXTENSION);
    const entries = pageLeafEntries(
      JSON.parse(columns.valueString),
      res.body.entry.map((e: any) => e.resource),
    );
    const older = {
      ...res.body,
      meta: { extension: res.body.meta.extension.filter((x: any) => x !== columns) },
      entry: res.body.entry.map((e: any, i: number) => ({ ...e, extension: [{ url: LOG_PAGE_ENTRY_EXTENSION, valueString: JSON.stringify(entries[i]) }] })),
    };
    const old = await verify('--page', file('older', older), '--key', vkey());
    expect(old.out).toMatch(/^VALID page of \d+ entries/m);
    const forged = JSON.parse(JSON.stringify(res.body));
    const pageProof = JSON.parse(forged.meta.extension[0].valueString);
    pageProof.hashes[0] = Buffer.from(Buffer.from(pageProof.hashes[0], 'base64').map((x, j) => (j ? x : x ^ 1))).toString('base64');
    forged.meta.extension[0].valueString = JSON.stringify(pageProof);
    const r = await verify('--page', file('page', forged), '--key', vkey());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/INVALID \(inclusion\)/);
    expect((await verify('--page', file('page', { resourceType: 'Patient' }))).code).toBe(1);
    expect((await verify('--page', file('page', res.body), '--proof', file('p', {}))).code).toBe(2);
  });

  it('a proof to a checkpoint size never anchored → not-anchored (the checkpoint itself genuine)', async () => {
    await cb.settled();
    const { read, proof } = await patientWithProof();
    const { index } = parseTlogProof(proof.tlogProof);
    const size = (await cb.bridge.verifiableLog.checkpoint())!.size;
    const tree = new TileTree(size, remoteLog(cb.bridge.url).tiles(size));
    // Leaves of one push are integrated together: the sizes inside it were never checkpoints, so never anchored.
    let unanchored: number | undefined;
    for (let s = index + 1; s <= size && unanchored === undefined; s++)
      if ((await checkpointOnChain(rpc(), cb.contract.address, cb.bridge.verifiableLog.logId, s)).root === null) unanchored = s;
    expect(unanchored).toBeDefined();
    const s = unanchored!;
    const note = signedCheckpoint(s, await tree.hash({ start: 0, end: s }));
    const forged: Proof = {
      ...proof,
      tlogProof: formatTlogProof({ index, proof: await tree.hashes(inclusionRanges(index, s)), checkpoint: note }),
      anchor: { ...proof.anchor!, treeSize: s },
    };
    expect(verifyProofOffline(forged, read, [parseVkey(vkey())])).toMatchObject({ ok: true }); // sound but for the chain
    const r = await verify('--document', file('doc', read), '--proof', file('proof', forged), '--key', vkey());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ok +inclusion: /m);
    expect(r.out).toMatch(/^ok +checkpoint signature: /m);
    expect(r.out).toContain(`INVALID (not-anchored): the chain has no root for log ${cb.bridge.verifiableLog.logId.slice(0, 10)}… at size ${s}`);
  });

  it('a checkpoint signed by the log over another root at an anchored size → anchor-mismatch', async () => {
    const { read, proof } = await patientWithProof();
    const tl = parseTlogProof(proof.tlogProof);
    const cp = parseCheckpoint(parseNote(tl.checkpoint).text);
    expect((await checkpointOnChain(rpc(), cb.contract.address, cb.bridge.verifiableLog.logId, cp.size)).root).toBe(hex(cp.root));
    // One sibling changed: the inclusion leads to another root, which the log key signs at the same size.
    const path2 = tl.proof.map((h, i) => (i === 0 ? h.map((x, j) => (j === 0 ? x ^ 1 : x)) : h));
    const root = rootFromInclusion(tl.index, cp.size, leafHash(commitment(proof.leaf)), path2)!;
    const forged = { ...proof, tlogProof: formatTlogProof({ index: tl.index, proof: path2, checkpoint: signedCheckpoint(cp.size, root) }) };
    const r = await verify('--document', file('doc', read), '--proof', file('proof', forged), '--key', vkey());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ok +inclusion: /m);
    expect(r.out).toMatch(/^ok +checkpoint signature: /m);
    expect(r.out).toContain('INVALID (anchor-mismatch)');
  });

  it('a consistency proof between two anchored checkpoints → VALID', async () => {
    await push(bundle('CV-2'));
    const later = await cb.settled();
    expect(later).toBeGreaterThan(firstSize);
    const c = (await cb.bridge.verifiableLog.consistency(firstSize, later))!;
    const r = await verify('--checkpoint', file('cp', c.old), '--proof', file('cons', c), '--contract', cb.contract.address, '--key', vkey());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^ok +chain \\(old\\): root .* at size ${firstSize} `, 'm'));
    expect(r.out).toMatch(new RegExp(`^ok +chain \\(new\\): root .* at size ${later} `, 'm'));
    expect(r.out).toMatch(/^VALID /m);
  });
});

describe("a bundle's log proof beside its receipt", () => {
  it('/anchors/bundles/{hash} answers logProof; verify --bundle --proof → VALID, a changed bundle → document-mismatch', async () => {
    const body = await waitFor(
      async () => {
        const a = (await (await fetch(`${cb.bridge.url}/anchors/bundles/${pushed.hash}`)).json()) as {
          status: string;
          receipt?: unknown;
          logProof?: Proof | null;
        };
        return a.status === 'anchored' && a.logProof?.anchor ? a : undefined;
      },
      20_000,
      'receipt and anchored log proof',
    );
    expect(Object.keys(body).sort()).toEqual(['logProof', 'receipt', 'status']);
    expect(body.logProof!.leaf).toMatchObject({ kind: 'bundle', hash: pushed.hash });
    // The receipt verifies exactly as before.
    expect(await runVerifyCommand(dir, pushed.bundle, body.receipt, rpc())).toMatchObject({ code: 0, out: expect.stringMatching(/^VALID /) });
    const proofFile = file('bundle-proof', body.logProof);
    const ok = await verify('--bundle', file('b', pushed.bundle), '--proof', proofFile, '--key', vkey());
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok +document: hashes to the leaf \(bundle /m);
    expect(ok.out).toMatch(/^VALID bundle leaf /m);
    const changed = JSON.parse(JSON.stringify(pushed.bundle).replace('CV-1', 'CV-9')) as unknown;
    const bad = await verify('--bundle', file('b', changed), '--proof', proofFile);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('INVALID (document-mismatch)');
  });

  it('an unknown bundle hash is a 404 OperationOutcome', async () => {
    const res = await fetch(`${cb.bridge.url}/anchors/bundles/0x${'00'.repeat(32)}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});

describe('fhir-bridge monitor --rpc --contract on the real chain', () => {
  const stateFile = path.join(dir, 'monitor-state.json');
  const monitor = (rpcUrl: string, contract: string) =>
    runCli(['monitor', '--log', cb.bridge.url, '--state', stateFile, '--once', '--rpc', rpcUrl, '--contract', contract, '--key', vkey()]);
  const state = (): { size: number; chainSize: number } => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { size: number; chainSize: number };

  it('ok across two runs; a chain anchoring less than recorded (a fresh chain, or the state edited) → shrink', async () => {
    const anchored = await cb.settled();
    const first = await monitor(rpc(), cb.contract.address);
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining(`chain: anchored size ${anchored} matches the log`) });
    expect(state()).toMatchObject({ size: anchored, chainSize: anchored });
    await push(bundle('CV-3'));
    const grown = await cb.settled();
    const second = await monitor(rpc(), cb.contract.address);
    expect(second.code).toBe(0);
    expect(second.out).toContain(`consistent: ${anchored} → ${grown}`);
    expect(second.out).toContain(`chain: anchored size ${grown} matches the log`);
    const good = state();
    expect(good.chainSize).toBe(grown);

    // Another chain (a fresh registry at the same address) anchors nothing of this log.
    const fresh = await startEmbeddedChain({ port: await freePort() });
    try {
      expect(fresh.contractAddress).toBe(cb.contract.address);
      const r = await monitor(fresh.rpcUrl, fresh.contractAddress);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`SHRINK: shrink: the chain anchors size 0 for log ${cb.bridge.verifiableLog.logId}, it anchored ${grown}`);
    } finally {
      await fresh.close();
    }
    expect(state()).toEqual(good); // a failed run keeps the state
    fs.writeFileSync(stateFile, JSON.stringify({ ...good, chainSize: grown + 1000 }));
    expect(await monitor(rpc(), cb.contract.address)).toMatchObject({ code: 1, out: expect.stringContaining('SHRINK') });
  });
});

describe('/anchors/status', () => {
  it("reports the log's checkpoint anchoring beside the batches", async () => {
    const size = await cb.settled();
    const s = (await (await fetch(`${cb.bridge.url}/anchors/status`)).json()) as Record<string, unknown> & { log: Record<string, unknown> };
    expect(s).toMatchObject({ chainFailures: 0, confirmed: expect.any(Number), unbatched: expect.any(Number) });
    expect(s.log).toEqual({
      treeSize: size,
      latestCheckpointAt: expect.any(String),
      anchoredSize: size,
      anchoredAt: expect.any(String),
      secondsSinceLastAnchor: expect.any(Number),
      chainFailures: 0,
      lastError: null,
      witnesses: [],
    });
    expect(Date.parse(s.log.anchoredAt as string)).toBeGreaterThanOrEqual(Date.parse(s.log.latestCheckpointAt as string));
  });

  it('a chain that cannot be reached: failures counted, the error named, nothing anchored', async () => {
    const db2 = await createTestDatabase();
    const down = await startChainBridge(db2, {
      CHAIN_RPC_URL: `http://127.0.0.1:${await freePort()}`,
      ANCHOR_PRIVATE_KEY: DEV_PRIVATE_KEY,
      ANCHOR_CONTRACT: cb.contract.address,
      CHAIN_RPC_TIMEOUT_MS: '500',
    });
    try {
      await api(down.bridge.url, await down.clinicKey('Down Clinic'), 'POST', '/fhir', bundle('CV-D'));
      const s = await waitFor(
        async () => {
          const b = (await (await fetch(`${down.bridge.url}/anchors/status`)).json()) as { log: { chainFailures: number; treeSize: number } };
          return b.log.chainFailures > 0 && b.log.treeSize > 0 ? b : undefined;
        },
        20_000,
        'a checkpoint anchoring failure reported',
      );
      expect(s.log).toMatchObject({ anchoredSize: null, anchoredAt: null, secondsSinceLastAnchor: null, lastError: expect.stringMatching(/unreachable|RPC/i) });
    } finally {
      await down.close();
      await db2.drop();
    }
  });
});
