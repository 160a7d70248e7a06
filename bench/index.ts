/**
 * `npm run bench`: runs every benchmark in turn, each in its own process, and prints their figures.
 * Benchmarks print; they never assert. `npm run bench -- ingest anchor` runs only those.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ALL = [
  { name: 'ingest', file: 'ingest.ts', needs: undefined },
  { name: 'ingest-compare', file: 'ingest-compare.ts', needs: 'BENCH_COMPARE_WITH' },
  { name: 'normalize', file: 'normalize.ts', needs: undefined },
  { name: 'anchor', file: 'anchor.ts', needs: undefined },
  { name: 'anchoring', file: 'anchoring.ts', needs: undefined },
  { name: 'log-gas', file: 'log-gas.ts', needs: undefined },
  { name: 'clinical-store', file: 'clinical-store.ts', needs: 'DATABASE_URL' },
  { name: 'pull', file: 'pull.ts', needs: undefined },
  { name: 'access-log', file: 'access-log.ts', needs: undefined },
  { name: 'log-append', file: 'log-append.ts', needs: undefined },
  { name: 'log-proofs', file: 'log-proofs.ts', needs: undefined },
  { name: 'log-everything', file: 'log-everything.ts', needs: undefined },
  { name: 'match', file: 'match.ts', needs: undefined },
  { name: 'auth', file: 'auth.ts', needs: undefined },
  { name: 'consent', file: 'consent.ts', needs: undefined },
  { name: 'portal', file: 'portal.ts', needs: undefined },
  { name: 'fuzz', file: 'fuzz.ts', needs: undefined },
  { name: 'mutation', file: 'mutation.ts', needs: undefined },
  { name: 'search', file: 'search.ts', needs: undefined },
];

const wanted = process.argv.slice(2);
for (const bench of ALL.filter((b) => !wanted.length || wanted.includes(b.name))) {
  const file = path.join(__dirname, bench.file);
  if (!fs.existsSync(file)) continue;
  if (bench.needs && !process.env[bench.needs]) {
    console.log(`\n== ${bench.name}: skipped (set ${bench.needs})`);
    continue;
  }
  console.log(`\n== ${bench.name}`);
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', file], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) console.log(`== ${bench.name} exited with ${run.status}`);
}
