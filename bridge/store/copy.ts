import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Tx } from './db';

export type CopyValue = string | number | boolean | null | undefined;

/** One field in COPY's text format: `\N` for null, backslash escapes for the four characters the format reserves. */
function field(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const s = String(value);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string) : s;
}

/**
 * Appends rows with COPY FROM STDIN inside the caller's transaction: for many new rows it costs PostgreSQL a
 * third less than an INSERT … SELECT over a JSON parameter. Constraint violations reject the whole COPY with
 * PostgreSQL's error (and its code), as an INSERT would.
 */
export async function copyRows(tx: Tx, table: string, columns: string[], rows: CopyValue[][]): Promise<void> {
  if (!rows.length) return;
  const text = rows.map((r) => r.map(field).join('\t')).join('\n') + '\n';
  await pipeline(Readable.from([Buffer.from(text)]), tx.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}

/** A PostgreSQL array literal of texts (`{"a","b\\"c"}`), each element quoted, for a COPY field or a text[] parameter. */
export function arrayLiteral(items: readonly string[]): string {
  // Written for every resource version: most elements hold neither a quote nor a backslash, and are only wrapped.
  const quoted = items.map((s) => (s.includes('"') || s.includes('\\') ? s.replace(/["\\]/g, (c) => `\\${c}`) : s));
  return quoted.length ? `{"${quoted.join('","')}"}` : '{}';
}
