/**
 * Mutation testing of the pure layers (bridge/fhir, bridge/access, bridge/normalize) against their unit tests
 * (test/unit/{fhir,access,normalize}), with StrykerJS 9.6.1 and its jest runner (stryker.config.json,
 * jest.mutation.config.js). Prints the mutation score per folder and the wall time; asserts nothing.
 *
 *   npm run bench -- mutation
 *
 * Incremental: mutants whose code and covering tests did not change keep their last result
 * (reports/mutation/stryker-incremental.json), so a rerun after a small change takes seconds to minutes.
 * Environment: MUTATION_FULL=1 reruns every mutant; MUTATION_FILES=glob[,glob] limits what is mutated.
 * Score = detected (killed + timed out) / valid mutants (detected + survived + not covered); static mutants
 * (module-level constants, which would rerun every test) are left out by `ignoreStatic`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const REPORT = path.join(ROOT, 'reports/mutation/mutation.json');
const FOLDERS = ['bridge/fhir', 'bridge/access', 'bridge/normalize'];

interface Mutant {
  status: string;
  mutatorName: string;
  location: { start: { line: number } };
  replacement?: string;
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

const args = ['run', 'stryker.config.json'];
if (process.env.MUTATION_FULL === '1') args.push('--force');
if (process.env.MUTATION_FILES) args.push('--mutate', process.env.MUTATION_FILES);

const started = Date.now();
const run = spawnSync(path.join(ROOT, 'node_modules/.bin/stryker'), args, { cwd: ROOT, stdio: 'inherit', env: process.env });
const seconds = (Date.now() - started) / 1000;
if (run.status !== 0 || !fs.existsSync(REPORT)) {
  console.log(`stryker exited with ${run.status}`);
  process.exit(1);
}

const report = JSON.parse(fs.readFileSync(REPORT, 'utf8')) as Report;
const tally = (mutants: Mutant[]) => {
  const n = (s: string): number => mutants.filter((m) => m.status === s).length;
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  return { detected, survived: n('Survived'), noCoverage: n('NoCoverage'), valid, covered: detected + n('Survived') };
};
const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '-');

console.log('\nmutation score by folder (detected / valid; covered = detected / (detected + survived))');
console.log('folder             score  covered  killed+timeout  survived  no coverage');
const all: Mutant[] = [];
for (const folder of FOLDERS) {
  const mutants = Object.entries(report.files)
    .filter(([f]) => path.relative(ROOT, path.resolve(ROOT, f)).startsWith(`${folder}/`))
    .flatMap(([, v]) => v.mutants);
  all.push(...mutants);
  const t = tally(mutants);
  console.log(
    `${folder.padEnd(18)} ${pct(t.detected, t.valid).padStart(5)}%  ${pct(t.detected, t.covered).padStart(6)}%  ${String(t.detected).padStart(14)}  ${String(t.survived).padStart(8)}  ${String(t.noCoverage).padStart(11)}`,
  );
}
const t = tally(all);
console.log(
  `${'all'.padEnd(18)} ${pct(t.detected, t.valid).padStart(5)}%  ${pct(t.detected, t.covered).padStart(6)}%  ${String(t.detected).padStart(14)}  ${String(t.survived).padStart(8)}  ${String(t.noCoverage).padStart(11)}`,
);
console.log(`wall time ${seconds.toFixed(0)} s (${process.env.MUTATION_FULL === '1' ? 'full' : 'incremental'} run); report: reports/mutation/mutation.json`);
