/**
 * Throughput of replaceClinicalRows: normalizes the Synthea samples, then writes all rows in batches of
 * one bundle-sized transaction each, into a throwaway schema. Prints figures; asserts nothing.
 * Run: DATABASE_URL=postgres://… npx ts-node --transpile-only bench/clinical-store.ts
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pool } from 'pg';
import type { Resource } from '@medplum/fhirtypes';
import { normalizeResource } from '../bridge/normalize';
import { replaceClinicalRows, type ClinicalItem } from '../bridge/store/clinical';
import { SAMPLES_DIR } from './samples-dir';

async function main(): Promise<void> {
  const dir = path.join(SAMPLES_DIR, 'synthea-r4');
  if (!fs.existsSync(dir)) return console.log(`clinical-store skipped: no Synthea samples at ${dir} (set FHIR_SAMPLES_DIR)`);
  const pool = new Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
  const client = await pool.connect();
  const schema = `clinical_bench_${process.pid}`;
  const clinicId = randomUUID();
  try {
    await client.query(`create schema ${schema}; set search_path to ${schema}`);
    await client.query(`create table clinic (id uuid primary key);
      create table resource (id uuid primary key, resource_type text, clinic_id uuid);
      create table patient (id uuid primary key);`);
    await client.query(fs.readFileSync(path.resolve(__dirname, '../migrations/002_clinical.sql'), 'utf8'));
    await client.query('insert into clinic values ($1)', [clinicId]);
    const bundles: ClinicalItem[][] = [];
    for (const f of fs
      .readdirSync(dir)
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const b = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { entry?: Array<{ resource?: Resource }> };
      const items: ClinicalItem[] = [];
      const ids: string[] = [];
      const patientId = randomUUID();
      for (const e of b.entry ?? []) {
        if (!e.resource) continue;
        const rows = normalizeResource(e.resource).clinical;
        if (!rows.length) continue;
        const resourceId = randomUUID();
        ids.push(resourceId);
        for (const row of rows) items.push({ resourceId, clinicId, patientId, row });
      }
      if (!items.length) continue;
      await client.query('insert into patient values ($1)', [items[0].patientId]);
      await client.query(`insert into resource (id, resource_type, clinic_id) select unnest($1::uuid[]), 'x', $2`, [ids, clinicId]);
      bundles.push(items);
    }
    // Time spent waiting on PostgreSQL vs building parameters in JS.
    let dbNs = 0n;
    const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...a: unknown[]) => {
      const t = process.hrtime.bigint();
      try {
        return await query(...a);
      } finally {
        dbNs += process.hrtime.bigint() - t;
      }
    };
    for (const label of ['insert', 'replace']) {
      dbNs = 0n;
      const total = bundles.reduce((n, b) => n + b.length, 0);
      let callNs = 0n;
      const t0 = process.hrtime.bigint();
      for (const items of bundles) {
        await client.query('begin');
        const t = process.hrtime.bigint();
        await replaceClinicalRows(client, items, label === 'replace' ? [...new Set(items.map((i) => i.resourceId))] : []);
        callNs += process.hrtime.bigint() - t;
        await client.query('commit');
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const call = Number(callNs) / 1e9;
      console.log(
        `${label}: ${bundles.length} bundles, ${total} rows: replaceClinicalRows ${call.toFixed(2)} s = ${Math.round(total / call)} rows/s ` +
          `(of which PostgreSQL ${(Number(dbNs) / 1e9).toFixed(2)} s incl. commits); with a commit per bundle ${Math.round(total / s)} rows/s`,
      );
    }
  } finally {
    await client.query(`drop schema if exists ${schema} cascade`);
    client.release();
    await pool.end();
  }
}

void main();
