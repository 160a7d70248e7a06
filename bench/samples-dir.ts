/**
 * Where the third-party FHIR sample data (Synthea, HL7 examples, IPS, bulk export …) is: not part of the project.
 * `FHIR_SAMPLES_DIR` (absolute, or relative to the project root) overrides the default `../shared/fhir-samples`.
 * Plain Node (no test runner), so benches and tests share it; test/helpers/samples.ts adds the jest skipping.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', ...(path.basename(path.resolve(__dirname, '..')) === 'dist' ? ['..'] : []));

export const SAMPLES_DIR = path.resolve(PROJECT_ROOT, process.env.FHIR_SAMPLES_DIR || '../shared/fhir-samples');

/** The sample folders (e.g. `synthea-r4`) missing under SAMPLES_DIR. */
export function missingSamples(folders: string[]): string[] {
  return folders.filter((f) => !fs.existsSync(path.join(SAMPLES_DIR, f)));
}

export const samplesPresent = (...folders: string[]): boolean => missingSamples(folders.length ? folders : ['.']).length === 0;

/** The files of one sample folder with that extension, sorted by name; none when the folder is absent. */
export function sampleFiles(folder: string, ext = '.json'): string[] {
  const dir = path.join(SAMPLES_DIR, folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f));
}

/** One line on stderr (not console.log, which jest wraps in a stack trace) naming what is skipped and why. */
export function reportSkipped(what: string, folders: string[]): void {
  const missing = missingSamples(folders);
  process.stderr.write(`skipped: ${what}: no FHIR sample data (${missing.join(', ')}) under ${SAMPLES_DIR}; set FHIR_SAMPLES_DIR\n`);
}
