/** The ingest benchmark's workload and its HTTP client, shared by bench/ingest.ts and its client process. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Bundle } from '@medplum/fhirtypes';
import { SAMPLES_DIR as SAMPLES } from './samples-dir';
import { generateBundles } from './generate';

export interface Workload {
  source: string;
  /** Pushed once before timing (shared entities), not timed. */
  setup: Bundle[];
  bundles: Bundle[];
}

export function loadWorkload(): Workload {
  const wanted = process.env.BENCH_SOURCE ?? (fs.existsSync(path.join(SAMPLES, 'synthea-r4')) ? 'synthea' : 'generated');
  const cap = Number(process.env.BENCH_BUNDLES) || Infinity;
  if (wanted === 'generated' && !process.env.BENCH_SOURCE)
    process.stderr.write(`Synthea samples not found under ${SAMPLES} (set FHIR_SAMPLES_DIR): generated bundles instead\n`);
  if (wanted === 'synthea') {
    const dir = path.join(SAMPLES, 'synthea-r4');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const read = (f: string): Bundle => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const info = files.filter((f) => /^(hospital|practitioner)Information/.test(f));
    return {
      source: `Synthea samples (${dir})`,
      setup: info.map(read),
      bundles: files
        .filter((f) => !info.includes(f))
        .slice(0, cap)
        .map(read),
    };
  }
  const n = Math.min(Number(process.env.BENCH_GENERATED) || 60, cap);
  return { source: `generated Synthea-like bundles (bench/generate.ts, ${n})`, setup: [], bundles: generateBundles({ bundles: n, seed: 7 }) };
}

/**
 * Each round must store everything again, not replay: a fresh Bundle.identifier changes the bundle hash (Bundle.id
 * and meta are outside it). Bodies are serialized before the clock starts.
 */
export function bodies(bundles: Bundle[]): string[] {
  return bundles.map((b) => JSON.stringify({ ...b, identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` } }));
}

export interface RoundResult {
  ms: number;
  latencies: number[];
  failed: string[];
}

export async function pushAll(url: string, key: string, payloads: string[], concurrency: number): Promise<RoundResult> {
  const latencies: number[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < payloads.length) {
      const body = payloads[next++];
      const t = performance.now();
      const res = await fetch(`${url}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${key}` }, body });
      const text = await res.text();
      latencies.push(performance.now() - t);
      if (res.status !== 200) failed.push(`${res.status} ${text.slice(0, 200)}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms: performance.now() - t0, latencies, failed };
}
