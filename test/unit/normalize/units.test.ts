import { toCanonicalQuantity } from '../../../bridge/normalize/units';

const UCUM = 'http://unitsofmeasure.org';

describe('toCanonicalQuantity', () => {
  it('converts mass to kg and mass concentration to g/L (measured references)', () => {
    expect(toCanonicalQuantity(154, '[lb_av]', UCUM)).toEqual({ value: 69.85322498, unit: 'kg', valueOrig: 154, unitOrig: '[lb_av]', status: 'converted' });
    expect(toCanonicalQuantity(100, 'mg/dL', UCUM)).toMatchObject({ value: 1, unit: 'g/L' });
  });

  it.each([
    [180, 'cm', 1.8, 'm'],
    [70, '[in_i]', 1.778, 'm'],
    [5.5, 'mmol/L', 0.0055, 'mol/L'],
    [7, '10*3/uL', 7e9, '/L'],
    [90, 'fL', 9e-14, 'L'],
    [120, 'mm[Hg]', 120, 'mm[Hg]'],
    [16, 'kPa', 120.0102, 'mm[Hg]'],
    [37, 'Cel', 37, 'Cel'],
    [98.6, '[degF]', 37, 'Cel'],
    [60, '/min', 60, '/min'],
    [1, '/s', 60, '/min'],
    [25, 'kg/m2', 25, 'kg/m2'],
    [95, '%', 0.95, '1'],
    [30, 'U/L', 30, 'U/L'],
    [2, 'h', 7200, 's'],
  ])('%d %s → %d %s', (v, u, cv, cu) => {
    const q = toCanonicalQuantity(v, u, UCUM);
    expect(q.status).toBe('converted');
    expect(q.unit).toBe(cu);
    expect(q.value).toBeCloseTo(cv, 4);
    expect(q.valueOrig).toBe(v);
    expect(q.unitOrig).toBe(u);
  });

  it('keeps mmol/L and cell counts apart (mole exponent)', () => {
    expect(toCanonicalQuantity(1, 'mmol/L', UCUM).unit).not.toBe(toCanonicalQuantity(1, '10*3/uL', UCUM).unit);
  });

  it('maps common non-UCUM lab spellings', () => {
    expect(toCanonicalQuantity(7, 'K/uL', UCUM)).toMatchObject({ value: 7e9, unit: '/L', unitOrig: 'K/uL' });
    expect(toCanonicalQuantity(120, 'mmHg', undefined)).toMatchObject({ value: 120, unit: 'mm[Hg]' });
  });

  it('keeps annotations, arbitrary, non-UCUM and unknown units as sent with a status', () => {
    expect(toCanonicalQuantity(3, '{score}', UCUM)).toEqual({ value: 3, unit: '{score}', valueOrig: 3, unitOrig: '{score}', status: 'annotation' });
    expect(toCanonicalQuantity(90, 'mL/min/{1.73_m2}', UCUM).status).toBe('annotation');
    expect(toCanonicalQuantity(3, '[IU]/L', UCUM).status).toBe('arbitrary');
    expect(toCanonicalQuantity(1, 'TAB', 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm')).toMatchObject({
      value: 1,
      unit: 'TAB',
      status: 'non_ucum',
    });
    expect(toCanonicalQuantity(1, 'bogus unit', UCUM).status).toBe('unknown_unit');
    expect(toCanonicalQuantity(1, 'xyzzy', UCUM).status).toBe('unknown_unit');
    expect(toCanonicalQuantity(7.4, '[pH]', UCUM).status).toBe('no_canonical');
    expect(toCanonicalQuantity(4, undefined, undefined)).toMatchObject({ value: 4, unit: null, status: 'no_unit' });
  });

  it('accepts UCUM given by OID and a missing value', () => {
    expect(toCanonicalQuantity(1, 'g', 'urn:oid:2.16.840.1.113883.6.8')).toMatchObject({ value: 0.001, unit: 'kg' });
    expect(toCanonicalQuantity(undefined, 'mg/dL', UCUM)).toMatchObject({ value: null, unit: 'g/L', status: 'converted' });
    expect(toCanonicalQuantity(Number.NaN, 'mg', UCUM).value).toBeNull();
  });

  it('falls back to the UCUM base-unit expression for dimensions without a listed canonical unit', () => {
    expect(toCanonicalQuantity(1, 'g/m', UCUM)).toMatchObject({ value: 1, unit: 'm-1.g', status: 'converted' });
  });
});

describe('non-UCUM spellings convert as the UCUM unit they mean', () => {
  test.each([
    ['K/uL', '10*3/uL'],
    ['k/uL', '10*3/uL'],
    ['M/uL', '10*6/uL'],
    ['IU/L', '[IU]/L'],
    ['IU', '[IU]'],
    ['mcg', 'ug'],
    ['mcg/mL', 'ug/mL'],
    ['mm Hg', 'mm[Hg]'],
    ['mmHg', 'mm[Hg]'],
    ['beats/min', '/min'],
    ['bpm', '/min'],
    ['breaths/min', '/min'],
    ['degC', 'Cel'],
    ['°C', 'Cel'],
    ['°F', '[degF]'],
    ['lb', '[lb_av]'],
    ['lbs', '[lb_av]'],
    ['in', '[in_i]'],
    ['pH', '[pH]'],
  ])('%s = %s', (alias, ucum) => {
    const viaAlias = toCanonicalQuantity(3, alias, UCUM);
    const direct = toCanonicalQuantity(3, ucum, UCUM);
    expect({ value: viaAlias.value, status: viaAlias.status }).toEqual({ value: direct.value, status: direct.status });
    // converted: the same canonical unit; kept (arbitrary, no canonical unit): the unit as sent
    expect(viaAlias.unit).toBe(direct.status === 'converted' ? direct.unit : alias);
    expect(viaAlias.unitOrig).toBe(alias);
    expect(viaAlias.valueOrig).toBe(3);
  });

  test('weights in lb and lbs are kilograms; an alias is matched after trimming blanks', () => {
    expect(toCanonicalQuantity(154, 'lbs', UCUM)).toEqual({ value: 69.85322498, unit: 'kg', valueOrig: 154, unitOrig: 'lbs', status: 'converted' });
    expect(toCanonicalQuantity(154, ' lb ', UCUM)).toMatchObject({ value: 69.85322498, unit: 'kg' });
    expect(toCanonicalQuantity(10, 'in', UCUM)).toMatchObject({ value: 0.254, unit: 'm' });
    expect(toCanonicalQuantity(7.4, 'pH', UCUM).status).toBe('no_canonical');
  });
});
