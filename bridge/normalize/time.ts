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

const RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

function iso(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
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
  if (month === null) return span(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
  if (day === null) return span(Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1));
  const dayStart = Date.UTC(year, month - 1, day);
  if (new Date(dayStart).getUTCDate() !== day) return NONE; // 2021-02-30
  if (h === undefined) return span(dayStart, Date.UTC(year, month - 1, day + 1));
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
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
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
