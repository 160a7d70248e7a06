/**
 * The input of Patient/$match (FHIR R4 patient-operation-match; IHE PDQm ITI-119 §2:3.119.4.1.2, PDQm Match Input
 * Parameters profile): a Parameters with `resource` (the Patient to match, required), `onlyCertainMatches` (boolean)
 * and `count` (positive integer). PDQm also lets a bare Patient be posted when it is the only parameter; that is
 * accepted. Anything else is refused with a 400 naming the element. Pure, no I/O.
 */
import type { Patient } from '@medplum/fhirtypes';
import { normalizeContact, normalizePatient } from '../normalize/patient';
import type { MatchIdentifier, MatchQuery } from './match-score';
import { outcomes } from './outcome';

export const MATCH_DEFAULT_COUNT = 10;
/** Larger counts are served as this many (FHIR lets the server return fewer than asked). */
export const MATCH_MAX_COUNT = 50;

export interface MatchRequest {
  patient: Patient;
  onlyCertainMatches: boolean;
  count: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const GENDERS = ['male', 'female', 'other', 'unknown'];
const FHIR_DATE = /^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;

function validDate(s: string): boolean {
  const m = FHIR_DATE.exec(s);
  if (!m) return false;
  if (!m[5]) return true;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function checkArrayOfObjects(p: Record<string, unknown>, key: string, where: string): void {
  const v = p[key];
  if (v === undefined) return;
  if (!Array.isArray(v) || !v.every(isObject)) throw outcomes.structure(`${key} must be an array of objects`, `${where}.${key}`);
}

function checkString(o: Record<string, unknown>, key: string, where: string): void {
  if (o[key] !== undefined && typeof o[key] !== 'string') throw outcomes.structure(`${key} must be a string`, `${where}.${key}`);
}

/** The Patient to match, checked for the elements $match reads; 400 when malformed or with nothing to match on. */
export function checkMatchPatient(p: unknown, where: string): Patient {
  if (!isObject(p) || p.resourceType !== 'Patient') {
    throw outcomes.invalid('the resource to match must be a Patient', where);
  }
  for (const key of ['identifier', 'name', 'telecom', 'address']) checkArrayOfObjects(p, key, where);
  (p.identifier as Record<string, unknown>[] | undefined)?.forEach((id, i) => {
    checkString(id, 'system', `${where}.identifier[${i}]`);
    checkString(id, 'value', `${where}.identifier[${i}]`);
  });
  (p.name as Record<string, unknown>[] | undefined)?.forEach((n, i) => {
    checkString(n, 'family', `${where}.name[${i}]`);
    if (n.given !== undefined && (!Array.isArray(n.given) || !n.given.every((g) => typeof g === 'string'))) {
      throw outcomes.structure('given must be an array of strings', `${where}.name[${i}].given`);
    }
  });
  (p.telecom as Record<string, unknown>[] | undefined)?.forEach((t, i) => {
    checkString(t, 'system', `${where}.telecom[${i}]`);
    checkString(t, 'value', `${where}.telecom[${i}]`);
  });
  (p.address as Record<string, unknown>[] | undefined)?.forEach((a, i) => {
    for (const k of ['postalCode', 'city', 'country']) checkString(a, k, `${where}.address[${i}]`);
  });
  if (p.birthDate !== undefined && (typeof p.birthDate !== 'string' || !validDate(p.birthDate))) {
    throw outcomes.value('birthDate must be a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)', `${where}.birthDate`);
  }
  if (p.gender !== undefined && !GENDERS.includes(p.gender as string)) {
    throw outcomes.codeInvalid(`gender must be one of ${GENDERS.join(', ')}`, `${where}.gender`);
  }
  const patient = p as unknown as Patient;
  const d = normalizePatient(patient);
  const c = d.contact;
  if (!d.identifiers.length && !d.family && !d.given.length && !d.birthDate && !c.phones.length && !c.emails.length && !c.postalCode) {
    throw outcomes.required('the Patient has nothing to match on: give an identifier, a name, a birth date or contact details', where);
  }
  return patient;
}

/** Reads the body of POST Patient/$match (already JSON-parsed). */
export function parseMatchParameters(body: unknown): MatchRequest {
  if (isObject(body) && body.resourceType === 'Patient') {
    return { patient: checkMatchPatient(body, 'Patient'), onlyCertainMatches: false, count: MATCH_DEFAULT_COUNT };
  }
  if (!isObject(body) || body.resourceType !== 'Parameters') {
    throw outcomes.invalid('the body of Patient/$match must be a Parameters resource (or a Patient, IHE PDQm ITI-119)');
  }
  if (body.parameter !== undefined && (!Array.isArray(body.parameter) || !body.parameter.every(isObject))) {
    throw outcomes.structure('Parameters.parameter must be an array of objects', 'Parameters.parameter');
  }
  const params = (body.parameter ?? []) as Record<string, unknown>[];
  const seen = new Set<string>();
  let patient: Patient | undefined;
  let onlyCertainMatches = false;
  let count = MATCH_DEFAULT_COUNT;
  params.forEach((p, i) => {
    const where = `Parameters.parameter[${i}]`;
    const name = p.name;
    if (typeof name !== 'string') throw outcomes.required('every parameter needs a name', `${where}.name`);
    if (seen.has(name)) throw outcomes.duplicate(`the parameter ${name} is given more than once`, where);
    seen.add(name);
    if (name === 'resource') {
      if (p.resource === undefined) throw outcomes.required('the parameter resource must carry the Patient in resource', `${where}.resource`);
      patient = checkMatchPatient(p.resource, `${where}.resource`);
    } else if (name === 'onlyCertainMatches') {
      if (typeof p.valueBoolean !== 'boolean') throw outcomes.invalid('onlyCertainMatches must be a valueBoolean', `${where}.valueBoolean`);
      onlyCertainMatches = p.valueBoolean;
    } else if (name === 'count') {
      const v = p.valueInteger;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw outcomes.invalid('count must be a valueInteger of at least 1', `${where}.valueInteger`);
      count = Math.min(v, MATCH_MAX_COUNT);
    } else {
      throw outcomes.notSupported(
        `Patient/$match does not support the parameter "${name.slice(0, 64)}"; supported: resource, onlyCertainMatches, count`,
        `${where}.name`,
      );
    }
  });
  if (!patient) throw outcomes.required('Patient/$match needs the parameter resource (the Patient to match)', 'Parameters.parameter');
  return { patient, onlyCertainMatches, count };
}

/** The caller's Patient as the scorer sees it; identifiers only of person-wide systems (`personSystems`). */
export function matchQueryOf(patient: Patient, personSystems: readonly string[]): MatchQuery {
  const d = normalizePatient(patient);
  const identifiers: MatchIdentifier[] = d.identifiers
    .filter((i): i is MatchIdentifier => !!i.system && personSystems.includes(i.system))
    .map((i) => ({ system: i.system, value: i.value }));
  const c = normalizeContact(patient);
  return {
    identifiers,
    fields: {
      family: d.family,
      given: d.given,
      birthDate: d.birthDate,
      gender: d.gender,
      postalCode: c.postalCode,
      city: c.city,
      country: c.country,
      phones: c.phones,
      emails: c.emails,
    },
  };
}
