import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { samplesPresent } from './samples';

export const FIXTURES = path.resolve(__dirname, '../../fixtures');
/** The sample data (helpers/samples.ts: FHIR_SAMPLES_DIR, default ../shared/fhir-samples), under its earlier names. */
export { SAMPLES_DIR as SAMPLES, sampleFiles } from './samples';
export const hasSamples = samplesPresent('synthea-r4');

export function fixtureBundle(name: string): Bundle {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'bundles', name), 'utf8'));
}

export async function api(
  url: string,
  key: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
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
