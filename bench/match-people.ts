/**
 * The synthetic people of `npm run bench -- match`: deterministic (seeded), long-tailed surname and given-name
 * frequencies, birth dates 1930-2020, 30 % with a passport, 70 % a phone, 40 % an e-mail; and the batch writer that
 * puts them into the store's tables as savePatient would (normalized by bridge/normalize/patient.ts).
 */
import type { Patient } from '@medplum/fhirtypes';
import { normalizePatient } from '../bridge/normalize/patient';
import type { Db } from '../bridge/store/db';

/** A small deterministic PRNG (mulberry32), so every run generates the same people. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const rand = rng(20261201);
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const SYL = [
  'ber',
  'ko',
  'sch',
  'mül',
  'ler',
  'wa',
  'gner',
  'fi',
  'sher',
  'ol',
  'ivei',
  'ra',
  'sil',
  'va',
  'san',
  'tos',
  'fer',
  'rei',
  'men',
  'dez',
  'ha',
  'rt',
  'mann',
  'lin',
  'de',
  'bau',
  'er',
  'ri',
  'cht',
  'kl',
  'ein',
  'wolf',
  'neu',
  'so',
  'us',
  'ta',
  'mo',
  'nu',
  'ro',
  'ci',
  'pe',
  'ng',
  'ka',
  'to',
  'vic',
];
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
function names(count: number, parts: number): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    let s = '';
    for (let i = 0; i < parts + Math.floor(rand() * 2); i++) s += pick(SYL);
    out.add(cap(s));
  }
  return [...out];
}
/** Weights 1/(rank + offset): a long-tailed name distribution whose top name has share ≈ 1/((1 + offset) ln(n/offset)). */
function zipf<T>(xs: T[], offset: number): () => T {
  const cum: number[] = [];
  let total = 0;
  xs.forEach((_, r) => cum.push((total += 1 / (r + 1 + offset))));
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return xs[lo];
  };
}
const surname = zipf(names(20_000, 2), 50);
const givenName = zipf(names(2_000, 2), 10);
const COUNTRIES = ['DEU', 'PRT', 'FRA', 'ESP', 'ITA'];
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export interface Person {
  family: string;
  given: string[];
  birthDate: string;
  gender: 'male' | 'female';
  passport?: { system: string; value: string };
  phone?: string;
  email?: string;
  postalCode: string;
  city: string;
  country: string;
}

export function person(i: number): Person {
  const day = new Date(Date.UTC(1930, 0, 1) + Math.floor(rand() * 91 * 365.25) * 86_400_000).toISOString().slice(0, 10);
  const country = pick(COUNTRIES);
  const p: Person = {
    family: surname(),
    given: rand() < 0.3 ? [givenName(), givenName()] : [givenName()],
    birthDate: day,
    gender: rand() < 0.5 ? 'male' : 'female',
    postalCode: pad(Math.floor(rand() * 8000) * 10 + 1000, 5),
    city: `City${Math.floor(rand() * 400)}`,
    country: country.slice(0, 2),
  };
  if (rand() < 0.3) p.passport = { system: `http://hl7.org/fhir/sid/passport-${country}`, value: `P${pad(i, 8)}` };
  if (rand() < 0.7) p.phone = `+${pad(Math.floor(rand() * 1e11), 11)}`;
  if (rand() < 0.4) p.email = `${p.given[0].toLowerCase()}.${p.family.toLowerCase()}${i}@example.org`;
  return p;
}

export function patientResource(p: Person, id: string, mrn: string): Patient {
  return {
    resourceType: 'Patient',
    id,
    meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
    identifier: [{ system: 'urn:example:mrn', value: mrn }, ...(p.passport ? [p.passport] : [])],
    name: [{ use: 'official', family: p.family, given: p.given }],
    gender: p.gender,
    birthDate: p.birthDate,
    address: [{ line: ['Somewhere 1'], city: p.city, postalCode: p.postalCode, country: p.country }],
    telecom: [...(p.phone ? [{ system: 'phone' as const, value: p.phone }] : []), ...(p.email ? [{ system: 'email' as const, value: p.email }] : [])],
  };
}

export interface Row {
  id: string;
  clinicId: string;
  personId: string;
  resource: Patient;
}

/** One batch into resource, person, patient, patient_identifier: the rows savePatient would write, without the per-row round trips. */
export async function insertBatch(db: Db, rows: Row[], newPersons: string[]): Promise<void> {
  const n = rows.map((r) => ({ r, d: normalizePatient(r.resource) }));
  await db.query('INSERT INTO person (id) SELECT unnest($1::uuid[])', [newPersons]);
  await db.query(
    `INSERT INTO resource (id, resource_type, clinic_id, source_id, version, patient_id, last_updated, content)
     SELECT id, 'Patient', clinic, src, 1, id, '2026-01-01T00:00:00Z', content FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[]) AS t(id, clinic, src, content)`,
    [rows.map((r) => r.id), rows.map((r) => r.clinicId), rows.map((r) => r.resource.identifier![0].value), rows.map((r) => JSON.stringify(r.resource))],
  );
  const c = n.map((x) => x.d.contact);
  await db.query(
    `INSERT INTO patient (id, clinic_id, person_id, family, given, birth_date, gender, identifiers, postal_code, city, country, phones, emails)
     SELECT t.id, t.clinic, t.person, t.family, t.given, t.bd, t.gender, t.ids, t.pc, t.city, t.country,
            CASE WHEN t.phone IS NULL THEN '{}'::text[] ELSE ARRAY[t.phone] END, CASE WHEN t.email IS NULL THEN '{}'::text[] ELSE ARRAY[t.email] END
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::date[], $7::text[], $8::jsonb[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
         AS t(id, clinic, person, family, given, bd, gender, ids, pc, city, country, phone, email)`,
    [
      n.map((x) => x.r.id),
      n.map((x) => x.r.clinicId),
      n.map((x) => x.r.personId),
      n.map((x) => x.d.family),
      n.map((x) => x.d.given.join(' ') || null),
      n.map((x) => x.d.birthDate),
      n.map((x) => x.d.gender),
      n.map((x) => JSON.stringify(x.d.identifiers)),
      c.map((x) => x.postalCode),
      c.map((x) => x.city),
      c.map((x) => x.country),
      c.map((x) => x.phones[0] ?? null),
      c.map((x) => x.emails[0] ?? null),
    ],
  );
  const ids = n.flatMap((x) => x.d.identifiers.filter((i) => i.system).map((i) => [x.r.id, i.system as string, i.value]));
  await db.query('INSERT INTO patient_identifier (patient_id, system, value) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])', [
    ids.map((i) => i[0]),
    ids.map((i) => i[1]),
    ids.map((i) => i[2]),
  ]);
}
