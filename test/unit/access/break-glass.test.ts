import { breakGlassPurpose, breakGlassText, parseBreakGlass } from '../../../bridge/access/break-glass';
import { FhirError } from '../../../bridge/fhir/outcome';

const status = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as FhirError).status;
  }
};

test('purpose of use: ETREAT, ERTREAT, BTG, bare or as a v3-ActReason token; anything else is null', () => {
  expect(['ETREAT', ' ERTREAT ', 'BTG'].map(breakGlassPurpose)).toEqual(['ETREAT', 'ERTREAT', 'BTG']);
  expect(breakGlassPurpose('http://terminology.hl7.org/CodeSystem/v3-ActReason|BTG')).toBe('BTG');
  for (const bad of [undefined, '', 'TREAT', 'etreat', 'HMARKT', 'toString', 'urn:x|ETREAT', '|ETREAT']) expect(breakGlassPurpose(bad)).toBeNull();
});

test('reason of 10 to 1000 characters once trimmed, and a purpose, or 400', () => {
  expect(parseBreakGlass(undefined, 'ETREAT')).toBeUndefined();
  const ok = parseBreakGlass('  unconscious in ER  ', 'ETREAT');
  expect(ok).toEqual({ purpose: 'ETREAT', reason: 'unconscious in ER' });
  expect(breakGlassText(ok!)).toBe('ETREAT: unconscious in ER');
  expect(parseBreakGlass('x'.repeat(1000), 'BTG')?.reason).toHaveLength(1000);
  expect(parseBreakGlass('0123456789', 'BTG')?.reason).toBe('0123456789');
  expect(status(() => parseBreakGlass('012345678', 'BTG'))).toBe(400);
  expect(status(() => parseBreakGlass('x'.repeat(1001), 'BTG'))).toBe(400);
  expect(status(() => parseBreakGlass('          ', 'BTG'))).toBe(400);
  expect(status(() => parseBreakGlass('unconscious in ER', undefined))).toBe(400);
  expect(status(() => parseBreakGlass('unconscious in ER', 'POPHLTH'))).toBe(400);
});
