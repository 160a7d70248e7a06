/**
 * End-to-end anchoring latency (printed, never asserted): the real bridge (startBridge: HTTP, PostgreSQL, batcher,
 * embedded chain) on a fresh database; N generated bundles pushed by 4 clients; time from each push's response to
 * its receipt being served by GET /anchors/bundles/{hash}.
 * Environment: DATABASE_URL (else an embedded PostgreSQL; a database is created and dropped), BENCH_BUNDLES (default 60),
 * BATCH_MAX_WAIT_MS (default 1000), BATCH_MAX_BUNDLES (default 1000).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeMerkleWorker } from '../bridge/anchor/merkle';
import { loadConfig } from '../bridge/config';
import { createLogger } from '../bridge/log';
import { startBridge } from '../bridge/main';
import { freshDatabase } from './database';
import { generateBundles } from './generate';
import { pct } from './stats';

async function main(): Promise<void> {
  const database = await freshDatabase();
  const n = Number(process.env.BENCH_BUNDLES ?? 60);
  const maxWait = process.env.BATCH_MAX_WAIT_MS ?? '1000';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-bench-anchor-'));
  const token = randomBytes(16).toString('hex');
  const bridge = await startBridge(
    loadConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      CHAIN_PORT: '0',
      BATCH_MAX_WAIT_MS: maxWait,
      BATCH_MAX_BUNDLES: process.env.BATCH_MAX_BUNDLES ?? '1000',
      BRIDGE_ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
    }),
    createLogger('warn'),
  );
  try {
    const created = await fetch(`${bridge.url}/admin/clinics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'bench' }),
    });
    const { apiKey } = (await created.json()) as { apiKey: string };
    const payloads = generateBundles({ bundles: n, seed: 11 }).map((b) => JSON.stringify(b));
    const pushedAt = new Map<string, number>();
    const anchoredAt = new Map<string, number>();
    let next = 0;
    let pushing = true;
    // Polls receipts while the pushes go on (one request per waiting bundle per round, sequential).
    const poller = (async () => {
      while (pushing || anchoredAt.size < pushedAt.size) {
        for (const h of [...pushedAt.keys()]) {
          if (anchoredAt.has(h)) continue;
          const r = (await (await fetch(`${bridge.url}/anchors/bundles/${h}`)).json()) as { status: string };
          if (r.status === 'anchored') anchoredAt.set(h, performance.now());
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < payloads.length) {
          const body = payloads[next++];
          const res = await fetch(`${bridge.url}/fhir`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/fhir+json' },
            body,
          });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`push failed: ${res.status}`);
          pushedAt.set(res.headers.get('x-bundle-hash') as string, performance.now());
        }
      }),
    );
    const pushMs = performance.now() - t0;
    pushing = false;
    await poller;
    const lat = [...pushedAt].map(([h, t]) => (anchoredAt.get(h) as number) - t).sort((a, b) => a - b);
    const status = await (await fetch(`${bridge.url}/anchors/status`)).json();
    console.log(`${n} bundles pushed by 4 clients in ${pushMs.toFixed(0)} ms; BATCH_MAX_WAIT_MS ${maxWait}; batches ${JSON.stringify(status)}`);
    console.log(
      `push response → receipt served: p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${lat[lat.length - 1].toFixed(0)} ms; all anchored ${(performance.now() - t0).toFixed(0)} ms after the first push`,
    );
  } finally {
    await bridge.close();
    await closeMerkleWorker();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
