import { parseCriteria } from '../../../bridge/fhir/criteria';
import { FhirError } from '../../../bridge/fhir/outcome';
import { collectReferences, isBridgeId, parseConditionalReference, parseRelativeReference, rewriteReferences } from '../../../bridge/fhir/references';

const obs = {
  resourceType: 'Observation',
  subject: { reference: 'urn:uuid:a' },
  performer: [{ reference: 'Practitioner/p1' }, { reference: '#contained-1' }],
  contained: [{ resourceType: 'Organization', id: 'contained-1', partOf: { reference: 'Organization?identifier=http://npi|1' } }],
  note: [{ text: 'reference: not a Reference' }],
};

test('collects every Reference.reference, contained resources included', () => {
  expect(collectReferences(obs).sort()).toEqual(['#contained-1', 'Organization?identifier=http://npi|1', 'Practitioner/p1', 'urn:uuid:a']);
});

test('rewrites resolved references and keeps the rest, without touching the input', () => {
  const map = new Map([
    ['urn:uuid:a', 'Patient/1b4e28ba-2fa1-41d2-883f-0016d3cca427'],
    ['Organization?identifier=http://npi|1', 'Organization/x'],
  ]);
  const out = rewriteReferences(obs, (r) => map.get(r));
  expect(out.subject.reference).toBe('Patient/1b4e28ba-2fa1-41d2-883f-0016d3cca427');
  expect(out.contained[0].partOf.reference).toBe('Organization/x');
  expect(out.performer.map((p) => p.reference)).toEqual(['Practitioner/p1', '#contained-1']);
  expect(obs.subject.reference).toBe('urn:uuid:a');
});

test('parses relative, versioned and conditional references', () => {
  expect(parseRelativeReference('Patient/123')).toEqual({ resourceType: 'Patient', id: '123' });
  expect(parseRelativeReference('Patient/123/_history/2')).toEqual({ resourceType: 'Patient', id: '123' });
  expect(parseRelativeReference('http://x/fhir/Patient/123')).toBeUndefined();
  expect(parseRelativeReference('urn:uuid:1')).toBeUndefined();
  expect(parseConditionalReference('Patient?identifier=a|b')).toEqual({ resourceType: 'Patient', query: 'identifier=a|b' });
  expect(isBridgeId('1b4e28ba-2fa1-41d2-883f-0016d3cca427')).toBe(true);
  expect(isBridgeId('example')).toBe(false);
});

test('criteria: identifier and _id only, canonical key independent of order', () => {
  const a = parseCriteria('Patient', 'identifier=http://mrn|1&_id=x', 'here');
  const b = parseCriteria('Patient', 'Patient?_id=x&identifier=http%3A%2F%2Fmrn%7C1', 'here');
  expect(a.key).toBe(b.key);
  expect(parseCriteria('Patient', 'identifier=123', 'here').conditions).toEqual([{ param: 'identifier', code: '123' }]);
  expect(() => parseCriteria('Patient', 'name=peter', 'here')).toThrow(FhirError);
  expect(() => parseCriteria('Patient', 'identifier=', 'here')).toThrow(/no value/);
  expect(() => parseCriteria('Patient', '', 'here')).toThrow(/empty/);
});
