/**
 * FHIR date / dateTime / instant / Period → UTC ISO-8601 timestamps.
 * A value names a span at its precision: `2020` is 2020-01-01T00:00:00.000Z … 2020-12-31T23:59:59.999Z
 * (end inclusive, to the millisecond), a full instant is a zero-length span. A time without offset (invalid
 * in FHIR, seen in the wild) is read as UTC. Unparseable input yields nulls, never an exception.
 */
import type { Period } from '@medplum/fhirtypes';

export interface TimeRange {
  start: string | null;
  end: string | null;
}

const NONE: TimeRange = { start: null, end: null };

const RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

/** The years PostgreSQL reads back from an ISO string: 0001-9999 (toISOString writes year 0 as 0000, others as ±YYYYYY). */
const FIRST_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

function iso(ms: number): string | null {
  return Number.isFinite(ms) && ms >= FIRST_MS && ms <= LAST_MS ? new Date(ms).toISOString() : null;
}

/** Date.UTC(year, monthIndex, day) without its mapping of years 0-99 to 1900-1999 (months and days may overflow). */
function utc(year: number, monthIndex: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  return d.getTime();
}

/** Start and inclusive end (UTC) of the span a FHIR date, dateTime or instant denotes. */
export function fhirTimeRange(value: string | null | undefined): TimeRange {
  if (typeof value !== 'string') return NONE;
  const m = RE.exec(value.trim());
  if (!m) return NONE;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : null;
  const day = d ? Number(d) : null;
  if (month !== null && (month < 1 || month > 12)) return NONE;
  if (month === null) return span(utc(year, 0, 1), utc(year + 1, 0, 1));
  if (day === null) return span(utc(year, month - 1, 1), utc(year, month, 1));
  const dayStart = utc(year, month - 1, day);
  if (new Date(dayStart).getUTCDate() !== day) return NONE; // 2021-02-30
  if (h === undefined) return span(dayStart, utc(year, month - 1, day + 1));
  const hour = Number(h);
  const minute = Number(mi);
  const second = s ? Number(s) : 0;
  if (hour > 24 || minute > 59 || second > 60) return NONE;
  const ms = frac ? Math.floor(Number(frac) * 1000) : 0;
  const local = dayStart + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  const t = iso(local - offsetMinutes(tz) * 60_000);
  // A dateTime to the minute or second is one instant: store it as start = end.
  return { start: t, end: t };
}

function span(startMs: number, nextStartMs: number): TimeRange {
  return { start: iso(startMs), end: iso(nextStartMs - 1) };
}

function offsetMinutes(tz: string | undefined): number {
  if (!tz || tz === 'Z') return 0;
  const sign = tz[0] === '-' ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  const [hours, minutes] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4))];
  // Offsets run from -14:00 to +14:00 (FHIR R4 dateTime regex, ISO 8601 practice); anything else names no instant.
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return NaN;
  return sign * (hours * 60 + minutes);
}

/** A full date (YYYY-MM-DD) that exists in the calendar and that PostgreSQL can store (2021-02-29 and 0000-01-01 do not). */
export function isCalendarDate(value: string | null | undefined): boolean {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && fhirTimeRange(value).start !== null;
}

/** UTC start of a FHIR date/dateTime/instant (start of its span), or null. */
export function toUtcStart(value: string | null | undefined): string | null {
  return fhirTimeRange(value).start;
}

/** A Period: start of `start`'s span … end of `end`'s span; an open end stays null. */
export function periodRange(period: Period | null | undefined): TimeRange {
  if (!period) return NONE;
  return { start: fhirTimeRange(period.start).start, end: fhirTimeRange(period.end).end };
}

/** A `[x]` choice of dateTime or Period (effective[x], performed[x], onset[x] …): whichever is present. */
export function choiceRange(dateTime: string | null | undefined, period: Period | null | undefined): TimeRange {
  if (typeof dateTime === 'string') return fhirTimeRange(dateTime);
  return periodRange(period);
}
