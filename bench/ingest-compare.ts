/**
 * `npm run bench -- ingest-compare`: ingest throughput of this tree against another commit, run by run in turn on the
 * same machine, because an issue's "within 10% of today's" is a difference that this shared machine's drift (±8%
 * from one run to the next, twice as fast one day as another) hides in any figure taken alone.
 *
 * Environment: BENCH_COMPARE_WITH (required: a commit, branch or tag of this repository), BENCH_COMPARE_PAIRS=4 (runs
 * of each; the order alternates, so neither side always runs first), and what bench/ingest.ts reads, passed to both
 * (BENCH_CONCURRENCY defaults to 4 here, BENCH_ROUNDS to 3). Both read the samples from this tree's FHIR_SAMPLES_DIR
 * (resolved to an absolute path: the other commit is checked out in a temporary folder, where ../shared is absent).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, SAMPLES_DIR } from './samples-dir';

const ROOT = PROJECT_ROOT;
const other = process.env.BENCH_COMPARE_WITH;
const pairs = Number(process.env.BENCH_COMPARE_PAIRS ?? 4);

const git = (...args: string[]): string => {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
};

/** A checkout of `commit` beside this one, using this tree's node_modules when the lockfile is the same. */
function checkout(commit: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fab-compare-'));
  git('worktree', 'add', '--detach', dir, commit);
  const sameLock = fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8') === fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  if (sameLock) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  else {
    console.log(`  ${commit} has another package-lock.json: npm ci in ${dir} …`);
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ci at ${commit} failed`);
  }
  return dir;
}

/**
 * The CPU the bridge and PostgreSQL spent per resource in each timed round (from its "cores busy" line, bench
 * clients left out), in µs: less sensitive than throughput to what else this shared machine runs meanwhile.
 */
function cpuPerResource(stdout: string): number[] {
  const rounds = /^ +\d+ +([\d,]+) .*\n +cores busy: bridge main thread ([\d.]+), bridge other threads \(ingest workers, GC\) ([\d.]+), PostgreSQL ([\d.]+)/gm;
  const out: number[] = [];
  for (const m of stdout.matchAll(rounds)) out.push(((Number(m[2]) + Number(m[3]) + Number(m[4])) / Number(m[1].replace(/,/g, ''))) * 1e6);
  return out;
}

/** One run of bench/ingest.ts in `dir`: its best resources/s (the median of its rounds at its one concurrency), and its rounds' median CPU µs a resource. */
function run(dir: string, samples: string): { rps: number; cpu?: number } | undefined {
  const env = {
    ...process.env,
    FHIR_SAMPLES_DIR: samples,
    BENCH_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '4',
    BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? '3',
  };
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/ingest.ts'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const m = /best here ([\d,]+) resources\/s/.exec(r.stdout ?? '');
  if (!m) {
    console.log(`  run in ${dir} printed no figure (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  const cpu = cpuPerResource(r.stdout);
  return { rps: Number(m[1].replace(/,/g, '')), cpu: cpu.length ? median(cpu) : undefined };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function main(): void {
  if (!other) {
    console.log('  skipped: set BENCH_COMPARE_WITH to the commit to compare this tree with');
    return;
  }
  const samples = SAMPLES_DIR;
  if (!fs.existsSync(samples)) console.log(`  FHIR samples absent at ${samples}: both sides bench generated bundles`);
  const commit = git('rev-parse', '--short', other);
  const here = `this tree (${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' + changes' : ''})`;
  const dir = checkout(commit);
  try {
    const figures: Record<'here' | 'there', number[]> = { here: [], there: [] };
    const cpu: Record<'here' | 'there', number[]> = { here: [], there: [] };
    for (let i = 0; i < pairs; i++) {
      const order: ('here' | 'there')[] = i % 2 ? ['there', 'here'] : ['here', 'there'];
      for (const side of order) {
        const r = run(side === 'here' ? ROOT : dir, samples);
        if (r) figures[side].push(r.rps);
        if (r?.cpu !== undefined) cpu[side].push(r.cpu);
        const cpuText = r?.cpu !== undefined ? `, ${fmt(r.cpu)} µs CPU a resource` : '';
        console.log(`  pair ${i + 1}: ${side === 'here' ? here : commit} ${r ? `${fmt(r.rps)} resources/s${cpuText}` : 'failed'}`);
      }
    }
    if (!figures.here.length || !figures.there.length) return;
    const [h, t] = [median(figures.here), median(figures.there)];
    const range = (xs: number[]): string => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    console.log(`  ${here}: median ${fmt(h)} resources/s (${range(figures.here)}, ${figures.here.length} runs)`);
    console.log(`  ${commit}: median ${fmt(t)} resources/s (${range(figures.there)}, ${figures.there.length} runs)`);
    console.log(`  difference: ${h >= t ? '+' : ''}${((100 * (h - t)) / t).toFixed(1)}% for this tree (medians)`);
    if (cpu.here.length && cpu.there.length) {
      const [ch, ct] = [median(cpu.here), median(cpu.there)];
      console.log(
        `  CPU a resource (bridge and PostgreSQL, median of each run's rounds): ${fmt(ch)} µs here, ${fmt(ct)} µs at ${commit}: ${ch >= ct ? '+' : ''}${((100 * (ch - ct)) / ct).toFixed(1)}% for this tree`,
      );
    }
  } finally {
    git('worktree', 'remove', '--force', dir);
  }
}

main();
