/**
 * Integer parameters from URLs (`_count`, `_offset`, a version id, an export file number), parsed in one place and
 * bounded to what the database's integer columns hold, so an out-of-range number is the client's 4xx, never a
 * PostgreSQL overflow (22003). Plain decimal digits only: `1e3`, `0x10`, `1.0` and `+1` are not integers here.
 */
/** PostgreSQL `integer` (version, export file seq); also the largest `_offset` accepted. */
export const INT4_MAX = 2_147_483_647;

/** The integer `raw` denotes when it is plain digits within [min, max]; undefined otherwise. */
export function boundedInteger(raw: string, min = 0, max = INT4_MAX): number | undefined {
  const text = raw.trim();
  if (!/^-?\d{1,12}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}
