import fs, { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import request from 'supertest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeMerkleWorker } from '../../bridge/anchor/merkle';
import { loadConfig } from '../../bridge/config';
import { VERIFY_CSP, webRouter } from '../../bridge/http/routes/web';
import { createLogger } from '../../bridge/log';
import { startBridge, type RunningBridge } from '../../bridge/main';
import { startBlackHole } from '../helpers/anchor/hang-proxy';
import { waitFor } from '../helpers/anchor/bundles';
import { describeInBrowser, ensureWebBuilt, launchChromium, watchedPage } from '../helpers/browser';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { api, fixtureBundle } from '../helpers/fixtures';
import { freePort } from '../helpers/net';
import { otherLeaves, testLog } from '../helpers/log-fixture';

/**
 * The verifier page (/verify/ and the saved single file) in Debian's chromium, against a real bridge with its embedded
 * chain: what a clinic pushed is verified in the page from the document, its receipt and the chain's RPC URL alone, and
 * each tampering is caught with its reason. No request leaves the page but those to the RPC URL typed in it.
 */
const ADMIN = 'verifier-browser-admin-token-0123456789';
const STANDALONE = path.resolve(__dirname, '../../dist/web/verifier-standalone.html');
let database: TestDatabase;
let bridge: RunningBridge;
let browser: Browser;
let rpcUrl: string;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'verifier-browser-'));
/** The pushed documents (as the clinic holds them: the exact text it sent) and their receipts. */
const pushed: { text: string; receipt: Record<string, any>; patient: string }[] = [];
let clinic: { id: string; apiKey: string };

interface Line {
  id: string;
  outcome: string;
  reason: string;
  text: string;
}

async function fillAndVerify(
  page: Page,
  input: { document: string; evidence: string; rpc?: string; contract?: string; vkey?: string; timeout?: number },
): Promise<{ verdict: string; lines: Line[]; byId: Record<string, Line> }> {
  await page.getByLabel('Document', { exact: true }).fill(input.document);
  await page.getByLabel('Proof or receipt', { exact: true }).fill(input.evidence);
  await page.getByLabel('RPC URL of the chain').fill(input.rpc ?? rpcUrl);
  await page.getByLabel('Contract address you trust (optional when the proof names one)').fill(input.contract ?? '');
  await page.getByLabel(/verifier key/).fill(input.vkey ?? '');
  await page.getByLabel('Seconds to wait for each RPC answer').fill(String(input.timeout ?? 10));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForSelector('body[data-verdict]', { timeout: 60_000 });
  // A string expression: this code base type-checks against Node's globals, not the DOM's.
  const lines = (await page.evaluate(
    "[...document.querySelectorAll('[data-testid=checks] li')].map((e) => ({ id: e.dataset.check, outcome: e.dataset.outcome, reason: e.dataset.reason, text: e.textContent }))",
  )) as Line[];
  return {
    verdict: (await page.getByTestId('verdict').textContent()) ?? '',
    lines,
    byId: Object.fromEntries(lines.map((l) => [l.id, l])),
  };
}

const outcomes = (lines: Line[]): Record<string, string> => Object.fromEntries(lines.map((l) => [l.id, l.reason ? `${l.outcome}:${l.reason}` : l.outcome]));
const RECEIPT_LINES = ['format', 'document', 'merkle', 'chain', 'contract', 'anchored', 'event'];
const allOk = Object.fromEntries(RECEIPT_LINES.map((id) => [id, 'ok']));

async function verifierPage(context: BrowserContext, url = `${bridge.url}/verify/`, also = [new URL(rpcUrl).origin]) {
  const w = await watchedPage(context, url.startsWith('file:') ? 'null' : bridge.url, also);
  await w.page.goto(url);
  await w.page.waitForSelector('body[data-app=ready]');
  return w;
}

describeInBrowser('verifier page', () => {
  beforeAll(async () => {
    ensureWebBuilt();
    database = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      CHAIN_PORT: String(await freePort()),
      BATCH_MAX_WAIT_MS: '200',
      BATCH_MAX_BUNDLES: '2',
      CHECKPOINT_INTERVAL_MS: '200',
      BRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
    });
    bridge = await startBridge(config, createLogger('silent'));
    const info = (await (await fetch(`${bridge.url}/anchors/contract`)).json()) as { rpcUrl: string };
    rpcUrl = info.rpcUrl;
    const created = await fetch(`${bridge.url}/admin/clinics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ name: 'Verifier clinic' }),
    });
    clinic = (await created.json()) as { id: string; apiKey: string };
    const { apiKey } = clinic;
    for (const i of [1, 2, 3]) {
      const text = JSON.stringify(fixtureBundle('transaction-patient-encounter.json'), null, 2).replace(/A-1001/g, `V-${i}001`);
      const res = await api(bridge.url, apiKey, 'POST', '/fhir', text);
      expect(res.status).toBe(200);
      const hash = res.headers.get('x-bundle-hash');
      const body = await waitFor(
        async () => {
          const r = (await (await fetch(`${bridge.url}/anchors/bundles/${hash}`)).json()) as { status: string; receipt?: Record<string, any> };
          return r.status === 'anchored' ? r : undefined;
        },
        30_000,
        `receipt ${i}`,
      );
      pushed.push({ text, receipt: body.receipt!, patient: res.body.entry[0].response.location.split('/').slice(0, 2).join('/') });
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await database?.drop();
    await closeMerkleWorker();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a pushed bundle and its receipt verify in the page: every line ok, and only the RPC URL is asked', async () => {
    const context = await browser.newContext();
    const w = await verifierPage(context);
    for (const p of pushed) {
      const r = await fillAndVerify(w.page, { document: p.text, evidence: JSON.stringify(p.receipt) });
      expect(outcomes(r.lines)).toEqual(allOk);
      expect(r.verdict).toBe('Verified: every check passed.');
      expect(r.byId.event.text).toMatch(/holds ANCHORER_ROLE/);
    }
    // The bridge's whole answer (`{"status":"anchored","receipt":…}`) is accepted as it is.
    const whole = await fillAndVerify(w.page, { document: pushed[0].text, evidence: JSON.stringify({ status: 'anchored', receipt: pushed[0].receipt }) });
    expect(outcomes(whole.lines)).toEqual(allOk);
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    // Past loading the page's own files, every request went to the RPC URL.
    const after = w.requests.filter((u) => !u.startsWith(`${bridge.url}/verify/`) && !u.startsWith(`${bridge.url}/portal/assets/`));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((u) => u === new URL(rpcUrl).href)).toBe(true);
    await context.close();
  });

  test('tampering is caught with its reason: one character of the bundle, a proof element, the root, the batch, the chain, the format', async () => {
    const context = await browser.newContext();
    const { page } = await verifierPage(context);
    const { text, receipt } = pushed[0];
    const flip = (h: string): string => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');

    const changed = await fillAndVerify(page, { document: text.replace('Rivera', 'Riverb'), evidence: JSON.stringify(receipt) });
    expect(outcomes(changed.lines)).toEqual({ ...allOk, document: 'fail:document-mismatch' });
    expect(changed.verdict).toBe('Not verified: document-mismatch.');
    // Whitespace and member order are not the document: the canonical form is hashed.
    const reordered = JSON.stringify(JSON.parse(text));
    expect(outcomes((await fillAndVerify(page, { document: reordered, evidence: JSON.stringify(receipt) })).lines)).toEqual(allOk);

    expect(receipt.proof.length).toBeGreaterThan(0); // two bundles a batch: a real path
    const badProof = { ...receipt, proof: [flip(receipt.proof[0]), ...receipt.proof.slice(1)] };
    expect(outcomes((await fillAndVerify(page, { document: text, evidence: JSON.stringify(badProof) })).lines)).toEqual({ ...allOk, merkle: 'fail:inclusion' });

    const badRoot = { ...receipt, root: flip(receipt.root) };
    expect(outcomes((await fillAndVerify(page, { document: text, evidence: JSON.stringify(badRoot) })).lines)).toEqual({
      ...allOk,
      merkle: 'fail:inclusion',
      anchored: 'fail:anchor-mismatch',
    });

    const otherBatch = { ...receipt, batchId: flip(receipt.batchId) };
    const notAnchored = await fillAndVerify(page, { document: text, evidence: JSON.stringify(otherBatch) });
    expect(outcomes(notAnchored.lines)).toMatchObject({ document: 'ok', merkle: 'ok', anchored: 'fail:not-anchored' });

    const otherChain = { ...receipt, chainId: 1 };
    expect(outcomes((await fillAndVerify(page, { document: text, evidence: JSON.stringify(otherChain) })).lines)).toMatchObject({
      chain: 'fail:wrong-chain',
      anchored: 'skipped',
    });

    const broken = { ...receipt, salt: 'salt' };
    const malformed = await fillAndVerify(page, { document: text, evidence: JSON.stringify(broken) });
    expect(outcomes(malformed.lines)).toEqual({ format: 'fail:malformed' });
    expect(malformed.byId.format.text).toMatch(/receipt\.salt must be 0x/);
    await context.close();
  });

  test('a wrong contract address and an RPC that does not answer give a clear message, not a hang', async () => {
    const hole = await startBlackHole();
    const context = await browser.newContext();
    const { page } = await verifierPage(context, undefined, [new URL(rpcUrl).origin, new URL(hole.url).origin, 'http://127.0.0.1:9']);
    const { text, receipt } = pushed[1];
    try {
      const elsewhere = { ...receipt, contract: '0x000000000000000000000000000000000000dEaD' };
      const wrong = await fillAndVerify(page, { document: text, evidence: JSON.stringify(elsewhere) });
      expect(outcomes(wrong.lines)).toMatchObject({ document: 'ok', merkle: 'ok', chain: 'ok', contract: 'fail:wrong-contract', anchored: 'skipped' });
      expect(wrong.byId.contract.text).toMatch(/no contract at 0x000000000000000000000000000000000000dEaD/);

      // The address typed is the one asked (a receipt cannot pick the contract that vouches for it).
      const typedRight = await fillAndVerify(page, { document: text, evidence: JSON.stringify(elsewhere), contract: receipt.contract.toLowerCase() });
      expect(outcomes(typedRight.lines)).toEqual(allOk);
      expect(typedRight.byId.contract.text).toContain(`the address you gave; the evidence names 0x000000000000000000000000000000000000dEaD`);
      const typedWrong = await fillAndVerify(page, {
        document: text,
        evidence: JSON.stringify(receipt),
        contract: '0x000000000000000000000000000000000000dead',
      });
      expect(outcomes(typedWrong.lines)).toMatchObject({ contract: 'fail:wrong-contract', anchored: 'skipped' });
      const typo = await fillAndVerify(page, {
        document: text,
        evidence: JSON.stringify(receipt),
        contract: receipt.contract.replace(/[a-f]/, (c: string) => c.toUpperCase()),
      });
      expect(typo.byId['contract-input']).toMatchObject({ outcome: 'fail', reason: 'malformed' });
      expect(typo.byId['contract-input'].text).toMatch(/checksum/);

      const hung = await fillAndVerify(page, { document: text, evidence: JSON.stringify(receipt), rpc: hole.url, timeout: 2 });
      expect(outcomes(hung.lines)).toMatchObject({ document: 'ok', merkle: 'ok', chain: 'fail:unreachable', anchored: 'skipped', event: 'skipped' });
      expect(hung.byId.chain.text).toMatch(/did not answer within 2 s/);

      const refused = await fillAndVerify(page, { document: text, evidence: JSON.stringify(receipt), rpc: 'http://127.0.0.1:9' });
      expect(refused.byId.chain).toMatchObject({ outcome: 'fail', reason: 'unreachable' });
      expect(refused.byId.chain.text).toMatch(/cannot be reached/);

      const noRpc = await fillAndVerify(page, { document: text, evidence: JSON.stringify(receipt), rpc: '' });
      expect(outcomes(noRpc.lines)).toMatchObject({ document: 'ok', merkle: 'ok', chain: 'skipped', anchored: 'skipped' });
      expect(noRpc.verdict).toMatch(/^Partly verified/);

      const nothing = await fillAndVerify(page, { document: text, evidence: '{"status":"pending"}' });
      expect(nothing.byId.format).toMatchObject({ outcome: 'fail', reason: 'malformed' });
      expect(nothing.byId.format.text).toMatch(/pending/);
    } finally {
      await context.close();
      await hole.close();
    }
  });

  test('files dropped on the page go to their boxes by content', async () => {
    const context = await browser.newContext();
    const { page } = await verifierPage(context);
    const dt = await page.evaluateHandle(
      `(() => { const dt = new DataTransfer();
        dt.items.add(new File([${JSON.stringify(JSON.stringify(pushed[2].receipt))}], 'receipt.json', { type: 'application/json' }));
        dt.items.add(new File([${JSON.stringify(pushed[2].text)}], 'bundle.json', { type: 'application/json' }));
        return dt; })()`,
    );
    await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
    await page.getByTestId('drop-note').filter({ hasText: 'bundle.json → document' }).waitFor();
    expect(await page.getByLabel('Document', { exact: true }).inputValue()).toBe(pushed[2].text);
    expect(JSON.parse(await page.getByLabel('Proof or receipt', { exact: true }).inputValue())).toEqual(pushed[2].receipt);
    await page.getByLabel('RPC URL of the chain').fill(rpcUrl);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForSelector('body[data-verdict=ok]');
    await context.close();
  });

  test('proofs from the bridge’s log verify in the page (the log core under the browser modules): a resource, a bundle, an audit record, consistency', async () => {
    const log = bridge.verifiableLog;
    const read = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${pushed[0].patient}`);
    expect(read.status).toBe(200);
    const resource = read.body;
    await log.integrate();
    const first = (await log.checkpoint())!;
    const resourceProof = JSON.stringify(await log.proof({ kind: 'resource', id: resource.id, version: Number(resource.meta.versionId) }));
    const bundleId = (await bridge.db.query('SELECT id FROM bundle WHERE hash = $1', [Buffer.from(pushed[0].receipt.bundleHash.slice(2), 'hex')])).rows[0]
      .id as string;
    const bundleProof = JSON.stringify(await log.proof({ kind: 'bundle', id: bundleId }));
    const audits = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/AuditEvent?patient=${pushed[0].patient}&_count=50`);
    const auditId = audits.body.entry[0].resource.id as string;
    const record = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/AuditEvent/${auditId}/$record`);
    expect(record.status).toBe(200);
    await log.integrate();
    const auditProof = JSON.stringify(await log.proof({ kind: 'audit', id: auditId }));
    for (const p of [resourceProof, bundleProof, auditProof]) expect(JSON.parse(p).version).toBe('fhir-anchor-proof/1');

    const context = await browser.newContext();
    const { page } = await verifierPage(context);
    const offline = { format: 'ok', document: 'ok', leaf: 'ok', inclusion: 'ok', signature: 'ok' };
    const vkey = log.vkey;
    for (const [document, evidence] of [
      [JSON.stringify(resource, null, 1), resourceProof],
      [pushed[0].text, bundleProof],
      [JSON.stringify(record.body), auditProof],
    ]) {
      const r = await fillAndVerify(page, { document, evidence, rpc: '', vkey });
      expect(outcomes(r.lines)).toMatchObject(offline);
      expect(r.byId.signature.text).toContain(`Ed25519 signature of ${log.origin} verifies`);
    }
    // The bare public key also names the log's key (by the checkpoint's origin); no key at all: "signature not checked".
    const withBare = await fillAndVerify(page, {
      document: JSON.stringify(resource),
      evidence: resourceProof,
      rpc: '',
      vkey: Buffer.from(log.publicKey).toString('base64'),
    });
    expect(withBare.byId.signature).toMatchObject({ outcome: 'ok' });
    const unsigned = await fillAndVerify(page, { document: JSON.stringify(resource), evidence: resourceProof, rpc: '' });
    expect(unsigned.byId.signature).toMatchObject({ outcome: 'skipped' });
    expect(unsigned.byId.signature.text).toMatch(/^– Checkpoint signature: not checked — signature not checked: no verifier key given/);
    expect(unsigned.verdict).toMatch(/^Partly verified/);

    // A changed resource, a changed proof element, another key.
    const changed = { ...resource, gender: resource.gender === 'female' ? 'male' : 'female' };
    expect(outcomes((await fillAndVerify(page, { document: JSON.stringify(changed), evidence: resourceProof, rpc: '', vkey })).lines)).toMatchObject({
      ...offline,
      document: 'fail:document-mismatch',
    });
    const p = JSON.parse(resourceProof) as { tlogProof: string };
    const lines = p.tlogProof.split('\n');
    expect(lines[2]).toMatch(/^[A-Za-z0-9+/]{43}=$/); // the first proof hash
    lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
    const badHash = await fillAndVerify(page, {
      document: JSON.stringify(resource),
      evidence: JSON.stringify({ ...p, tlogProof: lines.join('\n') }),
      rpc: '',
      vkey,
    });
    expect(outcomes(badHash.lines)).toMatchObject({ ...offline, inclusion: 'fail:inclusion' });
    const otherKey = await fillAndVerify(page, { document: JSON.stringify(resource), evidence: resourceProof, rpc: '', vkey: testLog([], log.origin).vkey });
    expect(otherKey.byId.signature).toMatchObject({ outcome: 'fail', reason: 'checkpoint-signature' });

    // The first checkpoint, kept, with the bridge's consistency proof to the newest; a fork of it is caught.
    const newest = (await log.checkpoint())!;
    expect(newest.size).toBeGreaterThan(first.size);
    const consistency = (await log.consistency(first.size, newest.size))!;
    const ok = await fillAndVerify(page, { document: first.note, evidence: JSON.stringify(consistency), rpc: '', vkey });
    expect(outcomes(ok.lines)).toMatchObject({ format: 'ok', document: 'ok', signature: 'ok', consistency: 'ok' });
    const fork = await fillAndVerify(page, {
      document: testLog(otherLeaves(first.size), log.origin).checkpoint(first.size),
      evidence: JSON.stringify(consistency),
      rpc: '',
    });
    expect(fork.byId.document).toMatchObject({ outcome: 'fail', reason: 'fork' });
    await context.close();
  });

  test('a resource with its $proof from the bridge, its checkpoint anchored: every line ok; changes caught with their reason', async () => {
    const auth = { headers: { authorization: `Bearer ${clinic.apiKey}` } };
    const proofUrl = `${bridge.url}/fhir/${pushed[1].patient}/$proof`;
    const proof = await waitFor(
      async () => {
        const r = await fetch(proofUrl, auth);
        if (r.status !== 200) return undefined;
        const p = (await r.json()) as { anchor: Record<string, unknown> | null };
        return p.anchor ? p : undefined;
      },
      60_000,
      'a proof to an anchored checkpoint',
    );
    const resource = (await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${pushed[1].patient}`)).body;
    const evidence = JSON.stringify(proof);
    // The verifier key as anyone gets it: the bridge's public GET /log/key.
    const vkey = (await (await fetch(`${bridge.url}/log/key`)).text()).trim();
    expect(vkey).toBe(bridge.verifiableLog.vkey);
    const context = await browser.newContext();
    const { page } = await verifierPage(context);
    const all = { format: 'ok', document: 'ok', leaf: 'ok', inclusion: 'ok', signature: 'ok', chain: 'ok', contract: 'ok', anchored: 'ok' };

    const good = await fillAndVerify(page, { document: JSON.stringify(resource), evidence, vkey });
    expect(outcomes(good.lines)).toEqual(all);
    expect(good.verdict).toBe('Verified: every check passed.');
    expect(good.byId.anchored.text).toMatch(/checkpointRoot\(0x[0-9a-f]{8}…[0-9a-f]{4}, \d+\) is 0x/);

    // An $everything entry fetched with _proofs=true, given alone: its resource and its proof extension.
    const everything = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${pushed[1].patient}/$everything?_proofs=true`);
    expect(everything.status).toBe(200);
    const entry = everything.body.entry.find((e: any) => e.resource?.resourceType === 'Encounter' && e.extension?.some((x: any) => x.valueString));
    expect(entry).toBeDefined();
    const fromEntry = await fillAndVerify(page, { document: '', evidence: JSON.stringify(entry), vkey });
    expect(outcomes(fromEntry.lines)).toEqual(all); // pushed with the patient: in the same anchored checkpoint

    const changed = { ...resource, birthDate: '1980-04-13' };
    expect(outcomes((await fillAndVerify(page, { document: JSON.stringify(changed), evidence, vkey })).lines)).toEqual({
      ...all,
      document: 'fail:document-mismatch',
    });

    // The checkpoint's root rewritten in the proof: inclusion, its signature and the chain all disagree.
    const p = proof as unknown as { tlogProof: string; anchor: { contract: string; treeSize: number } };
    const lines = p.tlogProof.split('\n');
    const rootAt = lines.indexOf('', 2) + 3;
    lines[rootAt] = (lines[rootAt][0] === 'A' ? 'B' : 'A') + lines[rootAt].slice(1);
    const rewritten = await fillAndVerify(page, { document: JSON.stringify(resource), evidence: JSON.stringify({ ...p, tlogProof: lines.join('\n') }), vkey });
    expect(outcomes(rewritten.lines)).toEqual({
      ...all,
      inclusion: 'fail:inclusion',
      signature: 'fail:checkpoint-signature',
      anchored: 'fail:anchor-mismatch',
    });
    // A size that was never anchored, and a registry other than the one the user trusts.
    const bigger = { ...p, anchor: { ...p.anchor, treeSize: p.anchor.treeSize + 1 } };
    expect(outcomes((await fillAndVerify(page, { document: JSON.stringify(resource), evidence: JSON.stringify(bigger), vkey })).lines)).toEqual({
      format: 'fail:malformed',
    });
    // Another log (same kind of proof, never anchored in this registry): not-anchored, naming what the chain has.
    const stranger = testLog(otherLeaves(3));
    const unanchored = await fillAndVerify(page, {
      document: JSON.stringify({ resourceType: 'Bundle', type: 'transaction' }),
      evidence: JSON.stringify(stranger.proof(1, 3)),
      vkey: stranger.vkey,
      contract: p.anchor.contract,
    });
    expect(outcomes(unanchored.lines)).toMatchObject({ inclusion: 'ok', signature: 'ok', chain: 'ok', contract: 'ok', anchored: 'fail:not-anchored' });
    expect(unanchored.byId.anchored.text).toMatch(/no checkpoint of this log is anchored there/);
    const dead = await fillAndVerify(page, { document: JSON.stringify(resource), evidence, vkey, contract: '0x000000000000000000000000000000000000dead' });
    expect(outcomes(dead.lines)).toMatchObject({ contract: 'fail:wrong-contract', anchored: 'skipped' });

    // A checkpoint kept from the start of the log, and the consistency proof to the anchored one: on chain too.
    const firstSize = Number((await bridge.db.query('SELECT min(tree_size) AS s FROM log_checkpoint')).rows[0].s);
    const kept = (await bridge.verifiableLog.checkpointAt(firstSize))!;
    const consistency = (await bridge.verifiableLog.consistency(firstSize, p.anchor.treeSize))!;
    const c = await fillAndVerify(page, { document: kept.note, evidence: JSON.stringify(consistency), vkey, contract: p.anchor.contract });
    expect(outcomes(c.lines)).toEqual({
      format: 'ok',
      document: 'ok',
      signature: 'ok',
      consistency: 'ok',
      chain: 'ok',
      contract: 'ok',
      anchored: 'ok',
      'anchored-old': 'ok',
    });
    await context.close();
  });

  test('the saved single file verifies the same receipt and a $proof from file://, under its own hash-pinned CSP', async () => {
    const html = fs.readFileSync(STANDALONE, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(csp).toMatch(/script-src 'sha256-[^']+';/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(html).not.toMatch(/<script[^>]*\bsrc=|<link[^>]*\bhref=/);
    // What the bridge hands out to keep is this file, as an attachment (never rendered under the bridge's origin).
    const kept = await fetch(`${bridge.url}/verify/verifier.html`);
    expect(kept.headers.get('content-disposition')).toMatch(/^attachment; filename="?fhir-anchor-verifier\.html"?$/);
    expect(await kept.text()).toBe(html);

    const copy = path.join(dataDir, 'kept-verifier.html');
    fs.copyFileSync(STANDALONE, copy);
    const context = await browser.newContext();
    const w = await verifierPage(context, pathToFileURL(copy).href);
    const r = await fillAndVerify(w.page, { document: pushed[0].text, evidence: JSON.stringify(pushed[0].receipt) });
    expect(outcomes(r.lines)).toEqual(allOk);
    // and a resource with its $proof (the log core, inlined in the file)
    const proof = await waitFor(
      async () => {
        const r = await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${pushed[0].patient}/$proof`);
        return r.status === 200 && r.body.anchor ? r.body : undefined;
      },
      60_000,
      'an anchored proof',
    );
    const patient = (await api(bridge.url, clinic.apiKey, 'GET', `/fhir/${pushed[0].patient}`)).body;
    const p = await fillAndVerify(w.page, { document: JSON.stringify(patient), evidence: JSON.stringify(proof), vkey: bridge.verifiableLog.vkey });
    expect(Object.values(outcomes(p.lines))).toEqual(Array(8).fill('ok'));
    const tampered = await fillAndVerify(w.page, { document: pushed[0].text.replace('Rivera', 'Rivers'), evidence: JSON.stringify(pushed[0].receipt) });
    expect(tampered.byId.document).toMatchObject({ outcome: 'fail', reason: 'document-mismatch' });
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    expect(await w.page.getByRole('link', { name: 'Keep this verifier as one file' }).count()).toBe(0);
    await context.close();
  });

  test('served at /verify/ with its CSP (connections open only for the RPC), no inline code, keyboard-usable', async () => {
    const res = await fetch(`${bridge.url}/verify/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(VERIFY_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    for (const [, src] of html.matchAll(/(?:src|href)="(\/portal\/assets\/[^"]+)"/g)) expect((await fetch(`${bridge.url}${src}`)).status).toBe(200);
    const bare = await fetch(`${bridge.url}/verify`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/verify/');
    // Without a build: 503 OperationOutcome, still with the policy.
    const app = express().use(webRouter(fs.mkdtempSync(path.join(os.tmpdir(), 'no-web-'))));
    for (const p of ['/verify/', '/verify/verifier.html']) {
      const missing = await request(app).get(p);
      expect(missing.status).toBe(503);
      expect(missing.body.resourceType).toBe('OperationOutcome');
      expect(missing.headers['content-security-policy']).toBe(VERIFY_CSP);
    }

    const context = await browser.newContext();
    const w = await verifierPage(context);
    expect(await w.page.locator('script:not([src])').count()).toBe(0);
    expect(await w.page.locator('style').count()).toBe(0);
    const unlabelled = await w.page.evaluate(
      "[...document.querySelectorAll('input, textarea, select')].filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).length",
    );
    expect(unlabelled).toBe(0);
    // Tab order: the keep-a-copy link, then each control in reading order, ending on the button.
    const order: string[] = [];
    for (let i = 0; i < 10; i++) {
      await w.page.keyboard.press('Tab');
      order.push(
        (await w.page.evaluate(
          "(() => { const e = document.activeElement; return e.tagName + ':' + (e.labels?.[0]?.textContent ?? e.textContent).trim(); })()",
        )) as string,
      );
    }
    expect(order).toEqual([
      'A:Keep this verifier as one file',
      'TEXTAREA:Document',
      'INPUT:Or choose a file for “Document”',
      'TEXTAREA:Proof or receipt',
      'INPUT:Or choose a file for “Proof or receipt”',
      'INPUT:RPC URL of the chain',
      'INPUT:Contract address you trust (optional when the proof names one)',
      'INPUT:The log’s verifier key (vkey), to check the checkpoint signature',
      'INPUT:Seconds to wait for each RPC answer',
      'BUTTON:Verify',
    ]);
    // Enter on the button verifies (no mouse): the result is announced in the live status line.
    await w.page.getByLabel('Document', { exact: true }).fill(pushed[1].text);
    await w.page.getByLabel('Proof or receipt', { exact: true }).fill(JSON.stringify(pushed[1].receipt));
    await w.page.getByLabel('RPC URL of the chain').fill(rpcUrl);
    await w.page.getByRole('button', { name: 'Verify' }).focus();
    await w.page.keyboard.press('Enter');
    await w.page.waitForSelector('body[data-verdict=ok]');
    expect(await w.page.getByRole('status').filter({ hasText: 'Verified' }).textContent()).toBe('Verified: every check passed.');
    expect(w.violations).toEqual([]);
    expect(w.foreign).toEqual([]);
    await context.close();
  });
});
