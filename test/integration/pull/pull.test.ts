import type { Bundle, Composition } from '@medplum/fhirtypes';
import { resourceIssues } from '../../../bridge/fhir/validate';
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';
import { waitFor } from '../../helpers/wait';
import { auditRows, clinicBundle, consentBundle, danglingReferences, push } from './scenario';

let bridge: TestBridge;
const audits = (): Promise<any[]> => auditRows(bridge.database.db);
let A: { id: string; apiKey: string };
let B: { id: string; apiKey: string };
let C: { id: string; apiKey: string };
const hashes: Record<string, string> = {};
const patient: Record<string, string> = {};
let sinceMark = '';
let laterObservation = '';

const get = (key: string, path: string, headers: Record<string, string> = {}) => api(bridge.url, key, 'GET', path, undefined, headers);
const matchIds = (b: Bundle): string[] => (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
const typesOf = (b: Bundle, mode?: string): string[] =>
  [...new Set((b.entry ?? []).filter((e) => !mode || e.search?.mode === mode).map((e) => e.resource!.resourceType))].sort();

/** A bridge of its own for each describe below (each stands alone): three clinics, each with its record of one person. */
async function threeClinics(): Promise<void> {
  bridge = await startTestBridge();
  A = await bridge.clinic('A');
  B = await bridge.clinic('B');
  C = await bridge.clinic('C');
  for (const [name, clinic, year, glucose] of [
    ['A', A, 2020, 90],
    ['B', B, 2021, 100],
    ['C', C, 2022, 126],
  ] as const) {
    const pushed = await push(bridge.url, clinic.apiKey, clinicBundle(name, year, '999-11-2222', glucose));
    hashes[name] = pushed.hash;
    patient[name] = pushed.body.entry![0].response!.location!.split('/')[1];
  }
}

describe('before any consent', () => {
  beforeAll(threeClinics);
  afterAll(async () => bridge?.close());

  test("$everything returns only the caller's own records", async () => {
    const res = await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything`);
    expect(res.status).toBe(200);
    const patients = res.body.entry.filter((e: any) => e.resource.resourceType === 'Patient').map((e: any) => e.resource.id);
    expect(patients).toEqual([patient.A]);
    expect(res.body.total).toBe(8); // Patient, Encounter, Observation, Condition, MedicationRequest, AllergyIntolerance, Immunization, Procedure
  });

  test("another clinic's patient id without consent answers as an unknown id (404), and is audited", async () => {
    const res = await get(A.apiKey, `/fhir/Patient/${patient.B}/$everything`);
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const none = await get(A.apiKey, `/fhir/Patient/${unknown}/$everything`);
    expect(JSON.stringify(none.body).replace(unknown, patient.B)).toBe(JSON.stringify(res.body));
    expect((await audits()).some((r) => r.action === 'refused' && r.clinicId === A.id && r.patientIds?.includes(patient.B))).toBe(true);
    expect((await get(A.apiKey, `/patients/${patient.B}/history`)).status).toBe(404);
  });

  test('a Consent naming another organization grants nothing', async () => {
    await push(bridge.url, C.apiKey, consentBundle('C-p1', B.id));
    const res = await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything?_type=Patient`);
    expect(res.body.entry.map((e: any) => e.resource.id)).toEqual([patient.A]);
  });
});

describe('with consent from B and C', () => {
  afterAll(async () => bridge?.close());
  beforeAll(async () => {
    await threeClinics();
    await push(bridge.url, C.apiKey, consentBundle('C-p1', B.id)); // C lets B read too
    await push(bridge.url, B.apiKey, consentBundle('B-p1', A.id));
    await push(bridge.url, C.apiKey, consentBundle('C-p1', A.id));
    // After the consents (their lastUpdated is at most now), strictly before what follows: `_since` is exclusive.
    sinceMark = new Date().toISOString();
    await waitFor(() => Date.now() > Date.parse(sinceMark), { what: 'the clock to pass the _since mark' });
    const later = await push(bridge.url, A.apiKey, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
            subject: { reference: 'Patient/A-p1' },
            effectiveDateTime: '2023-01-01T08:00:00Z',
            valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    } as Bundle);
    hashes.later = later.hash;
    laterObservation = later.body.entry![0].response!.location!.split('/')[1];
  });

  test("$everything has every permitted clinic's records and what they reference, references consistent", async () => {
    const res = await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything`);
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    expect(bundle.type).toBe('searchset');
    const patients = bundle
      .entry!.filter((e) => e.resource!.resourceType === 'Patient')
      .map((e) => e.resource!.id)
      .sort();
    expect(patients).toEqual([patient.A, patient.B, patient.C].sort());
    // 3 × 8 compartment records + 3 Consents (B's for A; C's for A and for B, both in C's compartment) + the later observation
    expect(bundle.total).toBe(3 * 8 + 3 + 1);
    expect(typesOf(bundle, 'include')).toEqual(['Location', 'Organization', 'Practitioner']);
    expect(typesOf(bundle)).toEqual(
      expect.arrayContaining(['AllergyIntolerance', 'Condition', 'Encounter', 'Immunization', 'MedicationRequest', 'Observation', 'Procedure']),
    );
    expect(danglingReferences(bundle, `${bridge.url}/fhir`)).toEqual([]);
    // the Consent's Organization/{clinic id} is no resource: kept as text, not as a dangling reference
    const consent = bundle.entry!.find((e) => e.resource!.resourceType === 'Consent')!.resource as any;
    expect(consent.provision.actor[0].reference.reference).toBeUndefined();
    const all = await audits();
    const last = all[all.length - 1];
    expect(last).toMatchObject({
      clinicId: A.id,
      action: 'everything',
      outcome: 'success',
      patientIds: expect.arrayContaining([patient.A, patient.B, patient.C]),
    });
  });

  test("$everything from B: its own record and C's (C consented to B), not A's", async () => {
    const res = await get(B.apiKey, `/fhir/Patient/${patient.B}/$everything?_type=Patient`);
    expect(res.body.entry.map((e: any) => e.resource.id).sort()).toEqual([patient.B, patient.C].sort());
  });

  test('_type, _since, start/end', async () => {
    const byType = (await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything?_type=Observation,Condition`)).body as Bundle;
    expect(typesOf(byType, 'match')).toEqual(['Condition', 'Observation']);
    expect(byType.total).toBe(3 + 4);
    expect(danglingReferences(byType, `${bridge.url}/fhir`)).toEqual([]);
    expect(typesOf(byType, 'include')).toEqual(expect.arrayContaining(['Encounter', 'Patient', 'Practitioner']));

    const since = (await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything?_since=${encodeURIComponent(sinceMark)}`)).body as Bundle;
    expect(matchIds(since)).toEqual([laterObservation]);

    const in2021 = (await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything?start=2021-01-01&end=2021-12-31`)).body as Bundle;
    const matched = in2021.entry!.filter((e) => e.search!.mode === 'match' && e.resource!.resourceType !== 'Patient');
    expect(matched).toHaveLength(7);
    for (const e of matched) expect(JSON.stringify(e.resource)).toContain('2021-');
    expect(danglingReferences(in2021, `${bridge.url}/fhir`)).toEqual([]);

    const bad = await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything?_type=Nope`);
    expect(bad.status).toBe(400);
  });

  test('_count pages through everything once, each page consistent', async () => {
    const all = (await get(A.apiKey, `/fhir/Patient/${patient.A}/$everything`)).body as Bundle;
    let url: string | undefined = `/fhir/Patient/${patient.A}/$everything?_count=7`;
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const page = (await get(A.apiKey, url)).body as Bundle;
      pages++;
      expect(page.total).toBe(all.total);
      expect(danglingReferences(page, `${bridge.url}/fhir`)).toEqual([]);
      seen.push(...matchIds(page));
      const next = page.link!.find((l) => l.relation === 'next')?.url;
      url = next ? next.slice(bridge.url.length) : undefined;
    }
    expect(pages).toBe(Math.ceil(all.total! / 7));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(matchIds(all).sort());
  });

  test('$summary is a valid IPS document from all permitted clinics', async () => {
    const res = await get(A.apiKey, `/fhir/Patient/${patient.A}/$summary`);
    expect(res.status).toBe(200);
    const doc = res.body as Bundle;
    expect(doc.type).toBe('document');
    expect(doc.identifier?.value).toMatch(/^urn:uuid:/);
    expect(doc.timestamp).toBeDefined();
    expect(resourceIssues(doc)).toEqual([]);
    for (const e of doc.entry!) expect(resourceIssues(e.resource!)).toEqual([]);
    const composition = doc.entry![0].resource as Composition;
    expect(composition.resourceType).toBe('Composition');
    const codes = composition.section!.map((s) => s.code!.coding![0].code);
    expect(codes).toEqual(expect.arrayContaining(['10160-0', '48765-2', '11450-4', '11369-6', '47519-4', '30954-2']));
    const section = (code: string) => composition.section!.find((s) => s.code!.coding![0].code === code)!;
    expect(section('10160-0').entry).toHaveLength(3);
    expect(section('48765-2').entry).toHaveLength(3);
    expect(section('11450-4').entry).toHaveLength(3);
    // every section entry and the subject resolve inside the document
    const urls = new Set(doc.entry!.map((e) => e.fullUrl));
    for (const s of composition.section!) for (const r of s.entry ?? []) expect(urls.has(r.reference)).toBe(true);
    expect(urls.has(composition.subject!.reference)).toBe(true);
    expect(danglingReferences(doc, `${bridge.url}/fhir`)).toEqual([]);
    // results: latest glucose per code, in the canonical unit (g/L)
    const glucose = doc.entry!.map((e) => e.resource as any).find((r) => r.resourceType === 'Observation' && r.code.coding[0].code === '2339-0');
    expect(glucose.valueQuantity).toMatchObject({ value: 1.26, code: 'g/L', system: 'http://unitsofmeasure.org' });
    // the subject carries every permitted record's identifiers
    const subject = doc.entry![1].resource as any;
    expect(subject.identifier.map((i: any) => i.value)).toEqual(expect.arrayContaining(['A-1', 'B-1', 'C-1', '999-11-2222']));
  });

  test('$summary of a patient with nothing recorded: required sections with IPS "no information"', async () => {
    const lonely = await push(bridge.url, A.apiKey, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'Alone' }], gender: 'male' }, request: { method: 'PUT', url: 'Patient/A-lonely' } }],
    } as Bundle);
    const id = lonely.body.entry![0].response!.location!.split('/')[1];
    const doc = (await get(A.apiKey, `/fhir/Patient/${id}/$summary`)).body as Bundle;
    expect(resourceIssues(doc)).toEqual([]);
    const composition = doc.entry![0].resource as Composition;
    expect(composition.section!.map((s) => s.code!.coding![0].code)).toEqual(['10160-0', '48765-2', '11450-4']);
    for (const s of composition.section!) {
      expect(s.entry).toBeUndefined();
      expect(s.emptyReason!.coding![0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable' });
      expect(s.text!.div).toMatch(/no information available/i);
    }
    expect(doc.entry!.map((e) => e.resource!.resourceType)).toEqual(['Composition', 'Patient', 'Organization']);
  });

  test('timeline: person, then events in time order with canonical values and the bundle hashes of the pushes', async () => {
    const res = await get(A.apiKey, `/patients/${patient.A}/history`);
    expect(res.status).toBe(200);
    const { person, events } = res.body;
    expect(person.patients.map((p: any) => p.id).sort()).toEqual([patient.A, patient.B, patient.C].sort());
    expect(person.patients.find((p: any) => p.id === patient.B).basis).toBe('consent');
    const starts = events.map((e: any) => e.start).filter(Boolean);
    expect(starts).toEqual([...starts].sort());
    expect(events).toHaveLength(3 * 7 + 1);
    const pushedHashes = new Set(Object.values(hashes));
    for (const e of events) expect(pushedHashes.has(e.bundleHash)).toBe(true);
    const glucoseB = events.find((e: any) => e.code?.code === '2339-0' && e.clinic.id === B.id);
    expect(glucoseB).toMatchObject({
      domain: 'observation',
      code: { system: 'http://loinc.org', code: '2339-0', display: 'Glucose' },
      start: '2021-03-15T10:00:00.000Z',
      value: { num: 1, unit: 'g/L', original: { value: '100', unit: 'mg/dL' } },
      bundleHash: hashes.B,
      clinic: { id: B.id, name: 'B' },
    });
    expect(events.find((e: any) => e.resourceId === laterObservation).bundleHash).toBe(hashes.later);
    const all = await audits();
    expect(all[all.length - 1]).toMatchObject({ action: 'history', outcome: 'success' });
  });

  test('pull endpoints need a clinic key and leave /fhir/metadata open', async () => {
    expect((await fetch(`${bridge.url}/fhir/Patient/${patient.A}/$everything`)).status).toBe(401);
    expect((await fetch(`${bridge.url}/patients/${patient.A}/history`)).status).toBe(401);
    expect((await fetch(`${bridge.url}/fhir/metadata`)).status).toBe(200);
  });
});
