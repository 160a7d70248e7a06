import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './db';

export interface Clinic {
  id: string;
  name: string;
}

const keyHash = (apiKey: string): Buffer => createHash('sha256').update(apiKey, 'utf8').digest();

/** Creates a clinic and its API key. The key is returned once; only its SHA-256 is stored. */
export async function createClinic(db: Db, name: string): Promise<Clinic & { apiKey: string }> {
  const id = randomUUID();
  const apiKey = `fab_${randomBytes(32).toString('base64url')}`;
  await db.query('INSERT INTO clinic (id, name, api_key_hash) VALUES ($1, $2, $3)', [id, name, keyHash(apiKey)]);
  return { id, name, apiKey };
}

export async function findClinicByApiKey(db: Db, apiKey: string): Promise<Clinic | null> {
  const res = await db.query('SELECT id, name FROM clinic WHERE api_key_hash = $1', [keyHash(apiKey)]);
  return res.rows[0] ?? null;
}

export async function listClinics(db: Db): Promise<Clinic[]> {
  const res = await db.query('SELECT id, name FROM clinic ORDER BY created_at');
  return res.rows;
}
