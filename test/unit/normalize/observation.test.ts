import type { Observation } from '@medplum/fhirtypes';
import { normalizeObservation } from '../../../bridge/normalize/observation';

const bp: Observation = {
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2012-09-17T10:00:00+02:00',
  component: [
    {
      code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.1', code: '8480-6' }] },
      valueQuantity: { value: 107, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      interpretation: [{ coding: [{ code: 'N' }] }],
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
      valueQuantity: { value: 8, unit: 'kPa', system: 'http://unitsofmeasure.org', code: 'kPa' },
    },
  ],
};

describe('normalizeObservation', () => {
  it('emits the panel row plus one row per component with its own code and canonical value', () => {
    const rows = normalizeObservation(bp);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      domain: 'observation',
      componentIndex: null,
      code: '85354-9',
      valueNum: null,
      category: 'vital-signs',
      startTime: '2012-09-17T08:00:00.000Z',
    });
    expect(rows[1]).toMatchObject({
      componentIndex: 0,
      codeSystem: 'http://loinc.org',
      code: '8480-6',
      valueNum: 107,
      valueUnit: 'mm[Hg]',
      interpretation: 'N',
      category: 'vital-signs',
      status: 'final',
    });
    expect(rows[2]).toMatchObject({ componentIndex: 1, code: '8462-4', valueUnit: 'mm[Hg]', valueOrig: 8, unitOrig: 'kPa' });
    expect(rows[2].valueNum).toBeCloseTo(60.005, 2);
  });

  it('converts reference ranges to the value unit', () => {
    const [row] = normalizeObservation({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'glucose' },
      valueQuantity: { value: 95, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL', comparator: '<' },
      referenceRange: [{ low: { value: 70, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' }, high: { value: 100, code: 'mg/dL' } }],
    });
    expect(row).toMatchObject({
      valueNum: 0.95,
      valueUnit: 'g/L',
      refLow: 0.7,
      refHigh: 1,
      valueComparator: '<',
      code: null,
      codeDisplay: 'glucose',
      text: 'glucose',
    });
  });

  it.each([
    [
      { valueCodeableConcept: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.96', code: '260385009', display: 'Negative' }] } },
      { valueType: 'CodeableConcept', valueCodeSystem: 'http://snomed.info/sct', valueCode: '260385009', valueText: 'Negative' },
    ],
    [{ valueString: 'clear' }, { valueType: 'string', valueText: 'clear' }],
    [{ valueBoolean: false }, { valueType: 'boolean', valueText: 'false' }],
    [{ valueInteger: 3 }, { valueType: 'integer', valueNum: 3, valueOrig: 3 }],
    [
      { valueRange: { low: { value: 1, code: 'g', system: 'http://unitsofmeasure.org' }, high: { value: 2, code: 'g', system: 'http://unitsofmeasure.org' } } },
      {
        valueType: 'Range',
        valueText: '1-2',
        valueJson: {
          low: { value: 0.001, unit: 'kg', valueOrig: 1, unitOrig: 'g', status: 'converted' },
          high: { value: 0.002, unit: 'kg', valueOrig: 2, unitOrig: 'g', status: 'converted' },
        },
      },
    ],
    [{ valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } } }, { valueType: 'Ratio', valueText: '1:128' }],
    [
      { valueSampledData: { origin: { value: 0 }, period: 10, dimensions: 1, data: '1 2 3' } },
      { valueType: 'SampledData', valueText: '1 2 3', valueJson: { origin: { value: 0 }, period: 10, dimensions: 1 } },
    ],
    [{ valueTime: '10:30:00' }, { valueType: 'time', valueText: '10:30:00' }],
    [{ valueDateTime: '2020-05' }, { valueType: 'dateTime', valueText: '2020-05' }],
    [
      { valuePeriod: { start: '2020', end: '2021' } },
      { valueType: 'Period', valueJson: { start: '2020-01-01T00:00:00.000Z', end: '2021-12-31T23:59:59.999Z' } },
    ],
    [{ valueQuantity: { value: 12, code: '{score}', system: 'http://unitsofmeasure.org' } }, { valueNum: 12, valueUnit: '{score}', unitStatus: 'annotation' }],
    [{ dataAbsentReason: { coding: [{ code: 'asked-unknown' }] } }, { valueType: null, dataAbsentReason: 'asked-unknown' }],
  ])('value[x] %j', (value, expected) => {
    const [row] = normalizeObservation({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'LN', code: '1-8' }] },
      ...value,
    } as Observation);
    expect(row).toMatchObject({ codeSystem: 'http://loinc.org', ...expected });
  });

  it('survives a bare Observation and uses effectivePeriod / partial dates', () => {
    const [row] = normalizeObservation({ resourceType: 'Observation', effectivePeriod: { start: '2019-03' } } as Observation);
    expect(row).toMatchObject({ status: null, code: null, startTime: '2019-03-01T00:00:00.000Z', endTime: null, originalCodes: null });
  });
});
