/**
 * Throughput of normalizeResource over the shared Synthea bundles (prints figures; asserts nothing).
 * Run: npx ts-node --transpile-only bench/normalize.ts [samplesDir]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { normalizeResource } from '../bridge/normalize';
import { SAMPLES_DIR } from './samples-dir';

const dir = process.argv[2] ?? path.join(SAMPLES_DIR, 'synthea-r4');
if (!fs.existsSync(dir)) {
  console.log(`normalize skipped: no Synthea samples at ${dir} (set FHIR_SAMPLES_DIR)`);
  process.exit(0);
}
const resources: Resource[] = [];
for (const f of fs
  .readdirSync(dir)
  .filter((x) => x.endsWith('.json'))
  .sort()) {
  const b = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { entry?: Array<{ resource?: Resource }> };
  for (const e of b.entry ?? []) if (e.resource) resources.push(e.resource);
}
const units = new Map<string, number>();
let rows = 0;
normalizeResource(resources[0]); // load ucum-lhc outside the timed loop
for (let round = 0; round < 3; round++) {
  rows = 0;
  const t0 = process.hrtime.bigint();
  for (const r of resources) {
    const out = normalizeResource(r);
    rows += out.clinical.length;
    if (round === 0) for (const row of out.clinical) if (row.unitStatus) units.set(row.unitStatus, (units.get(row.unitStatus) ?? 0) + 1);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `round ${round + 1}: ${resources.length} resources → ${rows} rows in ${s.toFixed(3)} s = ${Math.round(resources.length / s)} resources/s, ${Math.round(rows / s)} rows/s`,
  );
}
console.log('unit status:', Object.fromEntries(units));
