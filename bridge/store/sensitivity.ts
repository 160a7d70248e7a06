/**
 * Backfill of resource.sensitivity (migration 020) for rows written before it: classified in batches by the pure
 * classifier (normalize/sensitivity.ts), at migrate and at start. Until a row is classified, a restricted pull
 * withholds it (NULL counts as sensitive), so the backfill never needs to finish before serving.
 */
import { classifySensitivity } from '../normalize/sensitivity';
import type { Db } from './db';

/** Classifies every unclassified row, `batch` at a time; returns how many were classified. */
export async function backfillSensitivity(db: Db, batch = 500): Promise<number> {
  let done = 0;
  for (;;) {
    const res = await db.query('SELECT id, content FROM resource WHERE sensitivity IS NULL ORDER BY id LIMIT $1', [batch]);
    if (!res.rows.length) return done;
    const ids = res.rows.map((r) => r.id as string);
    const labels = res.rows.map((r) => `{${classifySensitivity(r.content).join(',')}}`);
    await db.query(
      `UPDATE resource r SET sensitivity = u.l::text[] FROM unnest($1::uuid[], $2::text[]) AS u(id, l) WHERE r.id = u.id AND r.sensitivity IS NULL`,
      [ids, labels],
    );
    done += ids.length;
    if (res.rows.length < batch) return done;
  }
}

/** The sensitivity labels of a stored resource's current version (null: not classified yet, or unknown). */
export async function resourceSensitivity(db: Db, id: string): Promise<string[] | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const res = await db.query('SELECT sensitivity FROM resource WHERE id = $1', [id]);
  return res.rows[0]?.sensitivity ?? null;
}
