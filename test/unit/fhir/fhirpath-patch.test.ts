/**
 * FHIRPath Patch (R4 fhirpatch.html): each operation type on the examples of the specification's own test cases
 * (add, insert, delete, replace, move; lists, choice elements, complex values given as parts), and each way a patch
 * fails: 400 for a Parameters that is not a patch, 422 for one that does not fit the resource.
 */
import { applyFhirPathPatch, parseFhirPathPatch } from '../../../bridge/fhir/fhirpath-patch';
import { FhirError } from '../../../bridge/fhir/outcome';
import { loadFhirDefinitions } from '../../../bridge/fhir/validate';

beforeAll(() => loadFhirDefinitions());

type Part = Record<string, unknown>;
const op = (type: string, path: string, ...rest: Part[]): Part => ({
  name: 'operation',
  part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...rest],
});
const params = (...ops: Part[]) => ({ resourceType: 'Parameters', parameter: ops });
const patched = (resource: Record<string, unknown>, ...ops: Part[]) => applyFhirPathPatch(resource, parseFhirPathPatch(params(...ops)));

const patient = () => ({
  resourceType: 'Patient',
  id: 'p1',
  birthDate: '1920-01-01',
  _birthDate: { extension: [{ url: 'http://example.org/accuracy', valueCode: 'estimated' }] },
  identifier: [
    { system: 'http://a', value: '1' },
    { system: 'http://b', value: '2' },
    { system: 'http://c', value: '3' },
  ],
  name: [
    { use: 'official', family: 'Weber', given: ['Anna', 'Maria'], _given: [null, { extension: [{ url: 'http://example.org/x', valueString: 'x' }] }] },
    { use: 'maiden', family: 'Schulz' },
  ],
});

function failure(f: () => unknown): FhirError {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

describe('operations', () => {
  test('add a primitive that does not repeat, and an element to a list', () => {
    const p = patched(
      patient(),
      op('add', 'Patient', { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'female' }),
      op('add', "Patient.name.where(use='official')", { name: 'name', valueString: 'given' }, { name: 'value', valueString: 'Luise' }),
    );
    expect(p.gender).toBe('female');
    expect((p.name as any)[0].given).toEqual(['Anna', 'Maria', 'Luise']);
  });

  test('add a complex value given as parts, lists where the type repeats them', () => {
    const p = patched(
      patient(),
      op(
        'add',
        'Patient',
        { name: 'name', valueString: 'contact' },
        {
          name: 'value',
          part: [
            { name: 'name', valueHumanName: { family: 'Weber', given: ['Jonas'] } },
            { name: 'relationship', valueCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] } },
          ],
        },
      ),
    );
    // Patient.contact repeats, and so does PatientContact.relationship; PatientContact.name does not.
    expect(p.contact).toEqual([
      { name: { family: 'Weber', given: ['Jonas'] }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }] },
    ]);
  });

  test('add a choice element under its typed key', () => {
    const p = patched(patient(), op('add', 'Patient', { name: 'name', valueString: 'deceased' }, { name: 'value', valueDateTime: '2020-05-01' }));
    expect(p.deceasedDateTime).toBe('2020-05-01');
    const again = failure(() => patched(p, op('add', 'Patient', { name: 'name', valueString: 'deceased' }, { name: 'value', valueBoolean: true })));
    expect(again.status).toBe(422);
    expect(again.issues[0].diagnostics).toMatch(/already present/);
  });

  test('insert at an index of a list, and past its end is refused', () => {
    const p = patched(
      patient(),
      op('insert', 'Patient.identifier', { name: 'value', valueIdentifier: { system: 'http://z', value: '0' } }, { name: 'index', valueInteger: 1 }),
    );
    expect((p.identifier as any[]).map((i) => i.value)).toEqual(['1', '0', '2', '3']);
    const past = failure(() =>
      patched(patient(), op('insert', 'Patient.identifier', { name: 'value', valueIdentifier: { value: '9' } }, { name: 'index', valueInteger: 4 })),
    );
    expect(past.status).toBe(422);
    expect(past.issues[0].diagnostics).toMatch(/past the end/);
  });

  test('delete one element of a list keeps its primitive extensions aligned; deleting nothing is no change', () => {
    const p = patched(patient(), op('delete', "Patient.name.where(use='official').given[0]"));
    const official = (p.name as any)[0];
    expect(official.given).toEqual(['Maria']);
    expect(official._given).toEqual([{ extension: [{ url: 'http://example.org/x', valueString: 'x' }] }]);
    expect(patched(patient(), op('delete', "Patient.name.where(use='nickname')"))).toEqual(patient());
  });

  test('delete a primitive takes its extensions with it; the last element of a list takes the list', () => {
    const p = patched(patient(), op('delete', 'Patient.birthDate'), op('delete', "Patient.name.where(use='maiden')"), op('delete', 'Patient.name.first()'));
    expect(p).not.toHaveProperty('birthDate');
    expect(p).not.toHaveProperty('_birthDate');
    expect(p).not.toHaveProperty('name');
  });

  test('replace a primitive, an element of a list, and a choice element with another type', () => {
    const p = patched(
      { ...patient(), deceasedBoolean: false },
      op('replace', 'Patient.birthDate', { name: 'value', valueDate: '1930-02-02' }),
      op('replace', 'Patient.identifier[1]', { name: 'value', valueIdentifier: { system: 'http://b', value: '22' } }),
      op('replace', 'Patient.deceased', { name: 'value', valueDateTime: '2001-01-01' }),
    );
    expect(p.birthDate).toBe('1930-02-02');
    expect((p.identifier as any[])[1]).toEqual({ system: 'http://b', value: '22' });
    expect(p.deceasedDateTime).toBe('2001-01-01');
    expect(p).not.toHaveProperty('deceasedBoolean');
  });

  test('move an element of a list from one index to another', () => {
    const p = patched(patient(), op('move', 'Patient.identifier', { name: 'source', valueInteger: 0 }, { name: 'destination', valueInteger: 2 }));
    expect((p.identifier as any[]).map((i) => i.value)).toEqual(['2', '3', '1']);
  });

  test('operations apply in order, each to the result of the one before, and the input is left as it was', () => {
    const input = patient();
    const p = patched(input, op('delete', 'Patient.identifier[0]'), op('delete', 'Patient.identifier[0]'));
    expect((p.identifier as any[]).map((i) => i.value)).toEqual(['3']);
    expect(input).toEqual(patient());
  });
});

describe('refusals', () => {
  test.each([
    ['a resource that is not Parameters', { resourceType: 'Patient' }, /Parameters resource/],
    ['no operation', params(), /at least one/],
    ['a parameter that is not an operation', params({ name: 'op', part: [] }), /"operation"/],
    ['an unknown type', params(op('upsert', 'Patient.gender')), /add, insert, delete, replace, move/],
    ['a missing part', params(op('replace', 'Patient.gender')), /"value" is required/],
    ['a negative index', params(op('insert', 'Patient.identifier', { name: 'value', valueString: 'x' }, { name: 'index', valueInteger: -1 })), /valueInteger/],
    ['an unknown part', params(op('delete', 'Patient.gender', { name: 'frob', valueString: 'x' })), /unknown part/],
  ])('%s is 400', (_label, body, message) => {
    const e = failure(() => parseFhirPathPatch(body));
    expect(e.status).toBe(400);
    expect(e.issues[0].diagnostics).toMatch(message);
  });

  test.each([
    ['a replace that matches nothing', op('replace', 'Patient.gender', { name: 'value', valueCode: 'male' }), /matches no element/],
    ['a delete that matches several', op('delete', 'Patient.identifier'), /matches 3 elements/],
    [
      'an element the type does not have',
      op('add', 'Patient', { name: 'name', valueString: 'colour' }, { name: 'value', valueString: 'x' }),
      /no element "colour"/,
    ],
    [
      'a second value of an element that does not repeat',
      op('add', 'Patient', { name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '2000-01-01' }),
      /already present/,
    ],
    ['a move out of range', op('move', 'Patient.identifier', { name: 'source', valueInteger: 0 }, { name: 'destination', valueInteger: 3 }), /below 3/],
    [
      'an insert into part of a list',
      op('insert', 'Patient.identifier[0]', { name: 'value', valueIdentifier: {} }, { name: 'index', valueInteger: 0 }),
      /every element of one list/,
    ],
    ['a change of id', op('replace', 'Patient.id', { name: 'value', valueId: 'p2' }), /resourceType or id/],
    ['deleting the resource itself', op('delete', 'Patient'), /resource itself/],
  ])('%s is 422', (_label, operation, message) => {
    const e = failure(() => patched(patient(), operation));
    expect(e.status).toBe(422);
    expect(e.issues[0].diagnostics).toMatch(message);
  });

  test('prototype keys are never element names: refused as names, found by no path, nothing polluted', () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const asName = failure(() => parseFhirPathPatch(params(op('add', 'Patient', { name: 'name', valueString: name }, { name: 'value', valueString: 'x' }))));
      expect(asName.status).toBe(400);
      const asPart = failure(() =>
        patched(patient(), op('add', 'Patient', { name: 'name', valueString: 'contact' }, { name: 'value', part: [{ name, valueString: 'x' }] })),
      );
      expect(asPart.status).toBe(400);
      expect(patched(patient(), op('delete', `Patient.${name}`))).toEqual(patient());
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Still a plain object (structuredClone makes it in Node's realm, not the test's: compared by shape).
    const proto = Object.getPrototypeOf(patched(patient(), op('delete', 'Patient.__proto__')));
    expect([Object.keys(proto), Object.getPrototypeOf(proto)]).toEqual([[], null]);
  });

  test.each([['Patient.name.given.exists() and true'], ['Patient.identifier.select(value)'], ['Patient.((']])(
    'a path outside what names a place (%s) is 400',
    (path) => {
      const e = failure(() => patched(patient(), op('delete', path)));
      expect(e.status).toBe(400);
      expect(e.issues[0].diagnostics).toContain(path);
    },
  );
});
