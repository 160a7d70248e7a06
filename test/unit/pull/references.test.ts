import { consistentReferences, referencedIds } from '../../../bridge/pull/references';
import { referencesInJson } from '../../../bridge/store/pull';

// jsonb's text output puts a space after each colon
const asJsonb = (v: unknown): string => JSON.stringify(v).replace(/":/g, '": ');

test('referencesInJson finds string references, nested Reference objects included, never text that mentions them', () => {
  const json = asJsonb({
    a: { reference: 'Patient/1' },
    b: [{ reference: { reference: 'Organization/x' } }],
    t: 'he said "reference": "no"',
    c: { reference: 'http://x/"q' },
  });
  expect(referencesInJson(json)).toEqual(['Patient/1', 'Organization/x', 'http://x/"q']);
});

test('referencedIds: bridge ids of relative references not yet known', () => {
  const id = '00000000-0000-4000-8000-000000000001';
  expect(referencedIds([[`Practitioner/${id}`, 'Patient/local-id', '#c'], [`Practitioner/${id}`]], new Set())).toEqual([id]);
  expect(referencedIds([[`Practitioner/${id}`]], new Set([id]))).toEqual([]);
});

test('consistentReferences keeps included, contained and external references and turns the rest into text', () => {
  const base = 'http://bridge/fhir';
  const out = consistentReferences(
    {
      resourceType: 'Observation',
      subject: { reference: 'Patient/p1' },
      performer: [
        { reference: 'Practitioner/gone' },
        { reference: '#c1' },
        { reference: 'https://elsewhere.example/Practitioner/9', display: 'Dr X' },
        { reference: `${base}/Patient/p1` },
      ],
      provision: { actor: [{ reference: { reference: 'Organization/clinic' } }] },
    },
    new Set(['Patient/p1']),
    base,
  ) as any;
  expect(out.subject).toEqual({ reference: 'Patient/p1' });
  expect(out.performer).toEqual([
    { display: 'not available to this reader' },
    { reference: '#c1' },
    { reference: 'https://elsewhere.example/Practitioner/9', display: 'Dr X' },
    { reference: 'Patient/p1' },
  ]);
  expect(out.provision.actor[0].reference).toEqual({ display: 'not available to this reader' });
});
