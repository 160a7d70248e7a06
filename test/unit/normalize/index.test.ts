import type { Resource } from '@medplum/fhirtypes';
import { normalizeResource } from '../../../bridge/normalize';

describe('normalizeResource', () => {
  it('reads patientRef from subject, patient, or the Patient itself', () => {
    expect(normalizeResource({ resourceType: 'Observation', status: 'final', code: {}, subject: { reference: 'Patient/abc-1' } }).patientRef).toBe('abc-1');
    expect(
      normalizeResource({ resourceType: 'Immunization', status: 'completed', vaccineCode: {}, patient: { reference: 'Patient/x/_history/3' } } as Resource)
        .patientRef,
    ).toBe('x');
    const p = normalizeResource({ resourceType: 'Patient', id: 'me', gender: 'male' });
    expect(p).toMatchObject({ patientRef: 'me', clinical: [], patient: { gender: 'male' } });
  });

  it('ignores subjects that are not Patient/<id>', () => {
    for (const reference of ['Group/g', 'urn:uuid:1234', 'http://other/fhir/Patient/1', '#p', 'Patient?identifier=a|b']) {
      expect(normalizeResource({ resourceType: 'Condition', subject: { reference } } as Resource).patientRef).toBeNull();
    }
  });

  it('returns no clinical rows for non-clinical types and routes every clinical type to its domain', () => {
    expect(normalizeResource({ resourceType: 'Organization', name: 'x' })).toEqual({ clinical: [], patientRef: null });
    const domains: Record<string, string> = {
      Encounter: 'encounter',
      Condition: 'condition',
      Observation: 'observation',
      MedicationStatement: 'medication',
      MedicationRequest: 'medication',
      MedicationAdministration: 'medication',
      AllergyIntolerance: 'allergy',
      Immunization: 'immunization',
      Procedure: 'procedure',
      DiagnosticReport: 'diagnostic_report',
      DocumentReference: 'document',
      Composition: 'document',
    };
    for (const [resourceType, domain] of Object.entries(domains)) {
      const out = normalizeResource({ resourceType } as Resource);
      expect(out.clinical).toHaveLength(1);
      expect(out.clinical[0].domain).toBe(domain);
    }
  });

  it('is deterministic', () => {
    const r = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'LN', code: '1-8' }] },
      valueQuantity: { value: 1, code: 'mg' },
    } as Resource;
    expect(normalizeResource(r)).toEqual(normalizeResource(r));
  });
});
