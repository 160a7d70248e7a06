/**
 * The answer of Patient/$match (FHIR R4 patient-operation-match; IHE PDQm Match Output Bundle profile, ITI-119
 * §2:3.119.4.2): a `searchset` Bundle of Patients, `search.mode` match, `search.score`, and the match-grade extension
 * (http://hl7.org/fhir/StructureDefinition/match-grade) on `search`, best first. Pure.
 *
 * Before consent nothing of the holding clinics' records is disclosed: each Patient carries only what the caller sent
 * and what agreed (identifiers, name parts, birth date, gender, address parts, telecom), its id is the opaque handle,
 * and nothing names a clinic, a clinic's patient id, a person id or a source. A record the caller's own clinic holds
 * of the person is its own data and is named in `link` (type seealso).
 */
import type { Address, Bundle, BundleEntry, ContactPoint, HumanName, Identifier, Patient } from '@medplum/fhirtypes';
import { canonicalSystem } from '../normalize/codes';
import { mainAddress, mainName, normalizeEmail, normalizePhone } from '../normalize/patient';
import type { FieldComparison, MatchGrade, MatchIdentifier } from './match-score';

export const MATCH_GRADE_URL = 'http://hl7.org/fhir/StructureDefinition/match-grade';

export interface MatchAnswer {
  handle: string;
  grade: MatchGrade;
  score: number;
  matchedIdentifiers: MatchIdentifier[];
  comparisons: FieldComparison[];
  /** Bridge ids of the caller's own records of this person. */
  ownPatientIds: string[];
  /** Normalized telecom of the matched record, to echo the caller's values that agreed. */
  recordPhones: string[];
  recordEmails: string[];
}

const agreed = (c: FieldComparison[], field: FieldComparison['field'], levels: FieldComparison['level'][]): boolean =>
  c.some((x) => x.field === field && levels.includes(x.level));

/** The caller's own Patient reduced to what agreed with the candidate (nothing of the candidate's own values). */
export function echoPatient(sent: Patient, a: MatchAnswer): Patient {
  const p: Patient = { resourceType: 'Patient', id: a.handle };
  const ids = new Set(a.matchedIdentifiers.map((i) => `${i.system}|${i.value}`));
  const identifier: Identifier[] = (sent.identifier ?? [])
    .filter((i) => i.value && ids.has(`${canonicalSystem(i.system) ?? ''}|${i.value}`))
    .map((i) => ({ system: i.system, value: i.value }));
  if (identifier.length) p.identifier = identifier;
  const name = mainName(sent.name);
  const echoName: HumanName = {};
  if (name?.family && agreed(a.comparisons, 'family', ['exact', 'similar'])) echoName.family = name.family;
  if (name?.given?.length && agreed(a.comparisons, 'given', ['exact', 'similar'])) echoName.given = name.given;
  if (echoName.family || echoName.given) p.name = [echoName];
  if (sent.gender && agreed(a.comparisons, 'gender', ['exact'])) p.gender = sent.gender;
  if (sent.birthDate && agreed(a.comparisons, 'birthDate', ['exact'])) p.birthDate = sent.birthDate;
  const addr = mainAddress(sent.address);
  const echoAddr: Address = {};
  if (addr?.postalCode && agreed(a.comparisons, 'address', ['postalCode'])) echoAddr.postalCode = addr.postalCode;
  if (addr?.city && agreed(a.comparisons, 'address', ['city'])) echoAddr.city = addr.city;
  if (addr?.country && agreed(a.comparisons, 'country', ['exact'])) echoAddr.country = addr.country;
  if (Object.keys(echoAddr).length) p.address = [echoAddr];
  const telecom: ContactPoint[] = (sent.telecom ?? [])
    .filter((t) => {
      if (t.system === 'email') return a.recordEmails.includes(normalizeEmail(t.value) ?? '');
      return (t.system === 'phone' || t.system === 'sms' || t.system === 'fax') && a.recordPhones.includes(normalizePhone(t.value) ?? '');
    })
    .map((t) => ({ system: t.system, value: t.value }));
  if (telecom.length) p.telecom = telecom;
  if (a.ownPatientIds.length) p.link = a.ownPatientIds.map((id) => ({ other: { reference: `Patient/${id}` }, type: 'seealso' }));
  return p;
}

export function matchBundle(base: string, sent: Patient, answers: MatchAnswer[], note?: string): Bundle {
  const entry: BundleEntry[] = answers.map((a) => ({
    fullUrl: `${base}/Patient/${a.handle}`,
    resource: echoPatient(sent, a),
    search: { mode: 'match', score: a.score, extension: [{ url: MATCH_GRADE_URL, valueCode: a.grade }] },
  }));
  if (note) {
    entry.push({
      resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: note }] },
      search: { mode: 'outcome' },
    });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: answers.length, entry };
}
