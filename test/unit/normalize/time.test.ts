import { choiceRange, fhirTimeRange, periodRange, toUtcStart } from '../../../bridge/normalize/time';

describe('fhirTimeRange', () => {
  it('spans a year, a month and a day (end inclusive to the millisecond)', () => {
    expect(fhirTimeRange('2020')).toEqual({ start: '2020-01-01T00:00:00.000Z', end: '2020-12-31T23:59:59.999Z' });
    expect(fhirTimeRange('2020-02')).toEqual({ start: '2020-02-01T00:00:00.000Z', end: '2020-02-29T23:59:59.999Z' });
    expect(fhirTimeRange('2021-02')).toEqual({ start: '2021-02-01T00:00:00.000Z', end: '2021-02-28T23:59:59.999Z' });
    expect(fhirTimeRange('2020-12-31')).toEqual({ start: '2020-12-31T00:00:00.000Z', end: '2020-12-31T23:59:59.999Z' });
  });

  it('converts offsets to UTC and treats a dateTime as one instant', () => {
    expect(fhirTimeRange('2011-10-14T19:37:54-04:00')).toEqual({ start: '2011-10-14T23:37:54.000Z', end: '2011-10-14T23:37:54.000Z' });
    expect(fhirTimeRange('2015-02-07T13:28:17.239+02:00').start).toBe('2015-02-07T11:28:17.239Z');
    expect(fhirTimeRange('2020-01-01T00:30:00+05:30').start).toBe('2019-12-31T19:00:00.000Z');
    expect(fhirTimeRange('2013-04-02T09:30:10.1234567Z').start).toBe('2013-04-02T09:30:10.123Z');
  });

  it('reads a time without offset as UTC, and minutes-only times', () => {
    expect(fhirTimeRange('2020-03-04T05:06:07').start).toBe('2020-03-04T05:06:07.000Z');
    expect(fhirTimeRange('2020-03-04T05:06Z').start).toBe('2020-03-04T05:06:00.000Z');
  });

  it('returns nulls for invalid or absent input instead of throwing', () => {
    for (const bad of ['', 'yesterday', '2021-02-30', '2020-13', '20200101', '2020-01-01T25:00:00Z', undefined, null]) {
      expect(fhirTimeRange(bad)).toEqual({ start: null, end: null });
    }
    expect(fhirTimeRange(42 as unknown as string)).toEqual({ start: null, end: null });
  });
});

describe('periods and choices', () => {
  it('takes the start of start and the end of end; open ends stay null', () => {
    expect(periodRange({ start: '2019', end: '2019-06' })).toEqual({ start: '2019-01-01T00:00:00.000Z', end: '2019-06-30T23:59:59.999Z' });
    expect(periodRange({ start: '2019-05-01T10:00:00Z' })).toEqual({ start: '2019-05-01T10:00:00.000Z', end: null });
    expect(periodRange(undefined)).toEqual({ start: null, end: null });
  });

  it('prefers the dateTime of a choice, else its Period', () => {
    expect(choiceRange('2020-01-01', { start: '2019' }).start).toBe('2020-01-01T00:00:00.000Z');
    expect(choiceRange(undefined, { start: '2019' }).start).toBe('2019-01-01T00:00:00.000Z');
    expect(toUtcStart('1999-12')).toBe('1999-12-01T00:00:00.000Z');
  });
});
