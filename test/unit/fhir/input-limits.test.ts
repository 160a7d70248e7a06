import { boundedInteger, INT4_MAX } from '../../../bridge/fhir/integers';
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseLimitedJson, unstorableString } from '../../../bridge/fhir/json-limits';
import { FhirError } from '../../../bridge/fhir/outcome';
import { fhirTimeRange, isCalendarDate } from '../../../bridge/normalize/time';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FhirError) return `${err.status} ${err.issues.map((i) => i.diagnostics).join('; ')}`;
    throw err;
  }
  return 'accepted';
};

describe('JSON limits', () => {
  it('counts nesting on the text, ignoring brackets inside strings', () => {
    expect(jsonDepthExceeds('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ a: '['.repeat(500), b: '\\"[[[[' }))).toBe(false);
    expect(refusal(() => parseLimitedJson('['.repeat(100_000) + ']'.repeat(100_000)))).toBe(`400 the JSON is nested more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('counts nesting as a character-by-character scan does, over random texts of quotes, escapes and brackets', () => {
    // The reference: every character in turn, a backslash in a string skipping the next one.
    const reference = (text: string, limit: number): boolean => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') {
          if (++depth > limit) return true;
        } else if (c === ']' || c === '}') depth--;
      }
      return false;
    };
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = ['[', '[', '{', ']', '}', '"', '\\', 'a', ','];
    let deep = 0;
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const expected = reference(text, 4);
      if (expected) deep++;
      expect([text, jsonDepthExceeds(text, 4)]).toEqual([text, expected]);
    }
    expect(deep).toBeGreaterThan(300); // both answers occur
  });

  it('refuses lone surrogates and U+0000 in strings and keys, naming where', () => {
    expect(refusal(() => parseLimitedJson('{"resourceType":"Patient","name":[{"family":"\\ud800"}]}'))).toMatch(
      /^400 the value at Patient\.name\[0\]\.family holds a lone surrogate/,
    );
    expect(refusal(() => parseLimitedJson('{"a":"x\\udc00"}'))).toMatch(/^400 the value at a holds a lone surrogate/);
    expect(refusal(() => parseLimitedJson('{"a":{"\\ud800":1}}'))).toMatch(/^400 the value at a is a key that holds a lone surrogate/);
    expect(refusal(() => parseLimitedJson('{"a":["x\\u0000"]}'))).toMatch(/^400 the value at a\[0\] holds U\+0000/);
    expect(refusal(() => parseLimitedJson('{"a":'))).toBe('400 the request body is not valid JSON');
    // the same, written in the text itself rather than escaped (a caller's string, not a UTF-8 body)
    expect(refusal(() => parseLimitedJson('{"a":"x\ud800"}'))).toMatch(/^400 the value at a holds a lone surrogate/);
    expect(refusal(() => parseLimitedJson('{"a":"\u0000"}'))).toBe('400 the request body is not valid JSON'); // a raw control character
    // an escaped backslash before `ud800` is the six characters \ud800, which are ordinary text
    expect(parseLimitedJson('{"a":"\\\\ud800 \\\\u0000"}')).toEqual({ a: '\\ud800 \\u0000' });
    // paired surrogates are ordinary text
    expect(unstorableString({ a: '\ud83d\ude00 \u00e9 \u4e2d' })).toBeUndefined();
    expect(parseLimitedJson('{"a":"\\ud83d\\ude00"}')).toEqual({ a: '\u{1f600}' });
  });
});

describe('boundedInteger', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    [String(INT4_MAX), INT4_MAX],
    [' 7 ', 7],
    [String(INT4_MAX + 1), undefined],
    ['99999999999999999999', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['1.5', undefined],
    ['0x10', undefined],
    ['', undefined],
    ['abc', undefined],
  ])('%p → %p', (raw, expected) => expect(boundedInteger(raw)).toBe(expected));
});

describe('dates PostgreSQL can store', () => {
  it('refuses years outside 0001-9999 instead of writing an ISO string PostgreSQL cannot read', () => {
    expect(fhirTimeRange('0000')).toEqual({ start: null, end: null });
    expect(fhirTimeRange('0000-01-01')).toEqual({ start: null, end: null });
    expect(fhirTimeRange('0001-01-01T00:00:00+14:00')).toEqual({ start: null, end: null });
    expect(fhirTimeRange('9999-12-31T23:59:59-14:00')).toEqual({ start: null, end: null });
    expect(fhirTimeRange('9999-12-31').end).toBe('9999-12-31T23:59:59.999Z');
  });

  it('reads years 0001-0099 as themselves (Date.UTC maps them to 1900-1999)', () => {
    expect(fhirTimeRange('0050-06-15').start).toBe('0050-06-15T00:00:00.000Z');
    expect(fhirTimeRange('0001').start).toBe('0001-01-01T00:00:00.000Z');
  });

  it('refuses offsets beyond ±14:00 or with more than 59 minutes', () => {
    expect(fhirTimeRange('2020-01-01T10:00:00+99:99').start).toBeNull();
    expect(fhirTimeRange('2020-01-01T10:00:00+14:30').start).toBeNull();
    expect(fhirTimeRange('2020-01-01T10:00:00+14:00').start).toBe('2019-12-31T20:00:00.000Z');
  });

  it('knows calendar dates', () => {
    expect(isCalendarDate('2020-02-29')).toBe(true);
    expect(isCalendarDate('2021-02-29')).toBe(false);
    expect(isCalendarDate('0000-01-01')).toBe(false);
    expect(isCalendarDate('2020-02')).toBe(false);
    expect(isCalendarDate(undefined)).toBe(false);
  });
});
