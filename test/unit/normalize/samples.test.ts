/**
 * Normalizes every resource of the shared sample bundles (Synthea, HL7 examples, IPS), after rewriting
 * urn:uuid references to `Type/id` as the bridge does before normalization. Skipped, with one line saying so, when
 * the samples (FHIR_SAMPLES_DIR) are absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { normalizeResource } from '../../../bridge/normalize';
import { canonicalSystem } from '../../../bridge/normalize/codes';
import type { ClinicalRow } from '../../../bridge/normalize/types';
import { describeWithSamples, SAMPLES_DIR } from '../../helpers/samples';

const ROOT = SAMPLES_DIR;
const FOLDERS = ['synthea-r4', 'hl7-r4-examples', 'ips'];
const CLINICAL = new Set([
  'Encounter',
  'Condition',
  'Observation',
  'MedicationStatement',
  'MedicationRequest',
  'MedicationAdministration',
  'AllergyIntolerance',
  'Immunization',
  'Procedure',
  'DiagnosticReport',
  'DocumentReference',
  'Composition',
]);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Entry {
  fullUrl?: string;
  resource?: Resource;
}

/** Resources of a file (a Bundle's entries or the resource itself) with urn:uuid references rewritten. */
function resourcesOf(file: string): Resource[] {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Resource & { entry?: Entry[] };
  const entries: Entry[] = json.resourceType === 'Bundle' ? (json.entry ?? []) : [{ resource: json }];
  const ids = new Map<string, string>();
  for (const e of entries) {
    if (e.fullUrl && e.resource) ids.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id ?? e.fullUrl.replace(/^urn:uuid:/, '')}`);
  }
  const rewritten = JSON.parse(JSON.stringify(entries), (k, v) => (k === 'reference' && typeof v === 'string' && ids.has(v) ? ids.get(v) : v)) as Entry[];
  return rewritten.map((e) => e.resource).filter((r): r is Resource => !!r);
}

function expectCanonical(system: string | null): void {
  if (system !== null) expect(canonicalSystem(system)).toBe(system);
}

describeWithSamples(FOLDERS, 'normalize sample data', () => {
  for (const folder of FOLDERS) {
    const dir = path.join(ROOT, folder);
    const files = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort()
      : [];
    it(`${folder}: every resource normalizes to sane rows`, () => {
      let resources = 0;
      let rows = 0;
      let mgdl = 0;
      for (const f of files) {
        for (const r of resourcesOf(path.join(dir, f))) {
          resources++;
          const out = normalizeResource(r);
          expect(() => JSON.stringify(out)).not.toThrow();
          if (!CLINICAL.has(r.resourceType)) expect(out.clinical).toEqual([]);
          else expect(out.clinical.length).toBeGreaterThan(0);
          if (folder === 'synthea-r4' && (CLINICAL.has(r.resourceType) || r.resourceType === 'Patient')) expect(out.patientRef).toEqual(expect.any(String));
          for (const row of out.clinical as ClinicalRow[]) {
            rows++;
            expectCanonical(row.codeSystem);
            expectCanonical(row.valueCodeSystem);
            for (const t of [row.startTime, row.endTime]) if (t !== null) expect(t).toMatch(ISO);
            if (row.startTime && row.endTime) expect(row.startTime <= row.endTime).toBe(true);
            if (row.unitOrig === 'mg/dL' && row.valueOrig !== null) {
              mgdl++;
              expect(row).toMatchObject({ unitStatus: 'converted', valueUnit: 'g/L' });
              expect(row.valueNum).toBeCloseTo(row.valueOrig / 100, 9);
            }
            if (row.unitStatus === 'converted' && row.valueOrig !== null) expect(Number.isFinite(row.valueNum)).toBe(true);
          }
          if (r.resourceType === 'Patient') expect(out.patient).toBeDefined();
        }
      }
      expect(resources).toBeGreaterThan(0);
      if (folder === 'synthea-r4') {
        expect(rows).toBeGreaterThan(resources / 2);
        expect(mgdl).toBeGreaterThan(0);
      }
    });
  }
});
