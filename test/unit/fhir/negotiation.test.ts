import { returnPreference, unacceptableFormat } from '../../../bridge/fhir/negotiation';
import { loadConfig } from '../../../bridge/config';

describe('unacceptableFormat (R4 http.html#mime-type)', () => {
  test.each([
    [undefined, undefined],
    [undefined, ''],
    [undefined, '*/*'],
    [undefined, 'application/*;q=0.5'],
    [undefined, 'application/fhir+json;fhirVersion=4.0'],
    [undefined, 'APPLICATION/JSON'],
    ['json', 'application/fhir+xml'],
    ['application/fhir+json; fhirVersion=4.0', undefined],
  ])('_format %s, Accept %s: JSON is acceptable', (format, accept) => {
    expect(unacceptableFormat(format, accept)).toBeNull();
  });

  test.each([
    ['xml', undefined, '_format=xml'],
    ['html', '*/*', '_format=html'],
    ['nonsense', undefined, '_format=nonsense'],
    [undefined, 'application/fhir+xml', 'Accept: application/fhir+xml'],
    [undefined, 'application/json;q=0, text/xml', 'Accept: application/json;q=0, text/xml'],
    [undefined, 'text/*', 'Accept: text/*'],
  ])('_format %s, Accept %s: refused, naming %s', (format, accept, asked) => {
    expect(unacceptableFormat(format, accept)).toBe(asked);
  });
});

test('a path that serves NDJSON accepts it; others do not', () => {
  expect(unacceptableFormat(undefined, 'application/fhir+ndjson', ['application/fhir+ndjson'])).toBeNull();
  expect(unacceptableFormat(undefined, 'application/fhir+ndjson')).toBe('Accept: application/fhir+ndjson');
});

describe('returnPreference (RFC 7240, R4 http.html#ops)', () => {
  test.each([
    ['return=minimal', 'minimal'],
    ['return=representation', 'representation'],
    ['return=OperationOutcome', 'OperationOutcome'],
    ['respond-async, return="minimal"', 'minimal'],
    ['handling=lenient;x=1, Return=operationoutcome', 'OperationOutcome'],
    ['return=everything', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (prefer, expected) => {
    expect(returnPreference(prefer)).toBe(expected);
  });
});

describe('CORS_ORIGINS', () => {
  test.each([
    [undefined, []],
    ['', []],
    ['*', '*'],
    ['https://app.example.org', ['https://app.example.org']],
    ['https://a.example.org/, http://127.0.0.1:3000', ['https://a.example.org', 'http://127.0.0.1:3000']],
  ])('%s → %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { CORS_ORIGINS: value }).corsOrigins).toEqual(expected);
  });

  test.each(['app.example.org', 'https://app.example.org/path', 'ftp://x.example.org', '*, https://a.example.org'])('%s is refused at start', (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/invalid configuration: CORS_ORIGINS/);
  });
});
