import { afterCommit, type Tx } from './db';

/**
 * The dictionary of `:text` values (search_text, migration 029): each distinct folded text of a token parameter of a
 * type, once. A resource holds its texts as keys (`param~text` in search_keys); a `:text` search finds the texts that
 * start with its value here (a prefix range of the primary key), then the resources through those keys (GIN). So a
 * text costs a write of its own only the first time any resource holds it (a code's display repeats across thousands).
 */

/** Texts this process knows are committed to the dictionary, as `type\0param\0value`. */
const committed = new Set<string>();
/** Past this many, the set starts over: a miss costs one `ON CONFLICT DO NOTHING` insert, never a lost text. */
const COMMITTED_MAX = 200_000;

export interface TextValue {
  resourceType: string;
  param: string;
  value: string;
}

/**
 * Adds the texts of resources written in `tx` to the dictionary, those not known committed. `remember`: note them as
 * committed once `tx` commits (store/db afterCommit): only for transactions of inTransaction, whose commit is known.
 * Inserted in one sorted order, so two writers of the same new texts wait for each other instead of deadlocking.
 */
export async function registerTexts(tx: Tx, texts: TextValue[], remember = true): Promise<void> {
  const fresh = new Map<string, TextValue>();
  for (const t of texts) {
    const key = `${t.resourceType}\0${t.param}\0${t.value}`;
    if (!committed.has(key) && !fresh.has(key)) fresh.set(key, t);
  }
  if (!fresh.size) return;
  const keys = [...fresh.keys()].sort();
  const rows = keys.map((k) => fresh.get(k) as TextValue);
  await tx.query(
    `INSERT INTO search_text (resource_type, param, value)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.resourceType), rows.map((r) => r.param), rows.map((r) => r.value)],
  );
  if (remember)
    afterCommit(tx, () => {
      if (committed.size + keys.length > COMMITTED_MAX) committed.clear();
      for (const k of keys) committed.add(k);
    });
}

/** Forgets what this process knows committed (tests: a dictionary emptied behind its back). */
export function forgetCommittedTexts(): void {
  committed.clear();
}
