/**
 * Search parameters from the R4 SearchParameter definitions, through HTTP: demographics, modifiers, quantities in
 * canonical UCUM units, references by bridge and source id, _sort; always confined to what the reader may see.
 */
import { startTestBridge, TestBridge } from '../../helpers/server';
import { api } from '../../helpers/fixtures';

let bridge: TestBridge;
let keyA: string;
let keyB: string;
const idsA: Record<string, string> = {};

const patient = (source: string, family: string, given: string, birthDate: string, gender: string, country: string, extra: object = {}) => ({
  fullUrl: `urn:uuid:${source}`,
  resource: {
    resourceType: 'Patient',
    id: source,
    identifier: [{ system: 'http://clinic.example/mrn', value: source }],
    name: [{ family, given: [given] }],
    birthDate,
    gender,
    address: [{ city: 'Berlin', country }],
    ...extra,
  },
  request: { method: 'PUT', url: `Patient/${source}` },
});

const glucose = (source: string, subject: string, value: number, unit: string, date: string, status = 'final') => ({
  resource: {
    resourceType: 'Observation',
    id: source,
    status,
    subject: { reference: subject },
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' }], text: 'Glucose' },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  },
  request: { method: 'PUT', url: `Observation/${source}` },
});

beforeAll(async () => {
  bridge = await startTestBridge();
  keyA = (await bridge.clinic('Clinic A')).apiKey;
  keyB = (await bridge.clinic('Clinic B')).apiKey;
  const a = await api(bridge.url, keyA, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      patient('p-anna', 'Müller', 'Anna', '1985-03-02', 'female', 'DE', {
        telecom: [
          { system: 'phone', value: '+49 30 1234567' },
          { system: 'email', value: 'anna@example.de' },
        ],
      }),
      patient('p-bert', 'Mueller', 'Bert', '1979-11-20', 'male', 'DE'),
      patient('p-carla', 'Schmidt', 'Carla', '1990', 'female', 'AT'),
      glucose('o-1', 'Patient/p-anna', 110, 'mg/dL', '2026-01-10T08:00:00Z'),
      glucose('o-2', 'Patient/p-anna', 0.9, 'g/L', '2026-02-10T08:00:00Z'),
      glucose('o-3', 'Patient/p-anna', 150, 'mg/dL', '2026-03-10T08:00:00Z', 'preliminary'),
      glucose('o-4', 'Patient/p-bert', 5.5, 'mmol/L', '2026-01-15T08:00:00Z'),
      {
        resource: {
          resourceType: 'Observation',
          id: 'o-nosubject',
          status: 'final',
          code: { text: 'Room temperature' },
          valueQuantity: { value: 21, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' },
        },
        request: { method: 'PUT', url: 'Observation/o-nosubject' },
      },
    ],
  });
  expect(a.status).toBe(200);
  for (const e of a.body.entry) {
    const [type, id] = e.response.location.split('/');
    idsA[`${type}/${e.response.location}`] = id;
  }
  // Clinic B holds a Müller of its own: Clinic A's searches never see her.
  const b = await api(bridge.url, keyB, 'POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [patient('p-other', 'Müller', 'Anna', '1985-03-02', 'female', 'DE'), glucose('o-b', 'Patient/p-other', 200, 'mg/dL', '2026-01-10T08:00:00Z')],
  });
  expect(b.status).toBe(200);
});
afterAll(async () => bridge?.close());

async function search(key: string, query: string): Promise<any> {
  const res = await api(bridge.url, key, 'GET', `/fhir/${query}`);
  expect(res.status).toBe(200);
  return res.body;
}
const names = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => e.resource.name?.[0]?.given?.[0] ?? e.resource.id);
const values = (bundle: any): number[] => (bundle.entry ?? []).map((e: any) => e.resource.valueQuantity.value);

describe('demographic search (R4 Patient search parameters)', () => {
  test.each([
    ['Patient?family=muller', ['Anna']], // accents and case folded; starts-with
    ['Patient?family=MÜ', ['Anna', 'Bert']],
    ['Patient?family:exact=Müller', ['Anna']],
    ['Patient?family:exact=müller', []],
    ['Patient?name:contains=ell', ['Bert']],
    ['Patient?name=carla', ['Carla']],
    ['Patient?given=an,be', ['Anna', 'Bert']],
    ['Patient?birthdate=1985', ['Anna']],
    ['Patient?birthdate=ge1980&birthdate=lt1991', ['Anna', 'Carla']],
    ['Patient?birthdate=eb1980-01-01', ['Bert']],
    ['Patient?gender=female', ['Anna', 'Carla']],
    ['Patient?address-country=at', ['Carla']],
    ['Patient?telecom=phone|%2B49 30 1234567', ['Anna']],
    ['Patient?email=anna@example.de', ['Anna']],
    ['Patient?phone=anna@example.de', []],
    ['Patient?gender:not=female', ['Bert']],
    ['Patient?telecom:missing=true', ['Bert', 'Carla']],
  ])('%s', async (query, expected) => {
    expect(names(await search(keyA, `${query}&_sort=given`))).toEqual(expected);
  });

  test('another clinic’s patient of the same name is neither listed nor counted', async () => {
    const mine = await search(keyA, 'Patient?family=müller&given=anna&_total=accurate');
    expect(mine.total).toBe(1);
    expect(mine.entry[0].resource.identifier[0].value).toBe('p-anna');
    const theirs = await search(keyB, 'Patient?family=müller&_total=accurate');
    expect(theirs.total).toBe(1);
    expect(theirs.entry[0].resource.identifier[0].value).toBe('p-other');
  });
});

describe('typed search', () => {
  test('quantities compare in canonical UCUM units: 110 mg/dL is 1.1 g/L', async () => {
    expect(values(await search(keyA, 'Observation?value-quantity=gt1|http://unitsofmeasure.org|g/L&_sort=date'))).toEqual([110, 150]);
    expect(values(await search(keyA, 'Observation?value-quantity=le100|http://unitsofmeasure.org|mg/dL&_sort=date'))).toEqual([0.9]);
    expect(values(await search(keyA, 'Observation?value-quantity=90|http://unitsofmeasure.org|mg/dL'))).toEqual([0.9]);
    // mmol/L is a substance concentration: no UCUM conversion from mass, so it is compared only with itself.
    expect(values(await search(keyA, 'Observation?value-quantity=ge5|http://unitsofmeasure.org|mmol/L'))).toEqual([5.5]);
    // Without a unit the number as sent is compared; eq is within the precision written (5.5 is [5.45, 5.55)).
    expect(values(await search(keyA, 'Observation?value-quantity=5.5'))).toEqual([5.5]);
    expect(values(await search(keyA, 'Observation?value-quantity=5.50'))).toEqual([5.5]);
    expect(values(await search(keyA, 'Observation?value-quantity=ap100&_sort=date'))).toEqual([110]);
  });

  test('token modifiers and :text', async () => {
    expect(values(await search(keyA, 'Observation?code:text=gluc&_sort=date'))).toEqual([110, 5.5, 0.9, 150]);
    // The display of a coding is a text too; values are ORed; a text starts with the value, folded (R4 search.html#modifiers).
    expect(values(await search(keyA, `Observation?code:text=${encodeURIComponent('GLUCOSE [MASS')}&_sort=date`))).toEqual([110, 5.5, 0.9, 150]);
    expect(values(await search(keyA, 'Observation?code:text=room,nothing-like-it&_sort=date'))).toEqual([21]);
    expect(values(await search(keyA, 'Observation?code:text=mass'))).toEqual([]);
    expect((await search(keyA, 'Observation?code:text=gluc&_total=accurate')).total).toBe(4);
    expect((await search(keyB, 'Observation?code:text=gluc&_total=accurate')).total).toBe(1); // Clinic B's own only
    expect(names(await search(keyA, 'Patient?_has:Observation:subject:code:text=gluc&_sort=given'))).toEqual(['Anna', 'Bert']);
    expect(names(await search(keyB, 'Patient?_has:Observation:subject:code:text=gluc&_total=accurate'))).toEqual(['Anna']);
    expect(values(await search(keyA, 'Observation?code=http://loinc.org|2345-7&status:not=final'))).toEqual([150]);
    expect(values(await search(keyA, 'Observation?subject:missing=true'))).toEqual([21]);
  });

  test(':text follows a new version: the old text no longer finds it, the new one does', async () => {
    const put = (text: string) =>
      api(bridge.url, keyA, 'PUT', '/fhir/Observation/o-nosubject', {
        resourceType: 'Observation',
        id: 'o-nosubject',
        status: 'final',
        code: { text },
        valueQuantity: { value: 21, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' },
      });
    expect((await put('Outdoor temperature')).status).toBe(200);
    expect(values(await search(keyA, 'Observation?code:text=room'))).toEqual([]);
    expect(values(await search(keyA, 'Observation?code:text=outdoor'))).toEqual([21]);
    expect((await put('Room temperature')).status).toBe(200);
    expect(values(await search(keyA, 'Observation?code:text=room'))).toEqual([21]);
    expect(values(await search(keyA, 'Observation?code:text=outdoor'))).toEqual([]);
  });

  test('a union parameter (combo-code, combo-value-quantity) finds what each of its parts finds, no more', async () => {
    const bp = await api(bridge.url, keyA, 'PUT', '/fhir/Observation/bp-1', {
      resourceType: 'Observation',
      id: 'bp-1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }], text: 'Blood pressure panel' },
      effectiveDateTime: '2024-06-01',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }], text: 'Systolic' },
          valueQuantity: { value: 141, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }], text: 'Diastolic' },
          valueQuantity: { value: 92, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    });
    expect(bp.status).toBe(201);
    const ids = async (q: string): Promise<string[]> => ((await search(keyA, `Observation?${q}`)).entry ?? []).map((e: any) => e.resource.id);
    const glucoseIds = await ids('code=2345-7&_sort=date');
    // A component's code is found by combo-code and component-code, the main code by combo-code and code.
    expect(await ids('combo-code=http://loinc.org|8480-6')).toEqual([bp.body.id]);
    expect(await ids('component-code=8480-6')).toEqual([bp.body.id]);
    expect(await ids('code=8480-6')).toEqual([]);
    expect(await ids('combo-code=85354-9')).toEqual([bp.body.id]);
    expect(await ids('combo-code=2345-7&_sort=date')).toEqual(glucoseIds);
    expect(await ids('combo-code:text=systol')).toEqual([bp.body.id]);
    expect(await ids('combo-code:text=gluc&_sort=date')).toEqual(glucoseIds);
    expect(await ids('combo-code:not=85354-9&combo-code=8480-6')).toEqual([]);
    // Quantities of the main value and of components, one range over both.
    expect(await ids('combo-value-quantity=gt140|http://unitsofmeasure.org|mm[Hg]')).toEqual([bp.body.id]);
    expect((await ids('combo-value-quantity=gt100')).sort()).toEqual([...(await ids('value-quantity=gt100')), bp.body.id].sort());
    expect(await ids('component-value-quantity:missing=false')).toEqual([bp.body.id]);
    expect((await ids('combo-value-quantity:missing=true')).length).toBe(0);
    expect((await search(keyA, 'Observation?combo-code:missing=false&_total=accurate')).total).toBe(glucoseIds.length + 1);
    // Sorted by a union: a resource's least value over all its parts.
    expect((await ids('combo-code=85354-9,2345-7&_sort=combo-code')).at(-1)).toBe(bp.body.id);
    expect((await api(bridge.url, keyA, 'DELETE', '/fhir/Observation/bp-1')).status).toBe(204);
  });

  test('references by bridge id, by the clinic’s own source id, by type modifier', async () => {
    const anna = (await search(keyA, 'Patient?identifier=p-anna')).entry[0].resource.id;
    for (const q of [`patient=${anna}`, `subject=Patient/${anna}`, 'subject=Patient/p-anna', `subject:Patient=${anna}`, 'patient=p-anna']) {
      expect(values(await search(keyA, `Observation?${q}&_sort=date`))).toEqual([110, 0.9, 150]);
    }
    // Clinic B cannot name Clinic A's patient by A's source id.
    expect((await search(keyB, 'Observation?subject=Patient/p-anna')).entry).toBeUndefined();
  });

  test('_sort on several keys, descending with -, pages keep the order', async () => {
    expect(names(await search(keyA, 'Patient?_sort=-birthdate'))).toEqual(['Carla', 'Anna', 'Bert']);
    expect(names(await search(keyA, 'Patient?_sort=gender,-family'))).toEqual(['Carla', 'Anna', 'Bert']);
    const first = await search(keyA, 'Observation?code=2345-7&_sort=-date&_count=2');
    expect(values(first)).toEqual([150, 0.9]);
    const next = first.link.find((l: any) => l.relation === 'next').url.replace(bridge.url, '');
    expect(values((await api(bridge.url, keyA, 'GET', next)).body)).toEqual([5.5, 110]);
  });
});

describe('includes, chaining and _has, confined to what the reader may see', () => {
  const modes = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => `${e.search.mode} ${e.resource.resourceType}`);

  test('_include adds the referenced patients once, as include entries; total counts matches only', async () => {
    const b = await search(keyA, 'Observation?code=2345-7&_include=Observation:subject&_sort=date&_total=accurate');
    expect(b.total).toBe(4);
    expect(modes(b)).toEqual(['match Observation', 'match Observation', 'match Observation', 'match Observation', 'include Patient', 'include Patient']);
    expect(
      b.entry
        .slice(4)
        .map((e: any) => e.resource.name[0].given[0])
        .sort(),
    ).toEqual(['Anna', 'Bert']);
    expect(b.entry[4].fullUrl).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}$/);
    // A target type that does not match includes nothing.
    expect(modes(await search(keyA, 'Observation?code=2345-7&_include=Observation:subject:Group'))).not.toContain('include Patient');
  });

  test('_revinclude adds what references the matches; :iterate follows on', async () => {
    const b = await search(keyA, 'Patient?identifier=p-anna&_revinclude=Observation:subject');
    expect(modes(b)).toEqual(['match Patient', 'include Observation', 'include Observation', 'include Observation']);
    const it = await search(keyA, 'Observation?identifier=nothing-matches&_include:iterate=Observation:subject');
    expect(it.entry).toBeUndefined();
    const iterate = await search(keyA, 'Patient?identifier=p-anna&_revinclude=Observation:subject&_include:iterate=Observation:subject');
    expect(modes(iterate).filter((m) => m === 'include Patient')).toEqual([]); // Anna is already a match: listed once
    for (const bad of [
      '_include=Observation:*',
      '_include=Observation:code',
      '_include=Observation:subject:Medication',
      '_revinclude=Observation',
      '_include:recurse=Observation:subject',
    ]) {
      const res = await api(bridge.url, keyA, 'GET', `/fhir/Observation?${bad}`);
      expect({ bad, status: res.status, type: res.body.resourceType }).toEqual({ bad, status: 400, type: 'OperationOutcome' });
    }
  });

  test('another clinic’s records are never included, chained through or counted by _has', async () => {
    // Clinic B's own Müller and her observation; nothing of Clinic A's.
    const revB = await search(keyB, 'Patient?family=müller&_revinclude=Observation:subject');
    expect(modes(revB)).toEqual(['match Patient', 'include Observation']);
    expect(revB.entry[1].resource.valueQuantity.value).toBe(200);
    const incB = await search(keyB, 'Observation?_include=Observation:subject');
    expect(modes(incB)).toEqual(['match Observation', 'include Patient']);
    expect((await search(keyB, 'Patient?_has:Observation:subject:code=http://loinc.org|2345-7&_total=accurate')).total).toBe(1);
    expect(names(await search(keyA, 'Patient?_has:Observation:subject:code=http://loinc.org|2345-7&_sort=given'))).toEqual(['Anna', 'Bert']);
    expect(names(await search(keyA, 'Patient?_has:Observation:patient:value-quantity=gt1|http://unitsofmeasure.org|g/L'))).toEqual(['Anna']);
    expect(values(await search(keyA, 'Observation?subject.family:exact=Müller&_sort=date'))).toEqual([110, 0.9, 150]);
    expect(values(await search(keyA, 'Observation?subject:Patient.birthdate=lt1980'))).toEqual([5.5]);
    expect((await search(keyB, 'Observation?subject.family=mueller')).entry).toBeUndefined();
    for (const bad of [
      'subject.organization.name=x',
      'code.name=x',
      '_has:Observation:code:status=final',
      '_has:Observation:subject:_has:Observation:subject:status=final',
    ]) {
      const res = await api(bridge.url, keyA, 'GET', `/fhir/Observation?${bad}`);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
  });
});

describe('result shaping', () => {
  const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

  test('_elements keeps the named elements, id, meta and the mandatory ones, tagged SUBSETTED', async () => {
    const b = await search(keyA, 'Observation?code=2345-7&_elements=valueQuantity,Observation.effective&_sort=date&_count=1');
    const o = b.entry[0].resource;
    // status and code are mandatory in R4 Observation (min 1): kept whatever was asked.
    expect(Object.keys(o).sort()).toEqual(['code', 'effectiveDateTime', 'id', 'meta', 'resourceType', 'status', 'valueQuantity']);
    expect(o.meta.tag).toContainEqual(SUBSETTED);
    expect(o.valueQuantity.value).toBe(110);
  });

  test('_summary=true keeps summary elements; text keeps narrative and mandatory ones; data drops the narrative', async () => {
    const summary = (await search(keyA, 'Patient?identifier=p-anna&_summary=true')).entry[0].resource;
    expect(summary).toMatchObject({ name: [{ family: 'Müller' }], birthDate: '1985-03-02', gender: 'female' });
    expect(summary.meta.tag).toContainEqual(SUBSETTED);
    const obs = (await search(keyA, 'Observation?code=2345-7&_summary=text&_count=1')).entry[0].resource;
    expect(Object.keys(obs).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status']);
    const data = (await search(keyA, 'Observation?code=2345-7&_summary=data&_count=1')).entry[0].resource;
    expect(data.valueQuantity).toBeDefined();
    expect(data.meta.tag).toContainEqual(SUBSETTED);
    // Unshaped resources carry no such tag.
    expect((await search(keyA, 'Observation?code=2345-7&_count=1')).entry[0].resource.meta.tag).toBeUndefined();
  });
});

describe('a filter matched by many resources and one matched by few answer alike', () => {
  test('more matches than the candidate list takes (2,000): the same matches, counts and order', async () => {
    const many = Array.from({ length: 2100 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'bulk' },
        effectiveDateTime: '2020-06-15',
        valueQuantity: { value: i === 7 ? 999 : 50, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
    expect((await api(bridge.url, keyA, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: many })).status).toBe(200);
    // Dense (searched with EXISTS): every one of them, counted with the same predicate.
    const dense = await search(keyA, 'Observation?date=2020-06-15&_total=accurate&_count=5');
    expect(dense.total).toBe(2100);
    expect(dense.entry).toHaveLength(5);
    const denseQ = await search(keyA, 'Observation?value-quantity=50|http://unitsofmeasure.org|kg&_total=accurate&_count=1');
    expect(denseQ.total).toBe(2099);
    // Sparse (searched through the candidate list): the one match, also combined with a dense filter.
    const sparse = await search(keyA, 'Observation?value-quantity=gt900|http://unitsofmeasure.org|kg&date=2020-06-15&_total=accurate');
    expect(sparse.total).toBe(1);
    expect(values(sparse)).toEqual([999]);
    // Another clinic sees none of them, whichever way it is searched.
    expect((await search(keyB, 'Observation?value-quantity=gt900|http://unitsofmeasure.org|kg&_total=accurate')).total).toBe(0);
    expect((await search(keyB, 'Observation?date=2020-06-15&_total=accurate')).total).toBe(0);
  });
});

describe('counts (_total=accurate, _summary=count) are the matches a reader can page through', () => {
  test('a key other types share, a deleted and an updated record: counted as paged; each row holds its type key once', async () => {
    const code = { coding: [{ system: 'http://example.org/count-code', code: 'C-1' }] };
    const entry = (resource: object, method = 'POST', url?: string) => ({ resource, request: { method, url: url ?? (resource as any).resourceType } });
    const obs = Array.from({ length: 7 }, (_, i) =>
      entry({ resourceType: 'Observation', id: `cnt-${i}`, status: 'final', code }, 'PUT', `Observation/cnt-${i}`),
    );
    const others = [
      entry({ resourceType: 'Condition', subject: { reference: 'Patient/p-anna' }, code }), // the same code key, another type
      entry({ resourceType: 'Procedure', status: 'completed', subject: { reference: 'Patient/p-anna' }, code }),
    ];
    const push = (key: string, entries: object[]) => api(bridge.url, key, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: entries });
    expect((await push(keyA, [...obs, ...others])).status).toBe(200);
    expect((await push(keyB, [entry({ resourceType: 'Observation', status: 'final', code })])).status).toBe(200); // not A's
    expect((await api(bridge.url, keyA, 'DELETE', '/fhir/Observation/cnt-0')).status).toBe(204);
    const updated = { resourceType: 'Observation', id: 'cnt-1', status: 'amended', code };
    expect((await api(bridge.url, keyA, 'PUT', '/fhir/Observation/cnt-1', updated)).status).toBe(200);

    const query = 'Observation?code=http://example.org/count-code|C-1';
    const first = await search(keyA, `${query}&_total=accurate&_count=2`);
    expect(first.total).toBe(6); // 7 created, 1 deleted; the update is one resource; B's and the other types' are not
    let paged = (first.entry ?? []).length;
    for (let next = first.link.find((l: any) => l.relation === 'next')?.url; next;) {
      const res = await api(bridge.url, keyA, 'GET', new URL(next).pathname + new URL(next).search);
      paged += (res.body.entry ?? []).length;
      next = res.body.link.find((l: any) => l.relation === 'next')?.url;
    }
    expect(paged).toBe(6);
    expect((await search(keyA, `${query}&_summary=count`)).total).toBe(6);
    expect((await search(keyA, `Condition?code=http://example.org/count-code|C-1&_total=accurate`)).total).toBe(1);
    expect((await search(keyB, `${query}&_total=accurate`)).total).toBe(1);

    // The count reads the type as a key (typeKey): every row, deleted and updated ones too, holds exactly its own.
    const wrong = await bridge.database.db.query(
      `SELECT r.id, r.resource_type FROM resource r
       WHERE NOT (r.search_keys @> ARRAY['_type=' || r.resource_type]) OR (SELECT count(*) FROM unnest(r.search_keys) k WHERE starts_with(k, '_type=')) <> 1`,
    );
    expect(wrong.rows).toEqual([]);
  });
});

describe('refusals', () => {
  test.each([
    ['Patient?patient=x', 400, /"patient" is not supported on Patient/],
    ['Patient?family:text=x', 400, /family:text is not supported/],
    ['Observation?value-quantity=high', 400, /not a quantity/],
    ['Observation?date=ap2026', 400, /prefix ap is not supported/],
    ['Observation?_sort=family', 400, /not a search parameter of Observation/],
    ['Observation?subject:Patient=Group/1', 400, /names a Group/],
  ])('%s → %i OperationOutcome', async (query, status, message) => {
    const res = await api(bridge.url, keyA, 'GET', `/fhir/${query}`);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });
});
