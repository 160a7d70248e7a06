/**
 * replaceClinicalRows against real PostgreSQL: a throwaway schema with stand-in core tables (clinic, resource,
 * patient), migrations/002_clinical.sql applied, rows inserted, replaced and read back.
 * Runs on the test run's PostgreSQL (embedded, or DATABASE_URL): see test/helpers/global-setup.ts.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { normalizeResource } from '../../../bridge/normalize';
import type { ClinicalRow } from '../../../bridge/normalize/types';
import { CLINICAL_TABLES, replaceClinicalRows } from '../../../bridge/store/clinical';

const URL = process.env.TEST_PG_URL as string;
const SCHEMA = `clinical_test_${process.pid}_${Date.now()}`;
const MIGRATION = fs.readFileSync(path.resolve(__dirname, '../../../migrations/002_clinical.sql'), 'utf8');

let pool: Pool;
let client: PoolClient;
const clinicId = randomUUID();
const patientId = randomUUID();

async function addResource(type: string): Promise<string> {
  const id = randomUUID();
  await client.query('insert into resource (id, resource_type, clinic_id) values ($1, $2, $3)', [id, type, clinicId]);
  return id;
}

function items(resourceId: string, resource: Resource): Array<{ resourceId: string; clinicId: string; patientId: string | null; row: ClinicalRow }> {
  return normalizeResource(resource).clinical.map((row) => ({ resourceId, clinicId, patientId, row }));
}

const bp: Observation = {
  resourceType: 'Observation',
  status: 'final',
  subject: { reference: `Patient/${patientId}` },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '85354-9' }] },
  effectiveDateTime: '2020-05',
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
};

beforeAll(async () => {
  pool = new Pool({ connectionString: URL, max: 1 });
  client = await pool.connect();
  await client.query(`create schema ${SCHEMA}`);
  await client.query(`set search_path to ${SCHEMA}`);
  await client.query(`
    create table clinic (id uuid primary key);
    create table resource (id uuid primary key, resource_type text not null, clinic_id uuid not null references clinic(id));
    create table patient (id uuid primary key);`);
  await client.query(MIGRATION);
  await client.query('insert into clinic (id) values ($1)', [clinicId]);
  await client.query('insert into patient (id) values ($1)', [patientId]);
});

afterAll(async () => {
  if (client) {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    client.release();
  }
  await pool?.end();
});

describe('replaceClinicalRows', () => {
  it('has a column for every field of every row type (and no extra)', async () => {
    const samples: Resource[] = [
      { resourceType: 'Encounter' } as Resource,
      { resourceType: 'Condition' } as Resource,
      bp,
      { resourceType: 'MedicationRequest' } as Resource,
      { resourceType: 'AllergyIntolerance' } as Resource,
      { resourceType: 'Immunization' } as Resource,
      { resourceType: 'Procedure' } as Resource,
      { resourceType: 'DiagnosticReport' } as Resource,
      { resourceType: 'DocumentReference' } as Resource,
    ];
    for (const r of samples) {
      const row = normalizeResource(r).clinical[0];
      const { rows } = await client.query<{ column_name: string }>(
        'select column_name from information_schema.columns where table_schema = $1 and table_name = $2',
        [SCHEMA, row.domain],
      );
      const columns = rows.map((c) => c.column_name).sort();
      const fields = Object.keys(row)
        .filter((k) => k !== 'domain')
        .map((k) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()));
      expect(columns).toEqual(['id', 'resource_id', 'clinic_id', 'patient_id', ...fields].sort());
    }
    expect([...CLINICAL_TABLES].sort()).toEqual([
      'allergy',
      'condition',
      'diagnostic_report',
      'document',
      'encounter',
      'immunization',
      'medication',
      'observation',
      'procedure',
    ]);
  });

  it('inserts rows of several domains and reads them back with types intact', async () => {
    const obsId = await addResource('Observation');
    const allergyId = await addResource('AllergyIntolerance');
    const allergy: Resource = {
      resourceType: 'AllergyIntolerance',
      patient: { reference: `Patient/${patientId}` },
      criticality: 'high',
      category: ['food'],
      code: { coding: [{ system: 'SNOMED CT', code: '227493005', display: "Cashew's nuts" }] },
      recordedDate: '2014-10-09T14:58:00+11:00',
      reaction: [{ manifestation: [{ coding: [{ system: 'http://snomed.info/sct', code: '39579001' }] }], severity: 'severe' }],
    };
    await replaceClinicalRows(client, [...items(obsId, bp), ...items(allergyId, allergy)], []);

    const obs = await client.query('select * from observation where resource_id = $1 order by component_index nulls first', [obsId]);
    expect(obs.rows).toHaveLength(3);
    expect(obs.rows[0]).toMatchObject({
      clinic_id: clinicId,
      patient_id: patientId,
      code_system: 'http://loinc.org',
      code: '85354-9',
      component_index: null,
      category: 'vital-signs',
      value_num: null,
    });
    expect(obs.rows[0].start_time.toISOString()).toBe('2020-05-01T00:00:00.000Z');
    expect(obs.rows[0].end_time.toISOString()).toBe('2020-05-31T23:59:59.999Z');
    expect(obs.rows[0].original_codes).toEqual({ coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '85354-9', display: null }], text: null });
    expect(obs.rows[2]).toMatchObject({
      code: '8462-4',
      component_index: 1,
      value_num: 80.5,
      value_unit: 'mm[Hg]',
      value_orig: '80.5',
      unit_orig: 'mm[Hg]',
      unit_status: 'converted',
    });

    const al = await client.query('select * from allergy where resource_id = $1', [allergyId]);
    expect(al.rows[0]).toMatchObject({ code: '227493005', code_display: "Cashew's nuts", criticality: 'high', category: 'food', status: null });
    expect(al.rows[0].recorded_time.toISOString()).toBe('2014-10-09T03:58:00.000Z');
    expect(al.rows[0].reactions[0].manifestations[0]).toEqual({ system: 'http://snomed.info/sct', code: '39579001', display: null });
  });

  it('replaces the rows of updated resources and leaves others alone', async () => {
    const a = await addResource('Condition');
    const b = await addResource('Condition');
    const cond = (code: string): Resource =>
      ({
        resourceType: 'Condition',
        subject: { reference: `Patient/${patientId}` },
        code: { coding: [{ system: 'http://snomed.info/sct', code }] },
      }) as Resource;
    await replaceClinicalRows(client, [...items(a, cond('1')), ...items(b, cond('2'))], []);
    await replaceClinicalRows(client, items(a, cond('3')), [a]);
    const { rows } = await client.query('select resource_id, code from condition where resource_id = any($1::uuid[]) order by code', [[a, b]]);
    expect(rows).toEqual([
      { resource_id: b, code: '2' },
      { resource_id: a, code: '3' },
    ]);
    // Clearing with no new rows empties the resource; deleting the resource cascades.
    await replaceClinicalRows(client, [], [a]);
    await client.query('delete from resource where id = $1', [b]);
    expect((await client.query('select count(*)::int as n from condition where resource_id = any($1::uuid[])', [[a, b]])).rows[0].n).toBe(0);
  });

  it('accepts rows without a patient and more rows than one statement chunk', async () => {
    const r = await addResource('Observation');
    const row = normalizeResource({ ...bp, component: undefined }).clinical[0];
    const many = Array.from({ length: 12_001 }, () => ({ resourceId: r, clinicId, patientId: null, row }));
    await replaceClinicalRows(client, many, [r]);
    const { rows } = await client.query('select count(*)::int as n, count(patient_id)::int as p from observation where resource_id = $1', [r]);
    expect(rows[0]).toEqual({ n: 12_001, p: 0 });
  });

  it('rolls back with the caller transaction', async () => {
    const r = await addResource('Procedure');
    await client.query('begin');
    await replaceClinicalRows(
      client,
      items(r, { resourceType: 'Procedure', status: 'completed', subject: { reference: `Patient/${patientId}` } } as Resource),
      [],
    );
    await client.query('rollback');
    expect((await client.query('select count(*)::int as n from procedure where resource_id = $1', [r])).rows[0].n).toBe(0);
  });
});
