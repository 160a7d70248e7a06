import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** NDJSON resources are sent in transaction bundles of PUT Type/id (idempotent upserts), in an order that lets references resolve. */
const NDJSON_ORDER = ['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Medication', 'Patient', 'Device', 'Encounter'];
const NDJSON_CHUNK = 200;

export interface ImportItem {
  label: string;
  bundle: Bundle;
  resources: number;
}

export interface ImportSummary {
  ok: number;
  rejected: { label: string; status: number; reason: string }[];
  resources: number;
}

/** Every .json / .ndjson file under the given paths, in a stable order. */
export function listImportFiles(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (p: string): void => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
    else if (/\.(json|ndjson)$/i.test(p)) files.push(p);
  };
  for (const p of paths) walk(p);
  return files;
}

function ndjsonType(file: string, first: Resource | undefined): string {
  return first?.resourceType ?? path.basename(file).split('.')[0];
}

/** Turns files into the bundles to push: a JSON Bundle as is, a single JSON resource and NDJSON lines as transactions of PUTs. */
export function* importItems(files: string[]): Generator<ImportItem | { label: string; error: string }> {
  const json = files.filter((f) => f.toLowerCase().endsWith('.json'));
  const ndjson = files.filter((f) => f.toLowerCase().endsWith('.ndjson'));
  for (const file of json) {
    let parsed: Resource;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      yield { label: file, error: 'not valid JSON' };
      continue;
    }
    if (parsed.resourceType === 'Bundle') yield { label: file, bundle: parsed as Bundle, resources: (parsed as Bundle).entry?.length ?? 0 };
    else yield { label: file, bundle: toTransaction([parsed]), resources: 1 };
  }
  const byType = ndjson.map((file) => {
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    const resources: Resource[] = [];
    for (const line of lines) {
      try {
        resources.push(JSON.parse(line));
      } catch {
        /* reported below as a rejected chunk would hide which line; count instead */
      }
    }
    return { file, resources, bad: lines.length - resources.length, type: ndjsonType(file, resources[0]) };
  });
  const rank = (t: string): number => (NDJSON_ORDER.includes(t) ? NDJSON_ORDER.indexOf(t) : NDJSON_ORDER.length);
  byType.sort((a, b) => rank(a.type) - rank(b.type) || a.file.localeCompare(b.file));
  for (const f of byType) {
    if (f.bad) yield { label: f.file, error: `${f.bad} line(s) are not valid JSON` };
    for (let i = 0; i < f.resources.length; i += NDJSON_CHUNK) {
      const chunk = f.resources.slice(i, i + NDJSON_CHUNK);
      yield { label: `${f.file}#${i + 1}-${i + chunk.length}`, bundle: toTransaction(chunk), resources: chunk.length };
    }
  }
}

function toTransaction(resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({
      resource: r,
      request: r.id ? { method: 'PUT', url: `${r.resourceType}/${r.id}` } : { method: 'POST', url: r.resourceType },
    })),
  };
}

export function outcomeText(body: unknown): string {
  const oo = body as OperationOutcome;
  if (oo?.resourceType !== 'OperationOutcome') return 'unexpected response';
  return (oo.issue ?? [])
    .slice(0, 3)
    .map((i) => `${i.diagnostics ?? i.code}${i.expression?.[0] ? ` at ${i.expression[0]}` : ''}`)
    .join('; ');
}

/** Attempts per bundle while the bridge answers 503 (busy) or 429; a refused push stored nothing, a repeat is replayed. */
export const MAX_BUSY_ATTEMPTS = 10;

/** Seconds to wait from a Retry-After header (seconds or an HTTP date); 1 s when absent, at most 30 s. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return 1000;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Math.min(30_000, Math.max(0, Number.isFinite(ms) ? ms : 1000));
}

/** Pushes one bundle, waiting and retrying while the bridge is busy; resolves to null on success or the reason it was rejected. */
export async function pushOne(url: string, apiKey: string, bundle: Bundle): Promise<{ status: number; reason: string } | null> {
  const body = JSON.stringify(bundle);
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${url.replace(/\/$/, '')}/fhir`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${apiKey}` },
      body,
    });
    const answer = await res.json().catch(() => null);
    if (res.ok) return null;
    if ((res.status === 503 || res.status === 429) && attempt < MAX_BUSY_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, retryAfterMs(res.headers.get('retry-after'))));
      continue;
    }
    return { status: res.status, reason: outcomeText(answer) };
  }
}
