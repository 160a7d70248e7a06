import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';

export const FIXTURES = path.resolve(__dirname, '../../fixtures');
export const SAMPLES = path.resolve(__dirname, '../../../shared/fhir-samples');
export const hasSamples = fs.existsSync(SAMPLES);

export function fixtureBundle(name: string): Bundle {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bundles', name), 'utf8'));
}

export function sampleFiles(folder: string, ext = '.json'): string[] {
  const dir = path.join(SAMPLES, folder);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => path.join(dir, f));
}

export async function api(url: string, key: string, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
