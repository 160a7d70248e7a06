/**
 * A patient's own Consents (fhir/patient-consent.ts): create, read, search, update and revoke, each audited with the
 * patient as agent (clinicId null). A patient names only their own person's Patient records; another person's id and
 * an unknown id answer the same 422, and another person's Consent the same 404 as an unknown one (no oracle).
 * The latest Consent of a person for a clinic governs that clinic (access/consent-rules.ts patientGrant): a new
 * active Consent for a clinic supersedes (sets inactive) the person's earlier active ones for it, in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Consent } from '@medplum/fhirtypes';
import { outcomes } from '../fhir/outcome';
import { parsePatientConsent, patientConsentResource, type PatientConsentInput } from '../fhir/patient-consent';
import { inTransaction, type Db, type Tx } from '../store/db';
import {
  activeConsentsFor,
  clinicDirectory,
  clinicNameOf,
  insertPatientConsent,
  patientConsentOf,
  patientConsentsOf,
  updatePatientConsent,
  type PatientConsentRow,
} from '../store/patient-consent';
import { personPatients } from '../store/person-links';
import { audit } from './audit';
import { auditedAs } from './reader';
import { actingPatient, type PatientPrincipal, type Session } from './session';

const unknownConsent = (id: string) => outcomes.notFound(`Consent/${id} is not known`);

async function checkNames(db: Db | Tx, p: PatientPrincipal, input: PatientConsentInput): Promise<string> {
  const own = await personPatients(db, p.personId);
  if (!own.some((r) => r.patientId === input.patientId))
    throw outcomes.businessRule(`Consent.patient: Patient/${input.patientId} is not known`, 'Consent.patient');
  const name = await clinicNameOf(db, input.clinicId);
  if (name === null) throw outcomes.businessRule(`Organization/${input.clinicId} is not known`, 'Consent.provision.actor[0].reference');
  return name;
}

const withheldText = (input: PatientConsentInput) => (input.denyCodes.length ? `everything except ${input.denyCodes.join(', ')}` : 'everything');

function auditConsent(tx: Tx, p: PatientPrincipal, input: PatientConsentInput, what: string, id: string) {
  return audit(tx, {
    ...auditedAs(p),
    action: 'consent',
    outcome: 'success',
    personId: p.personId,
    patientIds: [input.patientId],
    resourceTypes: ['Consent'],
    detail: `Consent/${id} ${what} for Organization/${input.clinicId}: ${withheldText(input)}`,
  });
}

/** Supersedes the person's other active Consents for the clinic (their status becomes inactive). */
async function supersede(tx: Tx, p: PatientPrincipal, clinicId: string, exceptId: string): Promise<void> {
  for (const old of await activeConsentsFor(tx, p.personId, clinicId, exceptId)) {
    const content = { ...old.content, status: 'inactive', meta: { versionId: String(old.version + 1), lastUpdated: new Date().toISOString() } };
    await updatePatientConsent(tx, { ...old, status: 'inactive', content, version: old.version + 1 });
    await audit(tx, {
      ...auditedAs(p),
      action: 'consent',
      outcome: 'success',
      personId: p.personId,
      patientIds: [old.patientId],
      resourceTypes: ['Consent'],
      detail: `Consent/${old.id} superseded by Consent/${exceptId} for Organization/${clinicId}`,
    });
  }
}

/** Stores a checked Consent for the patient (used by POST /fhir/Consent and by a patient's approval of a request). */
export async function storePatientConsent(db: Db, p: PatientPrincipal, input: PatientConsentInput, detail = 'granted'): Promise<Consent> {
  return inTransaction(db, (tx) => storePatientConsentIn(tx, p, input, detail));
}

/** As storePatientConsent, inside the caller's transaction. */
export async function storePatientConsentIn(tx: Tx, p: PatientPrincipal, input: PatientConsentInput, detail = 'granted'): Promise<Consent> {
  const clinicName = await checkNames(tx, p, input);
  const id = randomUUID();
  const now = new Date().toISOString();
  const content = patientConsentResource({ ...input, id, version: 1, lastUpdated: now, dateTime: now, clinicName });
  await insertPatientConsent(tx, {
    ...input,
    id,
    accountId: p.accountId,
    actorClinicId: input.clinicId,
    content: content as unknown as Record<string, unknown>,
  });
  await supersede(tx, p, input.clinicId, id);
  await auditConsent(tx, p, input, detail, id);
  return content;
}

export async function createPatientConsent(db: Db, session: Session, body: unknown): Promise<Consent> {
  const p = actingPatient(session);
  return storePatientConsent(db, p, parsePatientConsent(body, 'create'));
}

export async function readPatientConsent(db: Db, session: Session, id: string): Promise<Consent> {
  const row = await patientConsentOf(db, actingPatient(session).personId, id);
  if (!row) throw unknownConsent(id);
  return row.content as unknown as Consent;
}

export async function searchPatientConsents(
  db: Db,
  session: Session,
  f: { statuses?: string[]; count: number; offset: number },
): Promise<{ items: Consent[]; hasMore: boolean }> {
  const rows = await patientConsentsOf(db, actingPatient(session).personId, f);
  return { items: rows.slice(0, f.count).map((r) => r.content as unknown as Consent), hasMore: rows.length > f.count };
}

/**
 * PUT /fhir/Consent/{id}: the full Consent again. Status inactive revokes it (final: a revoked Consent cannot be made
 * active again, 409; make a new one). The patient record and the clinic cannot change (422): make a new Consent.
 */
export async function updatePatientConsentById(db: Db, session: Session, id: string, body: unknown): Promise<Consent> {
  const p = actingPatient(session);
  const input = parsePatientConsent(body, 'update');
  if ((body as { id?: unknown }).id !== undefined && (body as { id?: unknown }).id !== id)
    throw outcomes.invalid('Consent.id must match the id in the URL', 'Consent.id');
  return inTransaction(db, async (tx) => {
    const row = await patientConsentOf(tx, p.personId, id, true);
    if (!row) throw unknownConsent(id);
    if (row.status === 'inactive') throw outcomes.conflict(`Consent/${id} was revoked; create a new Consent instead`);
    if (row.patientId !== input.patientId || row.actorClinicId !== input.clinicId)
      throw outcomes.businessRule('a Consent keeps its patient and clinic; create a new Consent for another', 'Consent.provision.actor');
    const clinicName = await checkNames(tx, p, input);
    const now = new Date().toISOString();
    const version = row.version + 1;
    const content = patientConsentResource({ ...input, id, version, lastUpdated: now, dateTime: now, clinicName });
    await updatePatientConsent(tx, { id, ...input, content: content as unknown as Record<string, unknown>, version });
    await auditConsent(tx, p, input, input.status === 'inactive' ? 'revoked' : 'changed', id);
    return content;
  });
}

/** DELETE /fhir/Consent/{id}: revokes it (kept as inactive, like PUT with status inactive). */
export async function revokePatientConsent(db: Db, session: Session, id: string): Promise<void> {
  const p = actingPatient(session);
  await inTransaction(db, async (tx) => {
    const row: PatientConsentRow | null = await patientConsentOf(tx, p.personId, id, true);
    if (!row) throw unknownConsent(id);
    if (row.status === 'inactive') return;
    const version = row.version + 1;
    const content = { ...row.content, status: 'inactive', meta: { versionId: String(version), lastUpdated: new Date().toISOString() } };
    await updatePatientConsent(tx, { ...row, status: 'inactive', content, version });
    await audit(tx, {
      ...auditedAs(p),
      action: 'consent',
      outcome: 'success',
      personId: p.personId,
      patientIds: [row.patientId],
      resourceTypes: ['Consent'],
      detail: `Consent/${id} revoked for Organization/${row.actorClinicId}`,
    });
  });
}

/** GET /fhir/Organization for a patient: every clinic (id = clinic id, name), to choose whom to consent to. */
export async function clinicsForPatients(db: Db, session: Session, count: number, offset: number): Promise<{ items: Bundle['entry']; hasMore: boolean }> {
  actingPatient(session);
  const rows = await clinicDirectory(db, count, offset);
  return {
    items: rows.slice(0, count).map((c) => ({ resource: { resourceType: 'Organization', id: c.id, active: true, name: c.name } })),
    hasMore: rows.length > count,
  };
}
