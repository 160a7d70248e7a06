/**
 * Patient → demographics for the `patient` table (owned by the core schema): identifiers, name, birth date, gender,
 * and the address and telecom values Patient/$match compares. The contact rules are repeated in SQL by migration 016
 * (its backfill): change both together.
 */
import type { Address, ContactPoint, HumanName, Patient } from '@medplum/fhirtypes';
import { canonicalSystem } from './codes';
import type { PatientContact, PatientDemographics, PatientIdentifier } from './types';

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

/** Postal code as compared: upper case, spaces and dashes dropped (`10 115` and `10115`, `sw1a-1aa` and `SW1A1AA`). */
export const normalizePostalCode = (v: unknown): string | null => text(v)?.replace(/[\s-]/g, '').toUpperCase() || null;
export const normalizeCity = (v: unknown): string | null => text(v)?.trim().toLowerCase() ?? null;
export const normalizeCountry = (v: unknown): string | null => text(v)?.trim().toUpperCase() ?? null;
/** A phone number as compared: digits only, a leading `00` (international call prefix) dropped so `+49…` = `0049…`. */
export function normalizePhone(v: unknown): string | null {
  const digits = text(v)?.replace(/\D/g, '').replace(/^00/, '') ?? '';
  return digits.length >= 4 ? digits : null;
}
export function normalizeEmail(v: unknown): string | null {
  const e = text(v)?.trim().toLowerCase() ?? '';
  return /^.+@.+$/.test(e) ? e : null;
}

/** The address to compare: the first one not of use `old`. */
export const mainAddress = (addresses: Address[] | undefined): Address | undefined =>
  (Array.isArray(addresses) ? addresses : []).find((a) => a && typeof a === 'object' && a.use !== 'old');

const sortedUnique = (xs: (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))].sort();

export function normalizeContact(r: Pick<Patient, 'address' | 'telecom'>): PatientContact {
  const a = mainAddress(r.address);
  const telecom: ContactPoint[] = (Array.isArray(r.telecom) ? r.telecom : []).filter((t) => t && typeof t === 'object');
  return {
    postalCode: normalizePostalCode(a?.postalCode),
    city: normalizeCity(a?.city),
    country: normalizeCountry(a?.country),
    phones: sortedUnique(telecom.filter((t) => t.system === 'phone' || t.system === 'sms' || t.system === 'fax').map((t) => normalizePhone(t.value))),
    emails: sortedUnique(telecom.filter((t) => t.system === 'email').map((t) => normalizeEmail(t.value))),
  };
}

/** The name to index: official, else usual, else the first one that is not old/maiden. */
export function mainName(names: HumanName[] | undefined): HumanName | undefined {
  const ns = (names ?? []).filter(Boolean);
  return ns.find((n) => n.use === 'official') ?? ns.find((n) => n.use === 'usual') ?? ns.find((n) => n.use !== 'old' && n.use !== 'maiden') ?? ns[0];
}

export function normalizePatient(r: Patient): PatientDemographics {
  const identifiers: PatientIdentifier[] = [];
  const seen = new Set<string>();
  for (const id of r.identifier ?? []) {
    if (!id?.value) continue;
    const system = canonicalSystem(id.system);
    const key = `${system ?? ''}|${id.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    identifiers.push({ system, value: id.value });
  }
  const name = mainName(r.name);
  return {
    identifiers,
    family: name?.family ?? null,
    given: (name?.given ?? []).filter((g): g is string => typeof g === 'string'),
    birthDate: r.birthDate ?? null,
    gender: r.gender ?? null,
    contact: normalizeContact(r),
  };
}
